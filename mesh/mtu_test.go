package mesh_test

import (
	"context"
	"net"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// blackHole is the largest message the lossy proxies below let through,
// like a path whose MTU is silently smaller than the hosts think.
const blackHole = 1000

var _ = Describe("MTU black hole", func() {
	var (
		resp   *running
		prober *mesh.Prober
	)
	BeforeEach(func() {
		resp = startResponder("node-b", mesh.ResponderOptions{})
		prober = mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a", UDPGap: 20 * time.Millisecond})
	})

	It("reports mtu over TCP when the small echo passes and the 64 KiB one vanishes", func() {
		proxy := tcpSwallower(resp.Addr())
		r := probes.Run(context.Background(), prober,
			peerSpec(proxy, 600*time.Millisecond, probes.PeerOptions{Transport: "tcp", Size: 65536, Peer: "node-b"}))
		Expect(r.Cause).To(Equal(probes.CauseMTU))
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Message).To(Equal("small (64 B) echo passes, 65536 B echo times out: MTU black hole on the path"))
		Expect(resp.in.Got()).To(ConsistOf(HaveField("Size", 64)), "only the small echo got through")
	})

	It("reports mtu over UDP, with the size capped to one datagram", func() {
		proxy := udpSwallower(resp.Addr())
		r := probes.Run(context.Background(), prober,
			peerSpec(proxy, 600*time.Millisecond, probes.PeerOptions{Transport: "udp", Size: 65536, Count: 2}))
		Expect(r.Cause).To(Equal(probes.CauseMTU))
		Expect(r.Message).To(Equal("small (64 B) echo passes, 64925 B echo times out: MTU black hole on the path"))
		Expect(r.Sent).To(Equal(2))
		Expect(r.Received).To(BeZero())
	})

	It("reports the small echo's failure when even that fails", func() {
		r := probes.Run(context.Background(), prober,
			peerSpec(closedPort(), 600*time.Millisecond, probes.PeerOptions{Transport: "tcp", Size: 65536}))
		Expect(r.Cause).To(Equal(probes.CauseRefused))
		Expect(r.Message).To(HavePrefix("small (64 B) echo: connect "))
	})
})

// tcpSwallower proxies frames to upstream, silently dropping any frame
// larger than blackHole while keeping the connection open.
func tcpSwallower(upstream string) string {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	var wg sync.WaitGroup
	DeferCleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { relayFrames(c, upstream) })
		}
	})
	return ln.Addr().String()
}

func relayFrames(c net.Conn, upstream string) {
	defer c.Close()
	up, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer up.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	for {
		b, err := mesh.ReadFrame(c, 1<<20)
		if err != nil {
			return
		}
		if len(b) > blackHole {
			continue
		}
		if mesh.WriteFrame(up, b) != nil {
			return
		}
		if b, err = mesh.ReadFrame(up, 1<<20); err != nil || mesh.WriteFrame(c, b) != nil {
			return
		}
	}
}

// udpSwallower relays datagrams of at most blackHole bytes to upstream and
// its answers back to the last client.
func udpSwallower(upstream string) string {
	GinkgoHelper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	up, err := net.Dial("udp", upstream)
	Expect(err).NotTo(HaveOccurred())
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		client net.Addr
	)
	DeferCleanup(func() { _ = pc.Close(); _ = up.Close(); wg.Wait() })
	wg.Go(func() {
		buf := make([]byte, 1<<16)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			client = from
			mu.Unlock()
			if n <= blackHole {
				_, _ = up.Write(buf[:n])
			}
		}
	})
	wg.Go(func() {
		buf := make([]byte, 1<<16)
		for {
			n, err := up.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			to := client
			mu.Unlock()
			_, _ = pc.WriteTo(buf[:n], to)
		}
	})
	return pc.LocalAddr().String()
}

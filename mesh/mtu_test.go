package mesh_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
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
		resp = startResponder("node-b", mesh.ResponderOptions{StallTimeout: 150 * time.Millisecond})
		prober = mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a", UDPGap: 20 * time.Millisecond})
	})
	large := func(target string) probes.Result {
		return probes.Run(context.Background(), prober,
			peerSpec(target, 600*time.Millisecond, probes.PeerOptions{Transport: "tcp", Size: 65536, Peer: "node-b"}))
	}

	It("reports mtu, leg unknown, when the small echo passes and the 64 KiB one vanishes on the same connection", func() {
		r := large(frameRelay(resp.Addr(), dropLarge, passAll))
		Expect(r.Cause).To(Equal(probes.CauseMTU))
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Leg).To(BeEmpty())
		Expect(r.Message).To(Equal("tcp echo of 65536 B timed out after a 64 B echo on the same connection passed: " +
			"MTU black hole on the path"))
		Expect(resp.in.Got()).To(ConsistOf(HaveField("Size", 64)), "only the small echo got through")
	})

	It("reports mtu on the request leg when the responder says it got part of the frame", func() {
		r := large(frameRelay(resp.Addr(), cutLarge, passAll))
		Expect(r.Cause).To(Equal(probes.CauseMTU))
		Expect(r.Leg).To(Equal(probes.LegRequest))
		Expect(r.Message).To(MatchRegexp(`^tcp echo of 65536 B: answer from \S+: partial frame at the responder: got 996 of 6\d{4} bytes: ` +
			`MTU black hole on the request path$`))
		Expect(dropped(resp, "tcp", mesh.ReasonPartial)()).To(Equal(1.0))
	})

	It("reports mtu on the reply leg when part of the answer arrives, then nothing", func() {
		r := large(frameRelay(resp.Addr(), passAll, cutLarge))
		Expect(r.Cause).To(Equal(probes.CauseMTU))
		Expect(r.Leg).To(Equal(probes.LegReply))
		Expect(r.Message).To(MatchRegexp(`^tcp echo of 65536 B: answer from \S+: partial reply: got 996 of 6\d{4} bytes: ` +
			`MTU black hole on the reply path$`))
		Expect(resp.in.Got()).To(HaveLen(2), "both requests arrived")
	})

	It("reports mtu over UDP, with the size capped to one datagram", func() {
		proxy := udpSwallower(resp.Addr())
		r := probes.Run(context.Background(), prober,
			peerSpec(proxy, 600*time.Millisecond, probes.PeerOptions{Transport: "udp", Size: 65536, Count: 2}))
		Expect(r.Cause).To(Equal(probes.CauseMTU))
		Expect(r.Message).To(Equal(fmt.Sprintf("udp echo of %d B times out while 64 B echoes pass: MTU black hole on the path", mesh.UDPMaxPayload)))
		Expect(r.Sent).To(Equal(2))
		Expect(r.Received).To(BeZero())
	})

	It("reports the connection's failure, naming the large echo, when even the small one fails", func() {
		r := large(closedPort())
		Expect(r.Cause).To(Equal(probes.CauseRefused))
		Expect(r.Message).To(HavePrefix("tcp echo of 65536 B: connect "))
	})
})

// frameMode says what a frameRelay does with frames larger than blackHole.
type frameMode int

const (
	passAll   frameMode = iota // forward every frame
	dropLarge                  // drop large frames whole, length included
	cutLarge                   // forward a large frame's first blackHole bytes, drop the rest
)

// frameRelay proxies TCP connections to upstream, treating large frames
// client→server by up and server→client by down, while keeping the
// connections open, like a path that silently loses large packets.
func frameRelay(upstream string, up, down frameMode) string {
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
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				_ = c.Close()
				return
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_ = u.SetDeadline(time.Now().Add(5 * time.Second))
			wg.Go(func() { relayFrames(c, u, up); _ = u.Close() })
			wg.Go(func() { relayFrames(u, c, down); _ = c.Close() })
		}
	})
	return ln.Addr().String()
}

// relayFrames copies frames from src to dst by mode until src fails.
func relayFrames(src, dst net.Conn, mode frameMode) {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(src, hdr[:]); err != nil {
			return
		}
		n := int64(binary.BigEndian.Uint32(hdr[:]))
		pass := n + 4
		switch {
		case n+4 <= blackHole || mode == passAll:
		case mode == dropLarge:
			pass = 0
		case mode == cutLarge:
			pass = blackHole
		}
		if pass > 0 {
			if _, err := dst.Write(hdr[:]); err != nil {
				return
			}
		}
		if _, err := io.CopyN(dst, src, max(pass-4, 0)); err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, src, n-max(pass-4, 0)); err != nil {
			return
		}
	}
}

// udpSwallower relays datagrams of at most blackHole bytes to upstream and
// its answers back to the last client.
func udpSwallower(upstream string) string { return udpLimiter(upstream, blackHole, 1<<16) }

// udpDelayer relays datagrams to upstream, those over bytes late by delay,
// and every answer back to the last client at once.
func udpDelayer(upstream string, over int, delay time.Duration) string {
	return udpRelay(upstream, func(n int) (time.Duration, bool) {
		if n > over {
			return delay, true
		}
		return 0, true
	}, 1<<16)
}

// udpLimiter relays datagrams of at most up bytes to upstream, and its
// answers of at most down bytes back to the last client.
func udpLimiter(upstream string, up, down int) string {
	return udpRelay(upstream, func(n int) (time.Duration, bool) { return 0, n <= up }, down)
}

// udpRelay relays the datagrams that pass (after their delay) to upstream,
// and its answers of at most down bytes back to the last client.
func udpRelay(upstream string, pass func(n int) (time.Duration, bool), down int) string {
	GinkgoHelper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	upc, err := net.Dial("udp", upstream)
	Expect(err).NotTo(HaveOccurred())
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		client net.Addr
	)
	DeferCleanup(func() { _ = pc.Close(); _ = upc.Close(); wg.Wait() })
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
			switch delay, ok := pass(n); {
			case !ok:
			case delay == 0:
				_, _ = upc.Write(buf[:n])
			default:
				b := slices.Clone(buf[:n])
				time.AfterFunc(delay, func() { _, _ = upc.Write(b) })
			}
		}
	})
	wg.Go(func() {
		buf := make([]byte, 1<<16)
		for {
			n, err := upc.Read(buf)
			if err != nil {
				return
			}
			if n > down {
				continue
			}
			mu.Lock()
			to := client
			mu.Unlock()
			_, _ = pc.WriteTo(buf[:n], to)
		}
	})
	return pc.LocalAddr().String()
}

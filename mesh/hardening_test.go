package mesh_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("responder hardening", func() {
	var prober *mesh.Prober
	BeforeEach(func() {
		prober = mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a"})
	})
	rejected := func(r *running, reason string) func() float64 {
		return func() float64 {
			return counter(r.reg, "swarmlink_mesh_connections_rejected_total", map[string]string{"reason": reason})
		}
	}
	// probe20 runs 20 probes (small and large echoes) 50 ms apart; each must pass.
	probe20 := func(addr string) {
		GinkgoHelper()
		for i := range 20 {
			size := 64
			if i%4 == 3 {
				size = 16384
			}
			r := probes.Run(context.Background(), prober,
				peerSpec(addr, 2*time.Second, probes.PeerOptions{Transport: "tcp", Size: size, Peer: "node-b"}))
			Expect(r.Passed).To(BeTrue(), "probe %d: %s", i, r.Message)
			time.Sleep(50 * time.Millisecond)
		}
	}

	It("serves peers while 256 idle connections from 16 addresses fill every slot and keep coming back", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{FirstFrame: 500 * time.Millisecond})
		stop := idlers(resp.Addr(), 256, 16)
		probe20(resp.Addr())
		stop()
		Expect(rejected(resp, mesh.ConnEvicted)()).To(BeNumerically(">", 0), "peers took the oldest strangers' slots")
		Expect(rejected(resp, mesh.ConnHelloTimeout)()).To(BeNumerically(">", 0), "silent strangers were closed")
	})

	It("limits the unauthenticated connections of one source address", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{FirstFrame: 500 * time.Millisecond})
		stop := idlers(resp.Addr(), 256, 1)
		probe20(resp.Addr())
		stop()
		Expect(rejected(resp, mesh.ConnPerIP)()).To(BeNumerically(">", 0))
		Expect(rejected(resp, mesh.ConnBusy)()).To(BeZero(), "one address never fills the slots")
	})

	It("allocates nothing for strangers announcing large frames", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{MaxUnauthPerIP: 1000})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var conns []net.Conn
		for i := range 200 {
			c := dialTCP(resp.Addr())
			hdr := []byte{0x3b, 0x9a, 0xca, 0x00} // 1e9 bytes
			if i%2 == 0 {
				hdr = []byte{0, 0, 0xea, 0x60} // 60000 bytes: under MaxPayload, over the pre-auth limit
			}
			_, err := c.Write(append(hdr, make([]byte, 10)...))
			Expect(err).NotTo(HaveOccurred())
			conns = append(conns, c)
		}
		Eventually(dropped(resp, "tcp", mesh.ReasonOversized)).Should(Equal(200.0))
		runtime.GC()
		runtime.ReadMemStats(&after)
		growth := int64(after.HeapInuse) - int64(before.HeapInuse)
		GinkgoWriter.Printf("heap in use grew by %d B for %d connections\n", growth, len(conns))
		Expect(growth).To(BeNumerically("<", 4<<20), "200 × 60 kB would be 12 MB")
	})

	It("rejects a message addressed to another agent, even with the right key", func() {
		b := startResponder("node-b", mesh.ResponderOptions{})
		c := startResponder("node-c", mesh.ResponderOptions{})
		m := mesh.NewMessage(mesh.TypeEchoRequest, "node-a", "overlay", time.Now())
		m.Recipient, m.Body = "node-b", []byte("for b only")
		captured := encode(testKey, m)
		Expect(exchange(dialUDP(c.Addr()), captured)).To(BeEmpty(), "c does not answer over udp")
		conn := dialTCP(c.Addr())
		Expect(mesh.WriteFrame(conn, captured)).To(Succeed())
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		frame, err := mesh.ReadFrame(conn, 1<<16)
		Expect(err).NotTo(HaveOccurred())
		refusal, err := mesh.Decode(testKey, frame, 1<<16)
		Expect(err).NotTo(HaveOccurred())
		Expect(refusal.Type).To(Equal(mesh.TypeReject), "over tcp, c says why instead of echoing")
		Eventually(dropped(c, "udp", mesh.ReasonRecipient)).Should(Equal(1.0))
		Eventually(dropped(c, "tcp", mesh.ReasonRecipient)).Should(Equal(1.0))
		Expect(c.in.Got()).To(BeEmpty())
		Expect(exchange(dialUDP(b.Addr()), captured)).NotTo(BeEmpty(), "b, its recipient, answers")
	})
})

// idlers holds n idle TCP connections to addr from ips loopback addresses
// (127.0.0.2 and up), reopening each as soon as it is closed, until stop
// is called.
func idlers(addr string, n, ips int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		local := &net.TCPAddr{IP: net.ParseIP(fmt.Sprintf("127.0.0.%d", 2+i%ips))}
		wg.Go(func() { idle(ctx, addr, local) })
	}
	time.Sleep(300 * time.Millisecond) // let them take the slots
	return func() { cancel(); wg.Wait() }
}

// idle keeps one silent connection to addr open, reopening it when closed.
func idle(ctx context.Context, addr string, local *net.TCPAddr) {
	d := net.Dialer{LocalAddr: local}
	buf := make([]byte, 64)
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		for {
			if _, err := c.Read(buf); err != nil {
				break
			}
		}
		stop()
		_ = c.Close()
		time.Sleep(5 * time.Millisecond) // a breath between reconnects: 256 loops on 2 cores starve the responder otherwise
	}
}

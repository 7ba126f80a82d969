package mesh_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("responder and peer prober on loopback", func() {
	var (
		resp   *running
		prober *mesh.Prober
	)
	BeforeEach(func() {
		resp = startResponder("node-b", mesh.ResponderOptions{
			Identity: mesh.Identity{NodeID: "n2", Hostname: "host-b", Role: "worker",
				UnderlayAddrs: []string{"192.0.2.2"}, OverlayAddrs: []string{"10.0.1.2"}, AgentVersion: "1.2.3"},
		})
		prober = mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a"})
	})
	run := func(p *mesh.Prober, target string, timeout time.Duration, o probes.PeerOptions) probes.Result {
		return probes.Run(context.Background(), p, peerSpec(target, timeout, o))
	}

	It("echoes over TCP with an RTT and records the inbound probe", func() {
		r := run(prober, resp.Addr(), time.Second, probes.PeerOptions{Transport: "tcp", Size: 64, Path: "overlay", Peer: "node-b"})
		Expect(r.Passed).To(BeTrue(), r.Message)
		Expect(r.Cause).To(Equal(probes.CauseOK))
		Expect(r.RTT).To(BeNumerically(">", 0))
		Expect(r.Message).To(ContainSubstring("tcp echo of 64 B from node-b"))
		Expect(counter(resp.reg, "swarmlink_peer_messages_total",
			map[string]string{"transport": "tcp", "type": "echo_request"})).To(Equal(1.0))
		Expect(resp.in.Got()).To(ConsistOf(SatisfyAll(
			HaveField("From", "node-a"), HaveField("Path", "overlay"),
			HaveField("Kind", mesh.InboundTCP), HaveField("Size", 64))))
	})

	It("echoes a 64 KiB payload over TCP", func() {
		r := run(prober, resp.Addr(), 2*time.Second, probes.PeerOptions{Transport: "tcp", Size: 65536})
		Expect(r.Passed).To(BeTrue(), r.Message)
		Expect(r.Message).To(ContainSubstring("65536 B"))
	})

	It("echoes UDP datagrams and counts them", func() {
		r := run(prober, resp.Addr(), time.Second, probes.PeerOptions{Transport: "udp", Size: 64, Count: 3, Path: "published"})
		Expect(r.Passed).To(BeTrue(), r.Message)
		Expect(r.Sent).To(Equal(3))
		Expect(r.Received).To(Equal(3))
		Expect(r.LossPercent).To(BeZero())
		Expect(r.RTT).To(BeNumerically(">", 0))
		Expect(resp.in.Got()).To(HaveLen(3))
		Expect(resp.in.Got()).To(HaveEach(HaveField("Kind", mesh.InboundUDP)))
	})

	It("runs a large UDP probe's small and large echoes on one socket", func() {
		r := run(prober, resp.Addr(), 2*time.Second, probes.PeerOptions{Transport: "udp", Size: 3000, Count: 1})
		Expect(r.Passed).To(BeTrue(), r.Message)
		got := resp.in.Got()
		Expect(got).To(HaveLen(2))
		Expect([]int{got[0].Size, got[1].Size}).To(Equal([]int{mesh.DefaultSmallSize, 3000}))
		Expect(got[1].Addr).To(Equal(got[0].Addr), "one source port")
	})

	// Buffers and HMAC states are reused: a 64 KiB echo allocated 517 KB
	// over TCP and 336 KB over UDP (both ends together) when every message
	// made its own, a few KiB now. Not a timing: bytes allocated are the
	// same on any machine.
	DescribeTable("reuses its buffers: a 64 KiB probe allocates a few KiB, both ends", Label("alloc"),
		func(transport string) {
			if raceEnabled {
				Skip("sync.Pool drops buffers at random under -race")
			}
			o := probes.PeerOptions{Transport: transport, Size: 65536, Count: 1}
			Expect(run(prober, resp.Addr(), 2*time.Second, o).Passed).To(BeTrue()) // warm the pools
			const n = 50
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range n {
				r := run(prober, resp.Addr(), 2*time.Second, o)
				Expect(r.Passed).To(BeTrue(), r.Message)
			}
			runtime.ReadMemStats(&after)
			Expect((after.TotalAlloc - before.TotalAlloc) / n).To(BeNumerically("<", 16<<10))
		},
		Entry("TCP", "tcp"),
		Entry("UDP", "udp"),
	)

	It("caps large UDP echoes to one datagram", func() {
		r := run(prober, resp.Addr(), 2*time.Second, probes.PeerOptions{Transport: "udp", Size: 65536, Count: 1})
		Expect(r.Passed).To(BeTrue(), r.Message)
		Expect(r.Message).To(ContainSubstring(fmt.Sprintf("udp echo of %d B", mesh.UDPMaxPayload)))
	})

	It("reports a wrong key over TCP as an auth failure and counts bad_mac", func() {
		wrong := mesh.NewProber(mesh.ClientOptions{Key: otherKey, Self: "node-a"})
		r := run(wrong, resp.Addr(), time.Second, probes.PeerOptions{Transport: "tcp"})
		Expect(r.Passed).To(BeFalse())
		Expect(r.Cause).To(Equal(probes.CauseAuth))
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Message).To(Equal("answer from " + resp.Addr() + ": peer refused our key: wrong mesh key?"))
		Expect(dropped(resp, "tcp", mesh.ReasonBadMAC)()).To(Equal(1.0))
		Expect(resp.in.Got()).To(BeEmpty())
	})

	It("gets no UDP echo with a wrong key: a timeout, and bad_mac per datagram", func() {
		wrong := mesh.NewProber(mesh.ClientOptions{Key: otherKey, Self: "node-a", UDPGap: 20 * time.Millisecond})
		r := run(wrong, resp.Addr(), 300*time.Millisecond, probes.PeerOptions{Transport: "udp", Count: 3})
		Expect(r.Cause).To(Equal(probes.CauseTimeout))
		Expect(r.Message).To(ContainSubstring("no answer to 3 datagrams"))
		Expect(r.LossPercent).To(Equal(100.0))
		Eventually(dropped(resp, "udp", mesh.ReasonBadMAC)).Should(Equal(3.0))
	})

	It("flags an answer from another agent than expected as a mismatch", func() {
		r := run(prober, resp.Addr(), time.Second, probes.PeerOptions{Transport: "tcp", Peer: "node-c"})
		Expect(r.Cause).To(Equal(probes.CauseMismatch))
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Message).To(ContainSubstring(`node-b refused a request addressed to "node-c"`))
		Eventually(dropped(resp, "tcp", mesh.ReasonRecipient)).Should(Equal(1.0))
	})

	It("calls a reflected request a mismatch, over TCP and UDP", func() {
		for _, transport := range []string{"tcp", "udp"} {
			r := run(prober, reflector(transport), 300*time.Millisecond, probes.PeerOptions{Transport: transport})
			Expect(r.Cause).To(Equal(probes.CauseMismatch), transport+": "+r.Message)
			Expect(r.Message).To(ContainSubstring("our own request came back"))
		}
	})

	It("calls a service that is not a responder a mismatch", func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(ln.Close)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
				time.Sleep(100 * time.Millisecond)
				_ = c.Close()
			}
		}()
		r := run(prober, ln.Addr().String(), time.Second, probes.PeerOptions{Transport: "tcp"})
		Expect(r.Cause).To(Equal(probes.CauseMismatch))
		Expect(r.Message).To(ContainSubstring("not a swarmlink answer: oversized"))
	})

	It("drops a replayed datagram and a stale one", func() {
		conn := dialUDP(resp.Addr())
		m := mesh.NewMessage(mesh.TypeEchoRequest, "node-a", "overlay", time.Now())
		b := encode(testKey, m)
		Expect(exchange(conn, b)).NotTo(BeEmpty(), "first copy is answered")
		Expect(exchange(conn, b)).To(BeEmpty(), "the replay is not")
		stale := encode(testKey, mesh.NewMessage(mesh.TypeEchoRequest, "node-a", "overlay", time.Now().Add(-time.Minute)))
		Expect(exchange(conn, stale)).To(BeEmpty())
		Expect(dropped(resp, "udp", mesh.ReasonReplay)()).To(Equal(1.0))
		Expect(dropped(resp, "udp", mesh.ReasonClockSkew)()).To(Equal(1.0))
	})

	It("closes a connection announcing a 1 GiB frame and counts it oversized", func() {
		conn := dialTCP(resp.Addr())
		_, err := conn.Write([]byte{0x40, 0, 0, 0})
		Expect(err).NotTo(HaveOccurred())
		Expect(readErr(conn)).To(HaveOccurred())
		Eventually(dropped(resp, "tcp", mesh.ReasonOversized)).Should(Equal(1.0))
	})

	It("closes a connection on a malformed frame and counts it", func() {
		conn := dialTCP(resp.Addr())
		_, err := conn.Write([]byte{0, 0, 0, 5, 1, 2, 3, 4, 5})
		Expect(err).NotTo(HaveOccurred())
		Expect(readErr(conn)).To(HaveOccurred())
		Eventually(dropped(resp, "tcp", mesh.ReasonMalformed)).Should(Equal(1.0))
	})

	It("counts malformed and unknown-version datagrams", func() {
		conn := dialUDP(resp.Addr())
		Expect(exchange(conn, []byte("garbage"))).To(BeEmpty())
		b := encode(testKey, mesh.NewMessage(mesh.TypeEchoRequest, "node-a", "", time.Now()))
		b[0] = 9
		Expect(exchange(conn, b)).To(BeEmpty())
		Expect(dropped(resp, "udp", mesh.ReasonMalformed)()).To(Equal(1.0))
		Expect(dropped(resp, "udp", mesh.ReasonVersion)()).To(Equal(1.0))
	})

	It("answers identity queries", func() {
		id, err := mesh.QueryIdentity(context.Background(), resp.Addr(), testKey)
		Expect(err).NotTo(HaveOccurred())
		Expect(id).To(Equal(mesh.Identity{Name: "node-b", NodeID: "n2", Hostname: "host-b", Role: "worker",
			UnderlayAddrs: []string{"192.0.2.2"}, OverlayAddrs: []string{"10.0.1.2"}, AgentVersion: "1.2.3"}))
	})

	It("refuses identity to a wrong key", func() {
		_, err := mesh.QueryIdentity(context.Background(), resp.Addr(), otherKey)
		Expect(err).To(MatchError(mesh.ErrAuthRefused))
		cause, _ := mesh.Classify(err)
		Expect(cause).To(Equal(probes.CauseAuth))
	})

	It("reports a closed port as refused over TCP and UDP", func() {
		addr := closedPort()
		for _, transport := range []string{"tcp", "udp"} {
			r := run(prober, addr, time.Second, probes.PeerOptions{Transport: transport})
			Expect(r.Cause).To(Equal(probes.CauseRefused), transport+": "+r.Message)
			Expect(r.Reachable).To(BeFalse())
		}
	})

	It("sends beacons the receiver's tracker records", func() {
		tracker := mesh.NewInboundTracker(time.Minute)
		tracker.Expect([]mesh.PeerPath{{Peer: "node-a", Path: "overlay"}}, time.Now())
		rx := startResponder("node-c", mesh.ResponderOptions{Inbound: tracker})
		r := run(prober, rx.Addr(), time.Second, probes.PeerOptions{Transport: "udp", OneWay: true, Count: 3, Path: "overlay"})
		Expect(r.Passed).To(BeTrue(), r.Message)
		Expect(r.Sent).To(Equal(3))
		var arrived int
		var last []mesh.InboundStatus
		Eventually(func() int { // Sweep restarts the counts, so add them up
			last = tracker.Sweep(time.Now())
			Expect(last).To(HaveLen(1))
			arrived += last[0].Arrived
			return arrived
		}).Should(Equal(3))
		Expect(last[0]).To(SatisfyAll(HaveField("Peer", "node-a"), HaveField("Path", "overlay"),
			HaveField("Kind", mesh.InboundBeacon), HaveField("Missing", false)))
	})

	It("refuses connections beyond MaxConns as busy, never as a wrong key, and counts them", func() {
		small := startResponder("node-d", mesh.ResponderOptions{MaxConns: 1})
		held := dialTCP(small.Addr())
		Expect(exchangeTCP(held, encode(testKey, mesh.NewMessage(mesh.TypeIdentityRequest, "x", "", time.Now())))).
			NotTo(HaveOccurred(), "the first connection is served")
		r := run(prober, small.Addr(), time.Second, probes.PeerOptions{Transport: "tcp"})
		Expect(r.Cause).To(Equal(probes.CauseBusy))
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Message).To(HaveSuffix("peer responder is busy: no free connection slot"))
		Expect(r.Message).NotTo(ContainSubstring("key"))
		Expect(dropped(small, "tcp", mesh.ReasonBusy)()).To(Equal(1.0))
	})
})

func dialTCP(addr string) net.Conn {
	GinkgoHelper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(conn.Close)
	return conn
}

func dialUDP(addr string) net.Conn {
	GinkgoHelper()
	conn, err := net.Dial("udp", addr)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(conn.Close)
	return conn
}

// exchange sends one datagram and returns the answer, or nil after 200 ms.
func exchange(conn net.Conn, b []byte) []byte {
	GinkgoHelper()
	_, err := conn.Write(b)
	Expect(err).NotTo(HaveOccurred())
	buf := make([]byte, 1<<16)
	_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := conn.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// exchangeTCP sends one frame and reads one back.
func exchangeTCP(conn net.Conn, b []byte) error {
	if err := mesh.WriteFrame(conn, b); err != nil {
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	_, err := mesh.ReadFrame(conn, 1<<20)
	return err
}

// readErr reads until the peer closes; a timeout means it did not.
func readErr(conn net.Conn) error {
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	var hdr [4]byte
	_, err := io.ReadFull(conn, hdr[:])
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return nil
	}
	return err
}

// reflector sends every TCP stream or UDP datagram back as it came, until
// the spec ends.
func reflector(transport string) string {
	GinkgoHelper()
	if transport == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pc.Close)
		go func() {
			buf := make([]byte, 1<<16)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				_, _ = pc.WriteTo(buf[:n], from)
			}
		}()
		return pc.LocalAddr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ln.Close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

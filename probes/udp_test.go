package probes_test

import (
	"bytes"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
)

// serveUDP runs answer for every datagram on a loopback socket until
// cleanup; answer returns the reply, or nil to swallow the datagram.
func serveUDP(answer func(in []byte) []byte) string {
	pc := listenUDP()
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := answer(buf[:n]); out != nil {
				_, _ = pc.WriteTo(out, from)
			}
		}
	})
	DeferCleanup(func() { _ = pc.Close(); wg.Wait() })
	return pc.LocalAddr().String()
}

var _ = Describe("UDP", func() {
	p := &probes.UDP{}
	echo := func(in []byte) []byte { return bytes.Clone(in) }

	It("passes against an echo server, counting every datagram", func() {
		addr := serveUDP(echo)
		r := run(p, probes.Spec{Target: addr, UDP: &probes.UDPOptions{Count: 3}})
		Expect(r.Cause).To(Equal(probes.CauseOK))
		Expect(r.Passed).To(BeTrue())
		Expect(r.Sent).To(Equal(3))
		Expect(r.Received).To(Equal(3))
		Expect(r.LossPercent).To(BeZero())
		Expect(r.RTT).To(BeNumerically(">", 0))
		Expect(r.Message).To(HavePrefix("udp " + addr + ": 3/3 replies, 0% loss, avg rtt "))
	})

	It("sends the default payload when none is set", func() {
		var got []byte
		var mu sync.Mutex
		addr := serveUDP(func(in []byte) []byte { mu.Lock(); got = bytes.Clone(in); mu.Unlock(); return in })
		Expect(run(p, probes.Spec{Target: addr}).Cause).To(Equal(probes.CauseOK))
		mu.Lock()
		defer mu.Unlock()
		Expect(string(got)).To(Equal("swarmlink-udp-probe"))
	})

	It("matches expect as a substring of the reply", func() {
		addr := serveUDP(func(in []byte) []byte { return append([]byte("pong:"), in...) })
		opts := &probes.UDPOptions{Payload: "ping", Expect: "pong:ping"}
		Expect(run(p, probes.Spec{Target: addr, UDP: opts}).Cause).To(Equal(probes.CauseOK))
		opts.Expect = "PONG"
		r := run(p, probes.Spec{Target: addr, Timeout: 200 * time.Millisecond, UDP: opts})
		Expect(r.Cause).To(Equal(probes.CauseMismatch))
		Expect(r.Reachable).To(BeTrue(), "something answered")
	})

	It("reports a closed port as refused", func() {
		addr := closedUDPAddr()
		r := run(p, probes.Spec{Target: addr})
		Expect(r.Cause).To(Equal(probes.CauseRefused))
		Expect(r.Message).To(Equal("udp " + addr + ": connection refused"))
		Expect(r.Reachable).To(BeFalse())
		Expect(run(p, probes.Spec{Target: addr, Expect: probes.ExpectUnreachable}).Passed).To(BeTrue())
	})

	It("reports a server that swallows everything as timeout with 100% loss", func() {
		addr := serveUDP(func([]byte) []byte { return nil })
		start := time.Now()
		r := run(p, probes.Spec{Target: addr, Timeout: 200 * time.Millisecond, UDP: &probes.UDPOptions{Count: 2}})
		Expect(time.Since(start)).To(BeNumerically("<", time.Second))
		Expect(r.Cause).To(Equal(probes.CauseTimeout))
		Expect(r.Reachable).To(BeFalse())
		Expect(r.Sent).To(BeNumerically(">=", 1), "a busy machine may not get to the second datagram")
		Expect(r.Received).To(BeZero())
		Expect(r.LossPercent).To(BeEquivalentTo(100))
	})

	It("stays reachable and ok under partial loss, reporting it", func() {
		var mu sync.Mutex
		n := 0
		addr := serveUDP(func(in []byte) []byte { // drops every second datagram
			mu.Lock()
			defer mu.Unlock()
			n++
			if n%2 == 0 {
				return nil
			}
			return bytes.Clone(in)
		})
		r := run(p, probes.Spec{Target: addr, Timeout: 300 * time.Millisecond, UDP: &probes.UDPOptions{Count: 2}})
		Expect(r.Cause).To(Equal(probes.CauseOK))
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Passed).To(BeTrue())
		Expect(r.Received).To(Equal(1))
		Expect(r.LossPercent).To(BeEquivalentTo(50))
		Expect(r.Message).To(HavePrefix("udp " + addr + ": 1/2 replies, 50% loss, avg rtt "))
	})
})

package probes_test

import (
	"context"
	"io"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gleak"

	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("Evaluate", func() {
	DescribeTable("passes according to the expectation",
		func(expect probes.Expectation, reachable bool, cause probes.Cause, passed bool) {
			r := probes.Evaluate(probes.Spec{Expect: expect}, probes.Result{Reachable: reachable, Cause: cause, Message: "m"})
			Expect(r.Passed).To(Equal(passed))
			Expect(r.Cause).To(Equal(cause), "Evaluate must not rewrite the cause")
		},
		Entry("reachable, ok", probes.ExpectReachable, true, probes.CauseOK, true),
		Entry("reachable, but mismatch", probes.ExpectReachable, true, probes.CauseMismatch, false),
		Entry("reachable expected, refused", probes.ExpectReachable, false, probes.CauseRefused, false),
		Entry("empty expectation means reachable", probes.Expectation(""), true, probes.CauseOK, true),
		Entry("isolation holds: refused", probes.ExpectUnreachable, false, probes.CauseRefused, true),
		Entry("isolation holds: timeout", probes.ExpectUnreachable, false, probes.CauseTimeout, true),
		Entry("isolation broken: answered", probes.ExpectUnreachable, true, probes.CauseOK, false),
		Entry("isolation broken: answered oddly", probes.ExpectUnreachable, true, probes.CauseMismatch, false),
	)

	It("says why an isolation check failed", func() {
		r := probes.Evaluate(probes.Spec{Expect: probes.ExpectUnreachable},
			probes.Result{Reachable: true, Cause: probes.CauseOK, Message: "connected to x"})
		Expect(r.Message).To(Equal("expected unreachable, but: connected to x"))
	})
})

var _ = Describe("Run", func() {
	It("applies the timeout, fills Started and Duration, and defaults the cause", func() {
		var deadline time.Time
		var hasDeadline bool
		p := probes.ProberFunc(func(ctx context.Context, _ probes.Spec) probes.Result {
			deadline, hasDeadline = ctx.Deadline()
			return probes.Result{Reachable: true}
		})
		before := time.Now()
		r := probes.Run(context.Background(), p, probes.Spec{Timeout: time.Second})
		Expect(hasDeadline).To(BeTrue())
		Expect(deadline).To(BeTemporally("~", before.Add(time.Second), 100*time.Millisecond))
		Expect(r.Started).To(BeTemporally(">=", before))
		Expect(r.Duration).To(BeNumerically(">", 0))
		Expect(r.Cause).To(Equal(probes.CauseError))
		Expect(r.Passed).To(BeFalse())
	})
})

var _ = Describe("Default", func() {
	It("registers every kind this package implements", func() {
		reg := probes.Default()
		for _, kind := range []probes.Kind{probes.KindTCP, probes.KindHTTP, probes.KindDNS, probes.KindUDP, probes.KindICMP} {
			p, err := reg.Get(kind)
			Expect(err).NotTo(HaveOccurred())
			Expect(p).NotTo(BeNil())
		}
		_, err := reg.Get(probes.KindPeer)
		Expect(err).To(MatchError(`no prober for kind "peer"`))
	})
})

var _ = Describe("every prober", func() {
	It("leaves no goroutine behind, whether the probe passes, fails or times out", func() {
		ln := listenTCP()
		serveTCP(ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		srv, _ := newHTTPServer(false)
		resolver := startDNS()
		silent := serveUDP(func([]byte) []byte { return nil })
		before := Goroutines()

		short := 100 * time.Millisecond
		reg := probes.Default()
		for _, spec := range []probes.Spec{
			{Kind: probes.KindTCP, Target: ln.Addr().String()},
			{Kind: probes.KindTCP, Target: ln.Addr().String(), Timeout: short, TCP: &probes.TCPOptions{Expect: "x"}},
			{Kind: probes.KindTCP, Target: closedTCPAddr()},
			{Kind: probes.KindHTTP, Target: srv.URL + "/ok"},
			{Kind: probes.KindDNS, Target: "web.swarmlink.test.", DNS: &probes.DNSOptions{Resolver: resolver}},
			{Kind: probes.KindDNS, Target: "web.swarmlink.test.", Timeout: short, DNS: &probes.DNSOptions{Resolver: silent}},
			{Kind: probes.KindUDP, Target: silent, Timeout: short},
			{Kind: probes.KindICMP, Target: "127.0.0.1", Timeout: short, ICMP: &probes.ICMPOptions{Count: 1}},
		} {
			p, err := reg.Get(spec.Kind)
			Expect(err).NotTo(HaveOccurred())
			if spec.Timeout == 0 {
				spec.Timeout = 5 * time.Second
			}
			probes.Run(context.Background(), p, spec)
		}
		Eventually(Goroutines).WithTimeout(2 * time.Second).ShouldNot(HaveLeaked(before))
	})
})

package probes_test

import (
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
)

// testZone is what the test DNS server knows; any other name is NXDOMAIN.
var testZone = map[string][]string{
	"web.swarmlink.test. A":    {"10.0.9.2", "10.0.9.1"}, // answers only, never contacted
	"alias.swarmlink.test. A":  {},                       // exists, no A records
	"txt.swarmlink.test. TXT":  {"v=1"},
	"_svc.swarmlink.test. SRV": {"web.swarmlink.test.:8080"},
}

// zoneHandler answers from testZone: NOERROR (maybe empty) for a known name,
// NXDOMAIN otherwise.
func zoneHandler(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	q := req.Question[0]
	known := false
	for key, values := range testZone {
		name, typ, _ := strings.Cut(key, " ")
		if !strings.EqualFold(name, q.Name) {
			continue
		}
		known = true
		if typ != dns.TypeToString[q.Qtype] {
			continue
		}
		for _, v := range values {
			rr, err := dns.NewRR(zoneRR(name, typ, v))
			if err != nil { // a broken testZone entry: make it visible
				m.Rcode = dns.RcodeServerFailure
				continue
			}
			m.Answer = append(m.Answer, rr)
		}
	}
	if !known {
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

func zoneRR(name, typ, v string) string {
	switch typ {
	case "TXT":
		return name + " 60 IN TXT \"" + v + "\""
	case "SRV":
		host, port, _ := net.SplitHostPort(v)
		return name + " 60 IN SRV 0 0 " + port + " " + host
	}
	return name + " 60 IN " + typ + " " + v
}

// listenUDPAndTCP listens on one loopback port for both UDP and TCP, as a
// resolver address serves both. The TCP port may be taken by someone else,
// so it retries with another port.
func listenUDPAndTCP() (net.PacketConn, net.Listener) {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			DeferCleanup(func() { _ = pc.Close(); _ = ln.Close() })
			return pc, ln
		}
		_ = pc.Close()
	}
	Fail("no loopback port free for both UDP and TCP")
	return nil, nil
}

// startDNS runs the test zone on one loopback port, over UDP and TCP.
func startDNS() string {
	pc, ln := listenUDPAndTCP()
	for _, srv := range []*dns.Server{
		{PacketConn: pc, Handler: dns.HandlerFunc(zoneHandler)},
		{Listener: ln, Handler: dns.HandlerFunc(zoneHandler)},
	} {
		serveDNS(srv)
	}
	return pc.LocalAddr().String()
}

// serveDNS runs srv until cleanup.
func serveDNS(srv *dns.Server) {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ActivateAndServe() }()
	<-started
	DeferCleanup(func() { _ = srv.Shutdown(); <-done })
}

var _ = Describe("DNS", func() {
	p := &probes.DNS{}
	var resolver string
	BeforeEach(func() { resolver = startDNS() })

	probe := func(name string, opts probes.DNSOptions) probes.Result {
		if opts.Resolver == "" {
			opts.Resolver = resolver
		}
		return run(p, probes.Spec{Target: name, DNS: &opts})
	}

	DescribeTable("resolves over both transports and reports every answer",
		func(transport, record string) {
			r := probe("web.swarmlink.test.", probes.DNSOptions{Transport: transport, Record: record})
			Expect(r.Cause).To(Equal(probes.CauseOK))
			Expect(r.Reachable).To(BeTrue())
			Expect(r.Passed).To(BeTrue())
			Expect(r.Answers).To(Equal([]string{"10.0.9.1", "10.0.9.2"}))
		},
		Entry("udp, default record (ANY-IP)", "", ""),
		Entry("udp, A", "udp", "A"),
		Entry("tcp, A", "tcp", "A"),
		Entry("tcp, ANY-IP", "tcp", "ANY-IP"),
	)

	It("forces TCP when asked", func() {
		// Only the TCP server answers: with the UDP one gone, udp fails and tcp works.
		pc, ln := listenUDPAndTCP() // the UDP port stays silent
		serveDNS(&dns.Server{Listener: ln, Handler: dns.HandlerFunc(zoneHandler)})

		opts := probes.DNSOptions{Resolver: pc.LocalAddr().String(), Transport: "tcp"}
		Expect(probe("web.swarmlink.test.", opts).Cause).To(Equal(probes.CauseOK))
		opts.Transport = "udp"
		r := run(p, probes.Spec{Target: "web.swarmlink.test.", Timeout: 300 * time.Millisecond, DNS: &opts})
		Expect(r.Cause).To(Equal(probes.CauseTimeout))
		Expect(r.Message).To(Equal("lookup web.swarmlink.test.: resolver " + opts.Resolver + " timed out"))
	})

	DescribeTable("checks expected answers and min_answers",
		func(opts probes.DNSOptions, cause probes.Cause, msg string) {
			r := probe("web.swarmlink.test.", opts)
			Expect(r.Cause).To(Equal(cause))
			Expect(r.Reachable).To(BeTrue())
			Expect(r.Answers).To(HaveLen(2))
			Expect(r.Message).To(Equal(msg))
		},
		Entry("all expected present", probes.DNSOptions{Answers: []string{"10.0.9.2", "10.0.9.1"}},
			probes.CauseOK, "ANY-IP web.swarmlink.test.: 10.0.9.1, 10.0.9.2"),
		Entry("one expected missing", probes.DNSOptions{Record: "A", Answers: []string{"10.0.9.1", "10.0.9.3"}},
			probes.CauseMismatch, "A web.swarmlink.test.: 10.0.9.1, 10.0.9.2; missing 10.0.9.3"),
		Entry("min_answers met", probes.DNSOptions{MinAnswers: 2}, probes.CauseOK, "ANY-IP web.swarmlink.test.: 10.0.9.1, 10.0.9.2"),
		Entry("min_answers not met", probes.DNSOptions{MinAnswers: 3},
			probes.CauseMismatch, "ANY-IP web.swarmlink.test.: 10.0.9.1, 10.0.9.2; want at least 3 answers"),
	)

	It("reports NXDOMAIN as dns, no such host", func() {
		r := probe("nope.swarmlink.test.", probes.DNSOptions{})
		Expect(r.Cause).To(Equal(probes.CauseDNS))
		Expect(r.Message).To(Equal("lookup nope.swarmlink.test.: no such host"))
		Expect(r.Reachable).To(BeFalse())
		Expect(r.Passed).To(BeFalse())
	})

	It("passes an isolation check on a name that does not resolve", func() {
		r := run(p, probes.Spec{Target: "nope.swarmlink.test.", Expect: probes.ExpectUnreachable,
			DNS: &probes.DNSOptions{Resolver: resolver}})
		Expect(r.Passed).To(BeTrue())
	})

	It("reports a name without records of the type as dns", func() {
		r := probe("alias.swarmlink.test.", probes.DNSOptions{Record: "A"})
		Expect(r.Cause).To(Equal(probes.CauseDNS))
		Expect(r.Reachable).To(BeFalse())
	})

	It("reports a refusing resolver as dns, naming it", func() {
		closed := closedUDPAddr()
		r := probe("web.swarmlink.test.", probes.DNSOptions{Resolver: closed})
		Expect(r.Cause).To(Equal(probes.CauseDNS))
		Expect(r.Message).To(Equal("lookup web.swarmlink.test.: resolver " + closed + " refused"))
	})

	It("reads TXT and SRV records", func() {
		r := probe("txt.swarmlink.test.", probes.DNSOptions{Record: "TXT", Answers: []string{"v=1"}})
		Expect(r.Cause).To(Equal(probes.CauseOK))
		Expect(r.Answers).To(Equal([]string{"v=1"}))
		r = probe("_svc.swarmlink.test.", probes.DNSOptions{Record: "SRV", Answers: []string{"WEB.swarmlink.test:8080"}})
		Expect(r.Cause).To(Equal(probes.CauseOK))
		Expect(r.Answers).To(Equal([]string{"web.swarmlink.test:8080"}))
	})

	It("rejects a bad transport", func() {
		r := probe("web.swarmlink.test.", probes.DNSOptions{Transport: "quic"})
		Expect(r.Cause).To(Equal(probes.CauseError))
		Expect(r.Message).To(Equal(`bad dns transport "quic", want udp or tcp`))
	})
})

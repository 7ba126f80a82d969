package probes_test

import (
	"bufio"
	"io"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("TCP", func() {
	p := &probes.TCP{}

	It("passes on an open port", func() {
		ln := listenTCP()
		serveTCP(ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		r := run(p, probes.Spec{Target: ln.Addr().String()})
		Expect(r.Cause).To(Equal(probes.CauseOK))
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Passed).To(BeTrue())
	})

	It("reports a closed port as refused", func() {
		addr := closedTCPAddr()
		r := run(p, probes.Spec{Target: addr})
		Expect(r.Cause).To(Equal(probes.CauseRefused))
		Expect(r.Message).To(Equal("connect " + addr + ": connection refused"))
		Expect(r.Reachable).To(BeFalse())
		Expect(r.Passed).To(BeFalse())
	})

	It("passes an isolation check on a closed port", func() {
		r := run(p, probes.Spec{Target: closedTCPAddr(), Expect: probes.ExpectUnreachable})
		Expect(r.Cause).To(Equal(probes.CauseRefused))
		Expect(r.Passed).To(BeTrue())
	})

	It("fails an isolation check on an open port", func() {
		ln := listenTCP()
		serveTCP(ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		r := run(p, probes.Spec{Target: ln.Addr().String(), Expect: probes.ExpectUnreachable})
		Expect(r.Passed).To(BeFalse())
		Expect(r.Message).To(HavePrefix("expected unreachable, but: connected to"))
	})

	Context("with send/expect", func() {
		var addr string
		BeforeEach(func() {
			ln := listenTCP()
			addr = ln.Addr().String()
			serveTCP(ln, func(c net.Conn) { // answers "PONG <line>" to each line
				line, err := bufio.NewReader(c).ReadString('\n')
				if err == nil {
					_, _ = io.WriteString(c, "PONG "+line)
				}
				_ = c.Close()
			})
		})

		It("passes when the reply contains expect", func() {
			r := run(p, probes.Spec{Target: addr, TCP: &probes.TCPOptions{Send: "ping\n", Expect: "PONG ping"}})
			Expect(r.Cause).To(Equal(probes.CauseOK))
			Expect(r.Passed).To(BeTrue())
		})

		It("reports another reply as mismatch", func() {
			r := run(p, probes.Spec{Target: addr, TCP: &probes.TCPOptions{Send: "ping\n", Expect: "HELLO"}})
			Expect(r.Cause).To(Equal(probes.CauseMismatch))
			Expect(r.Reachable).To(BeTrue())
			Expect(r.Message).To(Equal(`read from ` + addr + `: got "PONG ping\n", want substring "HELLO"`))
		})
	})

	It("times out when the server accepts but never answers", func() {
		ln := listenTCP()
		serveTCP(ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		start := time.Now()
		r := run(p, probes.Spec{Target: ln.Addr().String(), Timeout: 200 * time.Millisecond,
			TCP: &probes.TCPOptions{Send: "ping\n", Expect: "pong"}})
		Expect(time.Since(start)).To(BeNumerically("<", time.Second))
		Expect(r.Cause).To(Equal(probes.CauseTimeout))
		Expect(r.Message).To(Equal("read from " + ln.Addr().String() + ": timed out"))
		Expect(r.Reachable).To(BeTrue(), "it accepted the connection")
		Expect(r.Passed).To(BeFalse())
	})
})

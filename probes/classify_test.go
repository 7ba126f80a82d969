package probes_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
)

// dialErr is what net.Dial returns for a failed connect.
func dialErr(errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
}

var _ = Describe("Classify", func() {
	DescribeTable("maps errors to a cause and a human message",
		func(err error, cause probes.Cause, msg string) {
			c, m := probes.Classify("connect 127.0.0.1:1", err)
			Expect(c).To(Equal(cause))
			Expect(m).To(Equal(msg))
		},
		Entry("nil", nil, probes.CauseOK, "connect 127.0.0.1:1: ok"),
		Entry("refused", dialErr(syscall.ECONNREFUSED), probes.CauseRefused, "connect 127.0.0.1:1: connection refused"),
		Entry("reset", dialErr(syscall.ECONNRESET), probes.CauseReset, "connect 127.0.0.1:1: connection reset by peer"),
		Entry("broken pipe", dialErr(syscall.EPIPE), probes.CauseReset, "connect 127.0.0.1:1: broken pipe"),
		Entry("no route", dialErr(syscall.EHOSTUNREACH), probes.CauseUnreachable, "connect 127.0.0.1:1: no route to host"),
		Entry("network unreachable", dialErr(syscall.ENETUNREACH), probes.CauseUnreachable, "connect 127.0.0.1:1: network is unreachable"),
		Entry("message too long", dialErr(syscall.EMSGSIZE), probes.CauseMTU, "connect 127.0.0.1:1: message too long"),
		Entry("context deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), probes.CauseTimeout, "connect 127.0.0.1:1: timed out"),
		Entry("i/o timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, probes.CauseTimeout, "connect 127.0.0.1:1: timed out"),
		Entry("canceled", context.Canceled, probes.CauseError, "connect 127.0.0.1:1: canceled"),
		Entry("no such host", &net.DNSError{Name: "web", Err: "no such host", IsNotFound: true},
			probes.CauseDNS, "connect 127.0.0.1:1: lookup web: no such host"),
		Entry("resolver refused", &net.DNSError{Name: "web", Server: "127.0.0.1:53", Err: "read udp 127.0.0.1:5->127.0.0.1:53: read: connection refused"},
			probes.CauseDNS, "connect 127.0.0.1:1: lookup web: resolver 127.0.0.1:53 refused"),
		Entry("resolver timeout", &net.DNSError{Name: "web", Server: "127.0.0.1:53", Err: "i/o timeout", IsTimeout: true},
			probes.CauseTimeout, "connect 127.0.0.1:1: lookup web: resolver 127.0.0.1:53 timed out"),
		Entry("other dns failure", &net.DNSError{Name: "web", Server: "127.0.0.1:53", Err: "server misbehaving"},
			probes.CauseDNS, "connect 127.0.0.1:1: lookup web on 127.0.0.1:53: server misbehaving"),
		Entry("unknown authority", &url.Error{Op: "Get", URL: "https://x", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}},
			probes.CauseTLS, "connect 127.0.0.1:1: tls: failed to verify certificate: x509: certificate signed by unknown authority"),
		Entry("not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"},
			probes.CauseTLS, "connect 127.0.0.1:1: tls: first record does not look like a TLS handshake"),
		Entry("alert", &net.OpError{Op: "remote error", Err: tls.AlertError(42)}, probes.CauseTLS, "connect 127.0.0.1:1: tls: bad certificate"),
		Entry("anything else", errors.New("boom"), probes.CauseError, "connect 127.0.0.1:1: boom"),
	)

	It("leaves out an empty op", func() {
		_, m := probes.Classify("", dialErr(syscall.ECONNREFUSED))
		Expect(m).To(Equal("connection refused"))
	})
})

package probes_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
)

// newHTTPServer serves a small test application on loopback and counts the
// TCP connections it accepts.
func newHTTPServer(tls bool) (*httptest.Server, *atomic.Int32) {
	var conns atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "status: healthy v1.2.3") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "broken", http.StatusInternalServerError) })
	mux.HandleFunc("/header", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Probe")+"@"+r.Host)
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) { _, _ = fmt.Fprintf(w, "close=%v", r.Close) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS case logs handshake errors
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	DeferCleanup(srv.Close)
	return srv, &conns
}

var _ = Describe("HTTP", func() {
	p := &probes.HTTP{}

	Context("over plain HTTP", func() {
		var (
			srv   *httptest.Server
			conns *atomic.Int32
		)
		BeforeEach(func() { srv, conns = newHTTPServer(false) })

		DescribeTable("judges status and body",
			func(path string, opts *probes.HTTPOptions, cause probes.Cause, status int, msg string) {
				r := run(p, probes.Spec{Target: srv.URL + path, HTTP: opts})
				Expect(r.Cause).To(Equal(cause))
				Expect(r.Status).To(Equal(status))
				Expect(r.Reachable).To(BeTrue())
				Expect(r.Passed).To(Equal(cause == probes.CauseOK))
				Expect(r.Message).To(Equal("GET " + srv.URL + path + ": " + msg))
			},
			Entry("200 with defaults", "/ok", nil, probes.CauseOK, 200, "status 200"),
			Entry("500 is not 2xx", "/fail", nil, probes.CauseMismatch, 500, "status 500, want 2xx"),
			Entry("500 accepted explicitly", "/fail", &probes.HTTPOptions{Status: []int{500, 503}}, probes.CauseOK, 500, "status 500"),
			Entry("200 not in the list", "/ok", &probes.HTTPOptions{Status: []int{204}}, probes.CauseMismatch, 200, "status 200, want 204"),
			Entry("body contains", "/ok", &probes.HTTPOptions{BodyContains: "healthy"}, probes.CauseOK, 200, "status 200"),
			Entry("body lacks", "/ok", &probes.HTTPOptions{BodyContains: "sick"}, probes.CauseMismatch, 200, `body does not contain "sick"`),
			Entry("body matches", "/ok", &probes.HTTPOptions{BodyRegexp: `v\d+\.\d+`}, probes.CauseOK, 200, "status 200"),
			Entry("body does not match", "/ok", &probes.HTTPOptions{BodyRegexp: `^v\d`}, probes.CauseMismatch, 200, `body does not match /^v\d/`),
			Entry("headers are sent, Host too", "/header",
				&probes.HTTPOptions{Headers: map[string]string{"X-Probe": "yes", "Host": "web.local"}, BodyContains: "yes@web.local"},
				probes.CauseOK, 200, "status 200"),
			Entry("redirects stop after 5", "/loop", nil, probes.CauseMismatch, 302, "status 302, want 2xx"),
		)

		It("uses the method", func() {
			r := run(p, probes.Spec{Target: srv.URL + "/ok", HTTP: &probes.HTTPOptions{Method: "HEAD"}})
			Expect(r.Message).To(Equal("HEAD " + srv.URL + "/ok: status 200"))
		})

		It("opens a new connection for every probe (keep-alive off)", func() {
			for range 2 {
				Expect(run(p, probes.Spec{Target: srv.URL + "/ok"}).Cause).To(Equal(probes.CauseOK))
			}
			Expect(conns.Load()).To(BeEquivalentTo(2))
			r := run(p, probes.Spec{Target: srv.URL + "/close", HTTP: &probes.HTTPOptions{BodyContains: "close=true"}})
			Expect(r.Cause).To(Equal(probes.CauseOK), "the request asks for Connection: close")
		})

		It("rejects a bad regexp before any request", func() {
			r := run(p, probes.Spec{Target: srv.URL + "/ok", HTTP: &probes.HTTPOptions{BodyRegexp: "("}})
			Expect(r.Cause).To(Equal(probes.CauseError))
			Expect(r.Message).To(HavePrefix("bad body_regexp: "))
			Expect(conns.Load()).To(BeZero())
		})
	})

	It("reports a closed port as refused", func() {
		addr := closedTCPAddr()
		r := run(p, probes.Spec{Target: "http://" + addr + "/"})
		Expect(r.Cause).To(Equal(probes.CauseRefused))
		Expect(r.Message).To(Equal("GET http://" + addr + "/: connection refused"))
		Expect(r.Reachable).To(BeFalse())
	})

	Context("over TLS with a self-signed certificate", func() {
		var srv *httptest.Server
		BeforeEach(func() { srv, _ = newHTTPServer(true) })

		It("fails verification with cause tls", func() {
			r := run(p, probes.Spec{Target: srv.URL + "/ok"})
			Expect(r.Cause).To(Equal(probes.CauseTLS))
			Expect(r.Message).To(Equal("GET " + srv.URL + "/ok: tls: failed to verify certificate: x509: certificate signed by unknown authority"))
			Expect(r.Reachable).To(BeTrue(), "something answered the handshake")
			Expect(r.Passed).To(BeFalse())
		})

		It("passes with tls_skip_verify", func() {
			r := run(p, probes.Spec{Target: srv.URL + "/ok", HTTP: &probes.HTTPOptions{TLSSkipVerify: true}})
			Expect(r.Cause).To(Equal(probes.CauseOK))
			Expect(r.Passed).To(BeTrue())
		})
	})
})

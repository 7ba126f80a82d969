package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/api"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
)

type fakeHistory struct{ last history.Filter }

func (f *fakeHistory) Query(_ context.Context, flt history.Filter) ([]history.Record, error) {
	f.last = flt
	return []history.Record{{Probe: "p"}}, nil
}

func (f *fakeHistory) Transitions(_ context.Context, flt history.Filter) ([]history.Transition, error) {
	f.last = flt
	return nil, nil
}

type noChecks struct{}

func (noChecks) Checks() []controller.CheckStatus { return nil }

var _ = Describe("Server", func() {
	var (
		srv      *httptest.Server
		hist     *fakeHistory
		token    string
		reloaded int
		verified int
		busy     bool
	)
	BeforeEach(func() {
		hist, token, reloaded, verified, busy = &fakeHistory{}, "", 0, 0, false
		s := api.New(api.Options{Checks: noChecks{}, History: hist, Gatherer: prometheus.NewRegistry(),
			Status: func(context.Context) any { return map[string]string{"name": "n1"} },
			Ready:  func() error { return errors.New("store not open") },
			Reload: func() error { reloaded++; return nil }, Token: func() string { return token },
			Verify: func() (any, error) {
				if busy {
					return nil, errors.New("a verification run is already running")
				}
				verified++
				return map[string]any{"started": true}, nil
			},
			Log: zap.NewNop()})
		srv = httptest.NewServer(s.Handler())
		DeferCleanup(srv.Close)
	})

	do := func(method, path, auth string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	It("answers liveness independently of readiness", func() {
		code, _ := do("GET", "/healthz", "")
		Expect(code).To(Equal(200))
		code, body := do("GET", "/readyz", "")
		Expect(code).To(Equal(503))
		Expect(body).To(ContainSubstring("store not open"))
	})

	It("passes history filters through and rejects bad ones with the parameter name", func() {
		code, _ := do("GET", "/api/v1/history?source=a&destination=b&path=overlay&probe=p&direction=inbound&since=1h&limit=5", "")
		Expect(code).To(Equal(200))
		Expect(hist.last).To(And(HaveField("Source", "a"), HaveField("Destination", "b"), HaveField("Path", "overlay"),
			HaveField("Probe", "p"), HaveField("Direction", "inbound"), HaveField("Limit", 5)))
		Expect(hist.last.Since.IsZero()).To(BeFalse())
		code, body := do("GET", "/api/v1/history?limit=0", "")
		Expect(code).To(Equal(400))
		Expect(body).To(ContainSubstring("limit"))
		code, body = do("GET", "/api/v1/history?since=yesterday", "")
		Expect(code).To(Equal(400))
		Expect(body).To(ContainSubstring("since"))
	})

	It("is read-only: writes are refused without a configured token", func() {
		code, _ := do("POST", "/api/v1/reload", "")
		Expect(code).To(Equal(403))
		code, _ = do("DELETE", "/api/v1/checks", "")
		Expect(code).To(Equal(405))
		Expect(reloaded).To(Equal(0))
	})

	It("allows an authenticated write with the right bearer token only", func() {
		token = "s3cret"
		code, _ := do("POST", "/api/v1/reload", "Bearer wrong")
		Expect(code).To(Equal(401))
		code, body := do("POST", "/api/v1/reload", "Bearer s3cret")
		Expect(code).To(Equal(200))
		Expect(strings.TrimSpace(body)).To(ContainSubstring(`"reloaded": true`))
		Expect(reloaded).To(Equal(1))
	})

	It("starts a verification run on demand only when authenticated, one at a time", func() {
		code, _ := do("POST", "/api/v1/verify", "")
		Expect(code).To(Equal(403), "no token configured: read-only")
		token = "s3cret"
		code, _ = do("POST", "/api/v1/verify", "Bearer wrong")
		Expect(code).To(Equal(401))
		Expect(verified).To(BeZero())
		code, body := do("POST", "/api/v1/verify", "Bearer s3cret")
		Expect(code).To(Equal(202))
		Expect(body).To(ContainSubstring(`"started": true`))
		busy = true
		code, body = do("POST", "/api/v1/verify", "Bearer s3cret")
		Expect(code).To(Equal(409))
		Expect(body).To(ContainSubstring("already running"))
		Expect(verified).To(Equal(1))
	})
})

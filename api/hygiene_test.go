package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/api"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/ui"
)

// emptyHistory has nothing: its queries answer nil slices.
type emptyHistory struct{}

func (emptyHistory) Query(context.Context, history.Filter) ([]history.Record, error) { return nil, nil }
func (emptyHistory) Transitions(context.Context, history.Filter) ([]history.Transition, error) {
	return nil, nil
}

var _ = Describe("API hygiene", func() {
	var srv *httptest.Server
	BeforeEach(func() {
		// Wired as the agent wires it: the UI page and its files among the routes.
		s := api.New(api.Options{Checks: noChecks{}, History: emptyHistory{}, Gatherer: prometheus.NewRegistry(),
			Status: func(context.Context) any { return map[string]string{"name": "n1"} },
			Log:    zap.NewNop(), InlineStyles: []string{"'sha256-abc='"},
			Extra: map[string]http.Handler{"GET /{$}": ui.Handler(), "GET " + ui.AssetsPrefix: ui.Assets(),
				"GET /api/v1/nothing": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					var none []string
					api.WriteJSON(w, http.StatusOK, map[string]any{"items": none, "enabled": false})
				})}})
		srv = httptest.NewServer(s.Handler())
		DeferCleanup(srv.Close)
	})

	get := func(path string) (*http.Response, string) {
		GinkgoHelper()
		resp, err := http.Get(srv.URL + path)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		return resp, string(b)
	}

	DescribeTable("sets the security headers on every response, errors included",
		func(method, path string, code int) {
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(code))
			csp := resp.Header.Get("Content-Security-Policy")
			Expect(csp).To(ContainSubstring("frame-ancestors 'none'"))
			Expect(csp).To(ContainSubstring("script-src 'self'"))
			Expect(csp).To(ContainSubstring("style-src 'self' 'sha256-abc='"))
			Expect(csp).To(ContainSubstring("default-src 'none'"))
			Expect(csp).NotTo(ContainSubstring("unsafe-inline"))
			Expect(csp).NotTo(ContainSubstring("unsafe-eval"))
			Expect(resp.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
			Expect(resp.Header.Get("X-Frame-Options")).To(Equal("DENY"))
			Expect(resp.Header.Get("Referrer-Policy")).To(Equal("no-referrer"))
		},
		Entry("the UI page", "GET", "/", 200),
		Entry("the UI script", "GET", "/ui/app.js", 200),
		Entry("liveness", "GET", "/healthz", 200),
		Entry("status", "GET", "/api/v1/status", 200),
		Entry("metrics", "GET", "/metrics", 200),
		Entry("a list", "GET", "/api/v1/outages", 200),
		Entry("a bad query", "GET", "/api/v1/history?since=2300-01-01", 400),
		Entry("a refused write", "POST", "/api/v1/reload", 403),
		Entry("a wrong method", "DELETE", "/api/v1/checks", 405),
		Entry("no such page", "GET", "/nope", 404),
	)

	DescribeTable("answers an empty list as [], never null",
		func(path, key string) {
			resp, body := get(path)
			Expect(resp.StatusCode).To(Equal(200))
			var doc map[string]json.RawMessage
			Expect(json.Unmarshal([]byte(body), &doc)).To(Succeed())
			Expect(string(doc[key])).To(Equal("[]"))
		},
		Entry("outages", "/api/v1/outages", "items"),
		Entry("history", "/api/v1/history", "items"),
		Entry("checks", "/api/v1/checks", "items"),
		Entry("another package's list through WriteJSON", "/api/v1/nothing", "items"),
	)

	DescribeTable("rejects out-of-range or malformed query values with a 400 naming parameter and value",
		func(query, param, value string) {
			resp, body := get("/api/v1/history?" + query)
			Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
			var doc map[string]string
			Expect(json.Unmarshal([]byte(body), &doc)).To(Succeed())
			Expect(doc["error"]).To(HavePrefix(param))
			Expect(doc["error"]).To(ContainSubstring(`"` + value + `"`))
		},
		Entry("a date past the store's range", "since=2300-01-01", "since", "2300-01-01"),
		Entry("a time past the range", "until=2300-01-01T00:00:00Z", "until", "2300-01-01T00:00:00Z"),
		Entry("a time before 1970", "since=1969-12-31T23:59:59Z", "since", "1969-12-31T23:59:59Z"),
		Entry("a duration beyond 1970", "since=1000000h", "since", "1000000h"),
		Entry("an overflowing duration", "since=9999999999999h", "since", "9999999999999h"),
		Entry("a negative duration", "since=-5m", "since", "-5m"),
		Entry("since after until", "since=2026-01-02&until=2026-01-01", "since", "2026-01-02"),
		Entry("a negative limit", "limit=-1", "limit", "-1"),
		Entry("a zero limit", "limit=0", "limit", "0"),
		Entry("a huge limit", "limit=10001", "limit", "10001"),
		Entry("an overflowing limit", "limit=99999999999999999999", "limit", "99999999999999999999"),
	)

	It("accepts a date, an RFC 3339 time and a duration ago", func() {
		for _, q := range []string{"since=2026-01-02", "until=2026-01-02T15:04:05Z", "since=15m&until=1m", "limit=10000"} {
			resp, _ := get("/api/v1/history?" + q)
			Expect(resp.StatusCode).To(Equal(200), q)
		}
	})

	It("serves a UI page with no inline script or style, whose files it serves itself", func() {
		resp, page := get("/")
		Expect(resp.StatusCode).To(Equal(200))
		Expect(page).NotTo(MatchRegexp(`(?i)<script(\s[^>]*)?>[^<]*\S[^<]*</script>`), "no inline script body")
		Expect(page).NotTo(MatchRegexp(`(?i)<script(\s+(type|defer|async)(=["'][^"']*["'])?)*\s*>`), "every script has a src")
		Expect(page).NotTo(MatchRegexp(`(?i)<style`))
		Expect(page).NotTo(MatchRegexp(`(?i)<[a-z][^>]*\s(style|on[a-z]+)\s*=`), "no style or event attributes")
		Expect(page).NotTo(MatchRegexp(`(?i)javascript:`))
		refs := regexp.MustCompile(`(?:src|href)="(/ui/[^"]+)"`).FindAllStringSubmatch(page, -1)
		served := map[string]int{}
		for _, ref := range refs {
			resp, body := get(ref[1])
			Expect(resp.StatusCode).To(Equal(200), ref[1])
			Expect(body).NotTo(BeEmpty())
			u, _ := url.Parse(ref[1])
			switch {
			case strings.HasSuffix(u.Path, ".js"):
				Expect(resp.Header.Get("Content-Type")).To(HavePrefix("text/javascript"))
				served["script"]++
			case strings.HasSuffix(u.Path, ".css"):
				Expect(resp.Header.Get("Content-Type")).To(HavePrefix("text/css"))
				served["style"]++
			}
		}
		Expect(served).To(And(HaveKey("script"), HaveKey("style")), "the page's script and stylesheet are files")
	})
})

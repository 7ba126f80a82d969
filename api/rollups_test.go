package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/api"
	"github.com/swarmlink/swarmlink/history"
)

// startStore opens a real history store in a temp dir and runs its writer
// until the spec ends.
func startStore() *history.Store {
	s, err := history.Open(filepath.Join(GinkgoT().TempDir(), "history.db"), history.Options{}, zap.NewNop())
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 10*time.Second).Should(Receive(BeNil()))
		Expect(s.Close()).To(Succeed())
	})
	return s
}

var _ = Describe("GET /api/v1/rollups", func() {
	var (
		srv   *httptest.Server
		store *history.Store
		// the minute before the last full one, so the default window holds it
		base = time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Minute)
	)
	BeforeEach(func() {
		store = startStore()
		s := api.New(api.Options{Checks: noChecks{}, History: store, Gatherer: prometheus.NewRegistry(), Log: zap.NewNop()})
		srv = httptest.NewServer(s.Handler())
		DeferCleanup(srv.Close)
	})

	get := func(query string) (int, string) {
		resp, err := http.Get(srv.URL + "/api/v1/rollups?" + query)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	link := "source=a&destination=b&path=overlay&probe=overlay-udp"
	fill := func(recs ...history.Record) {
		GinkgoHelper()
		for _, r := range recs {
			Expect(store.Append(context.Background(), r)).To(Succeed())
		}
		Expect(store.Flush(context.Background())).To(Succeed())
	}
	echo := func(t time.Time, probe string, received int, rtt float64) history.Record {
		return history.Record{Time: t, Source: "a", Destination: "b", Path: "overlay", Probe: probe,
			Direction: history.DirectionOutbound, Kind: "peer", Passed: received > 0, Reachable: received > 0,
			Details: map[string]any{"sent": 4, "received": received, "rtt_seconds": rtt}}
	}

	It("answers an empty list as [] for a link without results", func() {
		code, body := get(link)
		Expect(code).To(Equal(200))
		Expect(body).To(MatchJSON(`{"items": []}`))
	})

	It("answers the minutes of one link in the default window (the last hour), oldest first", func() {
		fill(echo(base.Add(-2*time.Hour), "overlay-udp", 4, .001), // before the default window
			echo(base, "overlay-udp", 4, .002), echo(base.Add(10*time.Second), "overlay-udp", 2, .004),
			echo(base.Add(time.Minute), "overlay-udp", 0, 0),
			echo(base, "overlay-tcp", 4, .009)) // another probe of the same pair
		code, body := get(link)
		Expect(code).To(Equal(200), body)
		var got struct{ Items []history.Rollup }
		Expect(json.Unmarshal([]byte(body), &got)).To(Succeed())
		Expect(got.Items).To(HaveLen(2))
		Expect(got.Items[0].Time.Equal(base)).To(BeTrue())
		Expect(got.Items[0]).To(And(HaveField("Results", 2), HaveField("Sent", 8), HaveField("Received", 6)))
		Expect(*got.Items[0].RTTP50Seconds).To(Equal(.002))
		Expect(*got.Items[0].RTTP99Seconds).To(Equal(.004))
		Expect(*got.Items[0].LossRatio).To(Equal(.25))
		Expect(got.Items[1]).To(And(HaveField("Results", 1), HaveField("Failed", 1)))
		Expect(got.Items[1].RTTP50Seconds).To(BeNil())
		Expect(body).To(ContainSubstring(`"rtt_p50_seconds": null`), "a minute without a round trip says so")
	})

	It("takes since, until and step", func() {
		fill(echo(base, "overlay-udp", 4, .002), echo(base.Add(time.Minute), "overlay-udp", 4, .003))
		q := url.Values{"since": {base.Add(time.Minute).Format(time.RFC3339)},
			"until": {base.Add(5 * time.Minute).Format(time.RFC3339)}, "step": {"5m"}}
		code, body := get(link + "&" + q.Encode())
		Expect(code).To(Equal(200), body)
		var got struct{ Items []history.Rollup }
		Expect(json.Unmarshal([]byte(body), &got)).To(Succeed())
		Expect(got.Items).To(HaveLen(1))
		Expect(got.Items[0].Results).To(Equal(1))
	})

	DescribeTable("rejects a query that is not one bounded link with the reason",
		func(query, reason string) {
			code, body := get(query)
			Expect(code).To(Equal(400))
			Expect(body).To(ContainSubstring(reason))
		},
		Entry("no source", "destination=b&path=overlay&probe=p", "source: required"),
		Entry("no probe", "source=a&destination=b&path=overlay", "probe: required"),
		Entry("more than a week", link+"&since=170h", "longer than 168h0m0s"),
		Entry("reversed", link+"&since=1h&until=2h", "until is before since"),
		Entry("sub-minute step", link+"&step=10s", "step 10s is not a whole number of minutes"),
		Entry("bad step", link+"&step=often", `step: invalid value \"often\"`),
		Entry("bad since", link+"&since=yesterday", "since: invalid time"),
	)

	It("answers 501 when the history cannot roll up", func() {
		s := api.New(api.Options{Checks: noChecks{}, History: &fakeHistory{}, Gatherer: prometheus.NewRegistry(), Log: zap.NewNop()})
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/rollups?"+link, nil))
		Expect(rec.Code).To(Equal(501))
		Expect(strings.TrimSpace(rec.Body.String())).To(ContainSubstring("no rollups"))
	})
})

package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
)

// captured is one request a test receiver got.
type captured struct {
	header http.Header
	body   []byte
}

func capture(status int) (*httptest.Server, chan captured) {
	got := make(chan captured, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- captured{header: r.Header.Clone(), body: b}
		w.WriteHeader(status)
	}))
	DeferCleanup(srv.Close)
	return srv, got
}

var sample = alert.Alert{Fingerprint: "f1", Name: alert.NameLinkDown, Status: alert.StatusFiring, Source: "a",
	Destination: "b", Path: "overlay", Cause: "timeout", Summary: "link a -> b on overlay is down (timeout)",
	Reporter: "a", StartsAt: t0, GeneratorURL: "http://a:9470/#alerts/f1"}

var _ = Describe("webhook notifier", func() {
	now := func() time.Time { return t0 }

	It("signs timestamp.body with HMAC-SHA256 and the receiver can verify it", func() {
		srv, got := capture(http.StatusOK)
		w := alert.NewWebhook("ops", srv.URL, writeKey("s3cret"), alert.HTTPOptions{Now: now})
		Expect(w.Name()).To(Equal("webhook/ops"))
		Expect(w.Notify(context.Background(), []alert.Alert{sample})).To(Succeed())
		var req captured
		Expect(got).To(Receive(&req))
		ts := req.header.Get(alert.HeaderTimestamp)
		Expect(ts).To(Equal(strconv.FormatInt(t0.Unix(), 10)))
		Expect(req.header.Get(alert.HeaderSignature)).To(MatchRegexp(`^sha256=[0-9a-f]{64}$`))
		Expect(alert.VerifySignature([]byte("s3cret"), ts, req.body, req.header.Get(alert.HeaderSignature))).To(Succeed())
		Expect(alert.VerifySignature([]byte("other"), ts, req.body, req.header.Get(alert.HeaderSignature))).
			To(MatchError(alert.ErrBadSignature))
		Expect(alert.VerifySignature([]byte("s3cret"), "1", req.body, req.header.Get(alert.HeaderSignature))).
			To(MatchError(alert.ErrBadSignature), "the timestamp is signed too")
		var p alert.WebhookPayload
		Expect(json.Unmarshal(req.body, &p)).To(Succeed())
		Expect(p.Version).To(Equal("1"))
		Expect(p.Sender).To(Equal("a"))
		Expect(p.Alerts).To(HaveLen(1))
		Expect(p.Alerts[0].Status).To(Equal("firing"))
	})

	It("reads the key at every send, so it can be rotated", func() {
		srv, got := capture(http.StatusOK)
		keyFile := writeKey("one")
		w := alert.NewWebhook("ops", srv.URL, keyFile, alert.HTTPOptions{Now: now})
		Expect(os.WriteFile(keyFile, []byte("two"), 0o600)).To(Succeed())
		Expect(w.Notify(context.Background(), []alert.Alert{sample})).To(Succeed())
		var req captured
		Expect(got).To(Receive(&req))
		Expect(alert.VerifySignature([]byte("two"), req.header.Get(alert.HeaderTimestamp), req.body,
			req.header.Get(alert.HeaderSignature))).To(Succeed())
	})

	It("fails on a missing key file and on a non-2xx answer, without leaking the URL path", func() {
		srv, _ := capture(http.StatusInternalServerError)
		err := alert.NewWebhook("ops", srv.URL+"/T000/secret", "/nonexistent/key", alert.HTTPOptions{}).
			Notify(context.Background(), []alert.Alert{sample})
		Expect(err).To(MatchError(os.ErrNotExist))
		err = alert.NewWebhook("ops", srv.URL+"/T000/secret", writeKey("k"), alert.HTTPOptions{}).
			Notify(context.Background(), []alert.Alert{sample})
		var se *alert.StatusError
		Expect(errorsAs(err, &se)).To(BeTrue())
		Expect(se.Code).To(Equal(http.StatusInternalServerError))
		Expect(err.Error()).NotTo(ContainSubstring("secret"))
	})
})

var _ = Describe("Slack notifier", func() {
	It("posts {\"text\": ...} with one plain status line per alert", func() {
		srv, got := capture(http.StatusOK)
		resolved := sample
		resolved.Status, resolved.EndsAt = alert.StatusResolved, t0.Add(90*time.Second)
		s := alert.NewSlack("team", srv.URL, alert.HTTPOptions{})
		Expect(s.Name()).To(Equal("slack/team"))
		Expect(s.Notify(context.Background(), []alert.Alert{sample, resolved})).To(Succeed())
		var req captured
		Expect(got).To(Receive(&req))
		var body map[string]any
		Expect(json.Unmarshal(req.body, &body)).To(Succeed())
		Expect(body).To(HaveLen(1))
		Expect(body["text"]).To(Equal(
			"[FIRING] SwarmlinkLinkDown a -> b (overlay, cause timeout): link a -> b on overlay is down (timeout) <http://a:9470/#alerts/f1>\n" +
				"[RESOLVED] SwarmlinkLinkDown a -> b (overlay, cause timeout): link a -> b on overlay is down (timeout) (lasted 1m30s) <http://a:9470/#alerts/f1>"))
		Expect(req.header.Get("Content-Type")).To(Equal("application/json"))
	})
})

package alert_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/swarmlink/swarmlink/alert"
)

// deadAddr is a loopback address nothing listens on (connection refused).
func deadAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	return addr
}

// logText renders every captured entry, message and fields, as one text.
func logText(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, e := range logs.All() {
		enc := zapcore.NewMapObjectEncoder()
		for _, f := range e.Context {
			f.AddTo(enc)
		}
		fmt.Fprintf(&b, "%s %s %v\n", e.Level, e.Message, enc.Fields)
	}
	return b.String()
}

var _ = Describe("secrets in delivery failures", func() {
	secrets := []string{"T0SEKRIT", "B0SEKRIT", "SLACKTOKEN", "hookpath9", "qstoken77", "am-pa55"}

	It("never logs a receiver's URL secrets, however often delivery is retried", func() {
		// A receiver that refuses the request and echoes what it got, as some do.
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "unknown hook "+r.URL.String(), http.StatusForbidden)
		}))
		DeferCleanup(echo.Close)
		dead := deadAddr()
		cfg := alert.Config{
			Alertmanager: &alert.AlertmanagerConfig{URL: "http://ops:am-pa55@" + dead},
			Webhooks: []alert.WebhookConfig{{Name: "ops", KeyFile: writeKey("k3y"),
				URL: echo.URL + "/in/hookpath9?token=qstoken77"}},
			Slack: []alert.SlackConfig{{Name: "team", URL: "http://" + dead + "/services/T0SEKRIT/B0SEKRIT/SLACKTOKEN"}},
		}
		core, logs := observer.New(zap.DebugLevel)
		clk := newFakeClock(t0)
		e, err := alert.New(alert.Options{Config: cfg, Self: "a", Queue: newMemKV(), State: newMemKV(),
			Notifiers: alert.NewNotifiers(cfg, alert.HTTPOptions{Timeout: 2 * time.Second}),
			Clock:     clk, Log: zap.New(core), RetryMin: time.Second, RetryMax: time.Second})
		Expect(err).NotTo(HaveOccurred())
		feed(e, check("db", "direct", "pg"), 3, false, clk.Now())
		clk.Advance(alert.DefaultGrace + time.Second)
		e.Evaluate(context.Background())
		for range 3 {
			e.Deliver(context.Background())
			clk.Advance(2 * time.Second)
		}

		Expect(logs.FilterMessage("notification failed; will retry").Len()).To(Equal(9), "3 notifiers x 3 attempts")
		text := logText(logs)
		Expect(text).To(ContainSubstring("connection refused"), "the cause is still told")
		Expect(text).To(ContainSubstring("403"))
		Expect(text).To(ContainSubstring("/services/REDACTED"), "and which receiver failed")
		for _, s := range secrets {
			Expect(text).NotTo(ContainSubstring(s))
		}
	})

	It("redacts the URL a config error quotes", func() {
		cfg := alert.Config{Slack: []alert.SlackConfig{{Name: "team", URL: "ftp://hooks/services/T0SEKRIT/SLACKTOKEN"}}}
		cfg.ApplyDefaults()
		var msgs []string
		cfg.Validate(func(path, format string, args ...any) { msgs = append(msgs, path+": "+fmt.Sprintf(format, args...)) })
		Expect(msgs).To(ConsistOf(`slack[0].url: invalid URL "ftp://hooks/services/REDACTED": expected http:// or https:// with a host`))
	})
})

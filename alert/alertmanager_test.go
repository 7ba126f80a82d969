package alert_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmlink/swarmlink/alert"
)

// runEngine starts an engine on the wall clock with short timings against
// the real Alertmanager, and stops it when the spec ends.
func runEngine(reg *prometheus.Registry) *alert.Engine {
	cfg := alert.Config{Grace: time.Millisecond, Settle: time.Millisecond, ResendInterval: time.Second,
		ExternalURL: "http://node-a.example:9470/", Alertmanager: &alert.AlertmanagerConfig{URL: am.url(), Timeout: time.Second}}
	e, err := alert.New(alert.Options{Config: cfg, Self: "a", Cluster: "test", Queue: newMemKV(), State: newMemKV(),
		Notifiers: alert.NewNotifiers(cfg, alert.HTTPOptions{}), Log: testLogger(), Registerer: reg,
		Tick: 20 * time.Millisecond, RetryMin: 50 * time.Millisecond, RetryMax: 400 * time.Millisecond})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Start(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done).Should(Receive(BeNil()))
	})
	return e
}

var _ = Describe("Alertmanager notifier against a real Alertmanager", Serial, Ordered, func() {
	BeforeEach(needAlertmanager)

	It("delivers a firing alert with the right labels, then resolves it", func() {
		e := runEngine(prometheus.NewRegistry())
		c := check("am-e2e-1", "direct", "web")
		feed(e, c, 3, false, time.Now())
		Eventually(func() ([]amAlert, error) { return am.active("am-e2e-1") }).
			WithTimeout(10 * time.Second).Should(HaveLen(1))
		got, _ := am.active("am-e2e-1")
		Expect(got[0].Labels).To(Equal(map[string]string{"alertname": "SwarmlinkCheckFailed", "source": "a",
			"destination": "am-e2e-1", "path": "direct", "cause": "timeout", "severity": "warning",
			"cluster": "test", "probe": "web"}))
		Expect(got[0].Annotations["summary"]).To(ContainSubstring("check web from a to am-e2e-1 fails"))
		Expect(got[0].Annotations["description"]).To(ContainSubstring("probe said timeout"))
		Expect(got[0].GeneratorURL).To(HavePrefix("http://node-a.example:9470/#alerts/"))
		Expect(got[0].EndsAt).To(BeTemporally(">", time.Now().Add(2*time.Second)), "endsAt = now + 4x resend")

		feed(e, c, 2, true, time.Now())
		Eventually(func() ([]amAlert, error) { return am.active("am-e2e-1") }).
			WithTimeout(10 * time.Second).Should(BeEmpty())
		Expect(e.Alerts()).To(BeEmpty())
	})

	It("keeps the alert queued while Alertmanager is down and delivers it once it is back", func() {
		reg := prometheus.NewRegistry()
		e := runEngine(reg)
		am.stop()
		restarted := false
		DeferCleanup(func() {
			if !restarted {
				am.start()
			}
		})
		feed(e, check("am-e2e-2", "direct", "web"), 3, false, time.Now())
		Eventually(func() float64 { return gauge(reg, "swarmlink_notifications_total", "alertmanager", "failure") }).
			WithTimeout(5 * time.Second).Should(BeNumerically(">=", 3))
		Expect(gauge(reg, "swarmlink_notification_queue_length")).To(BeNumerically(">=", 1))
		Consistently(func() float64 { return gauge(reg, "swarmlink_notifications_total", "alertmanager", "failure") }).
			WithTimeout(300*time.Millisecond).Should(BeNumerically("<", 12), "backing off, not hammering")

		am.start()
		restarted = true
		Eventually(func() ([]amAlert, error) { return am.active("am-e2e-2") }).
			WithTimeout(10 * time.Second).Should(HaveLen(1))
		Eventually(func() float64 { return gauge(reg, "swarmlink_notification_queue_length") }).Should(BeZero())
		Expect(gauge(reg, "swarmlink_notifications_total", "alertmanager", "success")).To(BeNumerically(">=", 1))
	})
})

package alert_test

import (
	"bytes"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"

	"github.com/swarmlink/swarmlink/alert"
)

// load decodes an alerting section strictly, applies defaults and returns
// the config with every validation error as "path: message".
func load(src string) (alert.Config, []string) {
	var c alert.Config
	dec := yaml.NewDecoder(bytes.NewBufferString(src))
	dec.KnownFields(true)
	Expect(dec.Decode(&c)).To(Succeed())
	c.ApplyDefaults()
	var errs []string
	c.Validate(func(path, format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	})
	return c, errs
}

var _ = Describe("Config", func() {
	It("applies the defaults", func() {
		c, errs := load("enabled: true\nalertmanager: {url: http://am:9093}\n")
		Expect(errs).To(BeEmpty())
		Expect(c.FailingAfter).To(Equal(3))
		Expect(c.Window).To(Equal(5))
		Expect(c.RecoverAfter).To(Equal(2))
		Expect(c.Grace).To(Equal(60 * time.Second))
		Expect(c.Settle).To(BeZero(), "one gathering of the views, not a minute")
		Expect(c.DegradedLossPercent).To(Equal(10.0))
		Expect(c.LossPercent).To(Equal(20.0))
		Expect(c.ResendInterval).To(Equal(time.Minute))
		Expect(c.Alertmanager.Timeout).To(Equal(10 * time.Second))
		Expect(c.Evaluators).To(Equal(3), "the sender of a shared alert is among the first three")
	})

	It("decodes a full section and resolves rules per path and probe", func() {
		c, errs := load(`enabled: true
failing_after: 2
window: 4
recover_after: 3
grace: 30s
resend_interval: 2m
external_url: https://swarmlink.example/
rules:
  - {path: overlay, probe: overlay-udp, failing_after: 4, window: 6}
  - {path: direct, recover_after: 1}
alertmanager: {url: "http://am:9093", timeout: 5s}
webhooks: [{name: ops, url: "https://hooks.example/x", key_file: /run/secrets/hook}]
slack: [{name: team, url: "https://hooks.slack.example/T0/B0/x"}]
`)
		Expect(errs).To(BeEmpty())
		Expect(c.For("overlay", "overlay-udp")).To(Equal(alert.Hysteresis{FailingAfter: 4, Window: 6, RecoverAfter: 3}))
		Expect(c.For("direct", "db")).To(Equal(alert.Hysteresis{FailingAfter: 2, Window: 4, RecoverAfter: 1}))
		Expect(c.For("published", "published-tcp")).To(Equal(alert.Hysteresis{FailingAfter: 2, Window: 4, RecoverAfter: 3}))
		Expect(alert.NewNotifiers(c, alert.HTTPOptions{})).To(HaveLen(3))
	})

	DescribeTable("reports every bad value with its path",
		func(src string, want ...string) {
			_, errs := load(src)
			Expect(errs).To(Equal(want))
		},
		Entry("F larger than N", "failing_after: 6\n",
			"failing_after: invalid value 6: expected 1 to window (5)"),
		Entry("negative numbers", "window: -1\nrecover_after: -2\n",
			"window: invalid value -1: expected 1 to 100 results",
			"failing_after: invalid value 3: expected 1 to window (-1)",
			"recover_after: invalid value -2: expected 1 to 100"),
		Entry("negative durations", "grace: -1s\nresend_interval: -1m\n",
			"grace: invalid duration -1s: must not be negative",
			"resend_interval: invalid duration -1m0s: must not be negative"),
		Entry("a rule that matches everything", "rules: [{failing_after: 1}]\n",
			"rules[0]: rule matches every link: set path, probe or both"),
		Entry("a rule whose F exceeds its N", "rules: [{probe: overlay-udp, window: 2}]\n",
			"rules[0].failing_after: invalid value 3: expected 1 to window (2)"),
		Entry("alertmanager without a URL", "alertmanager: {timeout: 5s}\n",
			`alertmanager.url: invalid URL "": expected http:// or https:// with a host`),
		Entry("a bad external URL", "external_url: swarmlink.example\n",
			`external_url: invalid URL "swarmlink.example": expected http:// or https:// with a host`),
		Entry("a webhook without a key and a duplicate name",
			"webhooks: [{name: ops, url: 'http://h/1'}]\nslack: [{name: ops, url: 'ftp://h/2'}]\n",
			"webhooks[0].key_file: missing key file: webhooks are always signed",
			`slack[0].name: duplicate notifier name "ops" (also webhooks[0])`,
			`slack[0].url: invalid URL "ftp://h/2": expected http:// or https:// with a host`),
		Entry("no evaluators", "evaluators: -1\n", "evaluators: must be at least 1, got -1"),
		Entry("a notifier without a name", "slack: [{url: 'http://h/2'}]\n",
			`slack[0].name: invalid name "": expected 1-63 characters of letters, digits, '_', '.', '-'`),
	)

	It("makes New refuse an invalid config", func() {
		_, err := alert.New(alert.Options{Config: alert.Config{FailingAfter: 9}, Self: "a", Queue: newMemKV(), State: newMemKV()})
		Expect(err).To(MatchError(ContainSubstring("failing_after: invalid value 9")))
	})
})

package config_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("Load", func() {
	It("accepts the minimal documented form exactly as written, with defaults", func() {
		c, err := config.Parse("min.yaml", []byte(`probes:
  - name: web
    kind: tcp            # tcp | http | dns | udp | icmp
    target: 127.0.0.1:8080
    interval: 5s
    timeout: 1s
    expect: reachable    # default
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Probes).To(HaveLen(1))
		p := c.Probes[0]
		Expect(p.Interval).To(Equal(5 * time.Second))
		Expect(p.Timeout).To(Equal(time.Second))
		Expect(p.Expect).To(Equal(probes.ExpectReachable))
		Expect(c.Agent.Listen).To(Equal(":9470"))
		Expect(c.Agent.Name).NotTo(BeEmpty())
	})

	It("loads a full file and turns it into checks with stable keys", func() {
		c, err := config.Load("testdata/good.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Probes).To(HaveLen(5))
		Expect(c.Probes[1].Interval).To(Equal(10*time.Second), "defaults.interval applies")
		Expect(c.Probes[4].Interval).To(BeZero(), "a cron probe has no interval")
		checks := c.Checks("node1")
		Expect(checks[0].Key).To(Equal("config/web"))
		Expect(checks[0].Link.Destination).To(Equal("127.0.0.1"))
		Expect(checks[3].Link.Destination).To(Equal("127.0.0.1"))
		Expect(checks[4].Cron).To(Equal("0 3 * * *"))
		Expect(c.Schedules[0].Run).To(Equal("all"))
	})

	It("keeps duration histograms per path and kind unless per_check_histograms says otherwise", func() {
		c, err := config.Parse("h.yaml", []byte("probes: []\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Agent.PerCheckHistograms).To(BeFalse())
		c, err = config.Parse("h.yaml", []byte("agent: {per_check_histograms: true}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Agent.PerCheckHistograms).To(BeTrue())
		_, err = config.Parse("h.yaml", []byte("agent: {per_check_histograms: sometimes}\n"))
		Expect(err).To(MatchError(ContainSubstring("h.yaml:1:31: agent.per_check_histograms:")))
	})

	It("defaults timeout to at most the interval", func() {
		c, err := config.Parse("t.yaml", []byte("probes:\n  - {name: a, kind: tcp, target: '127.0.0.1:1', interval: 2s}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Probes[0].Timeout).To(Equal(2 * time.Second))
	})

	DescribeTable("rejects bad files with every problem, its line and field path",
		func(file string, want []string) {
			_, err := config.Load("testdata/bad/" + file)
			var ce *config.Error
			Expect(errors.As(err, &ce)).To(BeTrue(), "got %v", err)
			got := make([]string, len(ce.Errors))
			for i, fe := range ce.Errors {
				got[i] = fe.Error()
			}
			Expect(got).To(HaveLen(len(want)), "%q", got)
			for i, w := range want {
				Expect(got[i]).To(HavePrefix("testdata/bad/" + file + ":" + w))
			}
		},
		Entry("unknown field and malformed duration", "unknown-and-duration.yaml", []string{
			`5:15: probes[0].interval: invalid duration "5x": expected a duration such as 500ms, 5s or 1m`,
			`7:5: probes[0].colour: unknown field "colour"`,
		}),
		Entry("timeout over interval", "timeout-over-interval.yaml", []string{
			`6:14: probes[0].timeout: timeout 2s is longer than interval 1s: timeout must be <= interval`,
		}),
		Entry("kinds and targets", "bad-kind-target.yaml", []string{
			`3:11: probes[0].kind: invalid kind "smtp": expected tcp, http, dns, udp or icmp`,
			`7:13: probes[1].target: invalid address "no-port": expected host:port`,
			`10:13: probes[2].target: invalid URL "ftp://x/"`,
		}),
		Entry("duplicates and expectations", "duplicate-and-expect.yaml", []string{
			`5:13: probes[0].expect: invalid value "maybe": expected reachable or unreachable`,
			`6:11: probes[1].name: duplicate probe name "a" (also probes[0])`,
		}),
		Entry("cron and time zones", "bad-cron.yaml", []string{
			`2:14: agent.time_zone: unknown time zone "Mars/Olympus"`,
			`7:15: probes[0].schedule: invalid cron schedule "61 * * * *"`,
			`10:11: schedules[0].cron: invalid cron schedule "not cron"`,
			`10:11: schedules[0].cron: unknown time zone "Mars/Olympus"`,
		}),
		Entry("options of another kind and bad option values", "wrong-options.yaml", []string{
			`5:5: probes[0].http: http options given for a probe of kind "tcp"`,
			`11:18: probes[1].dns.transport: invalid value "quic": expected udp or tcp`,
			`12:15: probes[1].dns.record: invalid record type "MX"`,
		}),
		Entry("wrong YAML types", "types.yaml", []string{
			`2:11: agent.listen: expected a string, got a list`,
			`8:14: probes[0].icmp.count: invalid value "many": expected a whole number`,
		}),
		Entry("YAML syntax", "syntax.yaml", []string{`4: YAML syntax error`}),
	)

	It("reports an unreadable file with its path", func() {
		_, err := config.Load("testdata/does-not-exist.yaml")
		Expect(err).To(MatchError(ContainSubstring("testdata/does-not-exist.yaml")))
	})

	It("has a valid embedded default that probes its own API", func() {
		c := config.Default(":19470")
		Expect(c.Probes).To(HaveLen(1))
		Expect(c.Probes[0].Target).To(Equal("http://127.0.0.1:19470/healthz"))
		Expect(c.File).To(Equal(config.EmbeddedDefaultSource))
	})
})

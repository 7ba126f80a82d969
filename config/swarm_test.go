package config_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/config"
)

var _ = Describe("the swarm section", func() {
	It("defaults to label checks when Docker answers, no generated checks, and the probe defaults", func() {
		c, err := config.Parse("s.yaml", []byte("defaults: {interval: 10s, timeout: 3s}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Swarm).To(Equal(config.Swarm{Interval: 10 * time.Second, Timeout: 3 * time.Second,
			Refresh: 15 * time.Second, Resolver: "127.0.0.11:53"}))
		Expect(c.Swarm.LabelsEnabled(true)).To(BeTrue())
		Expect(c.Swarm.LabelsEnabled(false)).To(BeFalse())
	})

	It("takes every key as written; labels: false wins over a Docker engine", func() {
		c, err := config.Parse("s.yaml", []byte(`swarm:
  labels: false
  checks: true
  interval: 5s
  timeout: 1s
  refresh: 30s
  resolver: 127.0.0.1:5353
`))
		Expect(err).NotTo(HaveOccurred())
		off := false
		Expect(c.Swarm).To(Equal(config.Swarm{Labels: &off, Checks: true, Interval: 5 * time.Second,
			Timeout: time.Second, Refresh: 30 * time.Second, Resolver: "127.0.0.1:5353"}))
		Expect(c.Swarm.LabelsEnabled(true)).To(BeFalse())
	})

	It("caps the default timeout at a short interval", func() {
		c, err := config.Parse("s.yaml", []byte("swarm: {interval: 2s}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Swarm.Timeout).To(Equal(2 * time.Second))
	})

	DescribeTable("rejects bad values with their line and field path",
		func(file string, want []string) {
			_, err := config.Load("testdata/bad/" + file)
			var ce *config.Error
			Expect(errors.As(err, &ce)).To(BeTrue(), "got %v", err)
			got := make([]string, len(ce.Errors))
			for i, fe := range ce.Errors {
				got[i] = fe.Error()
			}
			Expect(got).To(Equal(want))
		},
		Entry("durations and the resolver", "swarm.yaml", []string{
			`testdata/bad/swarm.yaml:5:12: swarm.timeout: timeout 2s is longer than interval 1s: timeout must be <= interval`,
			`testdata/bad/swarm.yaml:6:12: swarm.refresh: invalid duration -5s: must be greater than zero`,
			`testdata/bad/swarm.yaml:7:13: swarm.resolver: invalid address "127.0.0.11": expected host:port`,
		}),
		Entry("types and unknown keys", "swarm-types.yaml", []string{
			`testdata/bad/swarm-types.yaml:2:11: swarm.labels: invalid value "maybe": expected a boolean (true or false)`,
			`testdata/bad/swarm-types.yaml:3:3: swarm.vip: unknown field "vip" (known: checks, interval, labels, refresh, resolver, timeout)`,
		}),
	)
})

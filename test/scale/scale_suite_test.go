package scale

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"
)

// The harness's own unit tests: what needs no root. The harness as a whole
// is proven by a run, which ends in Leftovers.
func TestScale(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "test/scale")
}

var _ = Describe("names", func() {
	It("keeps every interface name within IFNAMSIZ and off the e2e cluster's prefix", func() {
		for _, name := range []string{nodeNS(MaxK), nodeVeth(MaxK), Bridge} {
			Expect(len(name)).To(BeNumerically("<=", 15))
			Expect(name).NotTo(HavePrefix("sl-"))
		}
		Expect(nodeAddr(MaxK)).To(Equal("10.97.1.250"))
	})
})

var _ = Describe("config", func() {
	It("lists every other node as a static peer and posts alerts to the bridge", func() {
		o := Options{K: 4, SubsetK: 2, Interval: 5 * time.Second, Timeout: time.Second}
		var c struct {
			Mesh struct {
				SubsetK int `yaml:"subset_k"`
				Static  []struct{ Name, Address string }
			}
			Alerting struct {
				Settle   string
				Webhooks []struct{ URL string }
			}
		}
		Expect(yaml.Unmarshal([]byte(config(o, 2)), &c)).To(Succeed())
		Expect(c.Mesh.SubsetK).To(Equal(2))
		Expect(c.Mesh.Static).To(HaveLen(3))
		for _, p := range c.Mesh.Static {
			Expect(p.Name).NotTo(Equal("node2"))
			Expect(p.Address).To(HavePrefix("10.97.1."))
		}
		Expect(c.Alerting.Settle).To(Equal("0s"), "the agent's default")
		Expect(c.Alerting.Webhooks[0].URL).To(Equal("http://10.97.0.1:9095/hook"))
		o.Settle = 10 * time.Second
		Expect(yaml.Unmarshal([]byte(config(o, 2)), &c)).To(Succeed())
		Expect(c.Alerting.Settle).To(Equal("10s"), "-settle")
	})
})

var _ = Describe("faultBound", func() {
	DescribeTable("two results per link over the rotation's cover, settle and slack, capped",
		func(k, subset int, interval, maxWait, want time.Duration) {
			Expect(faultBound(Options{K: k, SubsetK: subset, Interval: interval, MaxWait: maxWait})).To(Equal(want))
		},
		Entry("full mesh", 20, 0, 5*time.Second, time.Hour, 45*time.Second),
		Entry("subset: ceil(49/10)=5 rounds", 50, 10, 10*time.Second, time.Hour, 155*time.Second),
		Entry("capped", 50, 10, 10*time.Second, 100*time.Second, 100*time.Second),
	)
})

var _ = Describe("alertBudget", func() {
	It("is F × interval + timeout + 2 s, F = 2", func() {
		Expect(alertBudget(Options{Interval: 120 * time.Second, Timeout: 3 * time.Second})).To(Equal(245 * time.Second))
	})
})

var _ = Describe("healthyBound", func() {
	DescribeTable("a cover of rounds after three intervals and slack, at most ten minutes or -max-wait",
		func(k, subset int, interval, maxWait, want time.Duration) {
			Expect(healthyBound(Options{K: k, SubsetK: subset, Interval: interval, MaxWait: maxWait})).To(Equal(want))
		},
		Entry("full mesh", 20, 0, 5*time.Second, time.Second, 35*time.Second),
		Entry("subset: ceil(49/10)=5 rounds", 50, 10, 30*time.Second, time.Second, 255*time.Second),
		Entry("capped", 200, 10, 60*time.Second, time.Second, 10*time.Minute),
		Entry("capped by a longer -max-wait", 200, 20, 120*time.Second, 20*time.Minute, 20*time.Minute),
	)
})

var _ = Describe("linkNames", func() {
	It("strips the peer suffix of ip -o link", func() {
		out := "1: lo: <LOOPBACK> mtu 65536\n140: scl-v1@if2: <BROADCAST> mtu 1500\n"
		Expect(linkNames(out)).To(Equal([]string{"lo", "scl-v1"}))
	})
})

var _ = Describe("spread", func() {
	It("is min, median and max", func() {
		Expect(spread([]float64{3, 1, 2})).To(Equal([3]float64{1, 2, 3}))
		Expect(spread(nil)).To(Equal([3]float64{}))
	})
})

var _ = Describe("Table", func() {
	It("names the mode and every figure", func() {
		var b strings.Builder
		Table(&b, &Result{K: 50, Mode: "subset", SubsetK: 10})
		Expect(b.String()).To(ContainSubstring("K=50 (subset_k=10"))
		Expect(b.String()).To(ContainSubstring("SwarmlinkHostUnreachable"))
	})
})

package charts_test

import (
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("promtool", func() {
	var promtool string
	BeforeEach(func() {
		var err error
		if promtool, err = exec.LookPath("promtool"); err != nil {
			Skip("promtool is not on PATH (Debian: apt-get install prometheus, or sh hack/deps.sh): rules not checked")
		}
	})

	DescribeTable("accepts the Prometheus artefacts",
		func(args ...string) {
			out, err := exec.Command(promtool, args...).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "promtool %v:\n%s", args, out)
		},
		Entry("check rules", "check", "rules", "prometheus/rules.yml"),
		Entry("test rules: every alert fires, and only, where rules_test.yml says", "test", "rules", "prometheus/rules_test.yml"),
		Entry("check config: the scrape config and the rules it loads", "check", "config", "prometheus/scrape.yml"),
	)
})

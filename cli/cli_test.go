package cli_test

import (
	"encoding/json"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

type verifyDoc struct {
	Passed  bool `json:"passed"`
	Results []struct {
		Name            string  `json:"name"`
		Passed          bool    `json:"passed"`
		Cause           string  `json:"cause"`
		DurationSeconds float64 `json:"duration_seconds"`
	} `json:"results"`
}

var _ = Describe("swarmlink config validate", func() {
	It("prints an unknown field and a malformed duration, each with line and field path, and exits 2", func() {
		f := writeFile(GinkgoT().TempDir(), "bad.yaml", `probes:
  - name: web
    kind: tcp
    target: 127.0.0.1:8080
    interval: 5x
    timeout: 1s
    colour: red
`)
		s := run("config", "validate", f)
		Expect(s.ExitCode()).To(Equal(2))
		Expect(s.Err).To(gbytesSay(f + `:5:15: probes\[0\].interval: invalid duration "5x"`))
		Expect(s.Err).To(gbytesSay(f + `:7:5: probes\[0\].colour: unknown field "colour"`))
	})

	It("exits 2, without a panic, on the cron schedules robfig/cron panics on", func() {
		f := writeFile(GinkgoT().TempDir(), "tz.yaml", `probes:
  - name: web
    kind: tcp
    target: 127.0.0.1:8080
    schedule: "TZ=UTC"
schedules:
  - {name: nightly, cron: "CRON_TZ=UTC"}
  - {name: other, cron: "TZ="}
`)
		s := run("config", "validate", f)
		Expect(s.ExitCode()).To(Equal(2))
		Expect(string(s.Err.Contents())).NotTo(ContainSubstring("panic"))
		Expect(s.Err).To(gbytesSay(f + `:5:15: probes\[0\].schedule: invalid cron schedule "TZ=UTC": TZ= and CRON_TZ= prefixes are not supported: set the time_zone field instead`))
		Expect(s.Err).To(gbytesSay(f + `:7:27: schedules\[0\].cron: invalid cron schedule "CRON_TZ=UTC": TZ= and CRON_TZ=`))
		Expect(s.Err).To(gbytesSay(f + `:8:25: schedules\[1\].cron: invalid cron schedule "TZ=": TZ= and CRON_TZ=`))
	})

	It("accepts a valid file with exit 0", func() {
		f := writeFile(GinkgoT().TempDir(), "ok.yaml", "probes:\n  - {name: web, kind: tcp, target: '127.0.0.1:8080'}\n")
		Expect(run("config", "validate", f).ExitCode()).To(Equal(0))
	})
})

var _ = Describe("swarmlink verify", func() {
	It("exits 1 with causes ok and refused for an open and a closed loopback port", func() {
		_, open := listen()
		closed := fmt.Sprintf("127.0.0.1:%d", freePort())
		f := writeFile(GinkgoT().TempDir(), "v.yaml", fmt.Sprintf(`probes:
  - {name: open, kind: tcp, target: "%s", timeout: 1s}
  - {name: closed, kind: tcp, target: "%s", timeout: 1s}
`, open, closed))
		s := run("verify", "--config", f, "--format", "json")
		Expect(s.ExitCode()).To(Equal(1))
		var doc verifyDoc
		Expect(json.Unmarshal(s.Out.Contents(), &doc)).To(Succeed())
		Expect(doc.Passed).To(BeFalse())
		Expect(doc.Results).To(HaveLen(2))
		Expect(doc.Results[0].Name).To(Equal("closed"))
		Expect(doc.Results[0].Cause).To(Equal("refused"))
		Expect(doc.Results[0].Passed).To(BeFalse())
		Expect(doc.Results[1].Cause).To(Equal("ok"))
		Expect(doc.Results[1].Passed).To(BeTrue())
		Expect(doc.Results[1].DurationSeconds).To(BeNumerically(">", 0))
	})

	It("exits 0 when the closed port is an isolation check", func() {
		f := writeFile(GinkgoT().TempDir(), "v.yaml", fmt.Sprintf(
			"probes:\n  - {name: isolated, kind: tcp, target: \"127.0.0.1:%d\", expect: unreachable}\n", freePort()))
		s := run("verify", "--config", f, "--format", "json")
		Expect(s.ExitCode()).To(Equal(0))
		var doc verifyDoc
		Expect(json.Unmarshal(s.Out.Contents(), &doc)).To(Succeed())
		Expect(doc.Results[0].Cause).To(Equal("refused"))
		Expect(doc.Results[0].Passed).To(BeTrue())
	})

	It("exits 2 on a config error and on a bad flag", func() {
		f := writeFile(GinkgoT().TempDir(), "v.yaml", "probes: [{name: x, kind: nope, target: y}]\n")
		Expect(run("verify", "--config", f).ExitCode()).To(Equal(2))
		Expect(run("verify", "--config", f, "--format", "xml").ExitCode()).To(Equal(2))
		Expect(run("verify", "--no-such-flag").ExitCode()).To(Equal(2))
	})
})

var _ = Describe("swarmlink verify reports", func() {
	It("writes the Markdown and self-contained HTML report on demand", func() {
		dir := GinkgoT().TempDir()
		f := writeFile(dir, "v.yaml", fmt.Sprintf(
			"probes:\n  - {name: isolated, kind: tcp, target: \"127.0.0.1:%d\", expect: unreachable}\n", freePort()))
		md := run("verify", "--config", f, "--format", "markdown")
		Expect(md.ExitCode()).To(Equal(0))
		Expect(string(md.Out.Contents())).To(ContainSubstring("| PASS | isolated |"))
		out := dir + "/r.html"
		Expect(run("verify", "--config", f, "--format", "html", "--out", out).ExitCode()).To(Equal(0))
		html := readFile(out)
		Expect(html).To(HavePrefix("<!DOCTYPE html>"))
		Expect(html).To(ContainSubstring("isolated"))
		Expect(html).NotTo(MatchRegexp(`(src|href)="https?://`))
	})
})

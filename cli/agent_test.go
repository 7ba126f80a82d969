package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

type checksDoc struct {
	Items []struct {
		Metadata struct{ Name string } `json:"metadata"`
		Status   struct {
			RunningSince time.Time `json:"runningSince"`
			Runs         int       `json:"runs"`
		} `json:"status"`
	} `json:"items"`
}

type statusDoc struct {
	Config struct {
		Successful bool   `json:"successful"`
		Error      string `json:"error"`
	} `json:"config"`
}

type historyDoc struct {
	Items []struct {
		Time  time.Time `json:"time"`
		Probe string    `json:"probe"`
		Cause string    `json:"cause"`
	} `json:"items"`
}

// startAgent runs `swarmlink agent` on a free port and returns its base URL.
func startAgent(args ...string) (*gexec.Session, string) {
	port := freePort()
	args = append([]string{"agent", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--log-format", "json"}, args...)
	s, err := gexec.Start(exec.Command(bin, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait("5s") })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	Eventually(func() error { return getJSON(url+"/api/v1/status", &statusDoc{}) }, "10s").Should(Succeed())
	return s, url
}

func checkNames(url string) func() []string {
	return func() []string {
		var doc checksDoc
		if err := getJSON(url+"/api/v1/checks", &doc); err != nil {
			return nil
		}
		names := []string{}
		for _, it := range doc.Items {
			names = append(names, it.Metadata.Name)
		}
		return names
	}
}

func runningSince(url, name string) time.Time {
	var doc checksDoc
	Expect(getJSON(url+"/api/v1/checks", &doc)).To(Succeed())
	for _, it := range doc.Items {
		if it.Metadata.Name == name {
			return it.Status.RunningSince
		}
	}
	Fail("no check " + name)
	return time.Time{}
}

var _ = Describe("swarmlink agent", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("applies a config edit within 2 s without touching unchanged probes, and survives a broken edit", func() {
		_, target := listen()
		probe := func(name string) string {
			return fmt.Sprintf("  - {name: %s, kind: tcp, target: %q, interval: 1s, timeout: 500ms}\n", name, target)
		}
		cfg := writeFile(dir, "swarmlink.yaml", "probes:\n"+probe("keep")+probe("old"))
		_, url := startAgent("--config", cfg, "--data-dir", filepath.Join(dir, "data"))
		Eventually(checkNames(url), "5s").Should(ConsistOf("keep", "old"))
		since := runningSince(url, "keep")

		writeFile(dir, "swarmlink.yaml", "probes:\n"+probe("keep")+probe("new"))
		Eventually(checkNames(url), "2s", "50ms").Should(ConsistOf("keep", "new"))
		Expect(runningSince(url, "keep")).To(Equal(since))

		writeFile(dir, "swarmlink.yaml", "probes:\n  - {name: keep, kind: tcp, target: nowhere}\n")
		Eventually(func() bool {
			var st statusDoc
			_ = getJSON(url+"/api/v1/status", &st)
			return !st.Config.Successful && st.Config.Error != ""
		}, "2s").Should(BeTrue())
		Consistently(checkNames(url), "1s").Should(ConsistOf("keep", "new"))
		Expect(runningSince(url, "keep")).To(Equal(since))
		Expect(metricsText(url)).To(ContainSubstring("swarmlink_config_last_reload_successful 0"))
	})

	It("keeps every committed result across kill -9 and restart on the same data dir", func() {
		_, target := listen()
		cfg := writeFile(dir, "swarmlink.yaml", fmt.Sprintf(
			"history: {flush_interval: 50ms}\nprobes:\n  - {name: fast, kind: tcp, target: %q, interval: 100ms, timeout: 50ms}\n", target))
		data := filepath.Join(dir, "data")
		s, url := startAgent("--config", cfg, "--data-dir", data)
		var before historyDoc
		Eventually(func() int {
			_ = getJSON(url+"/api/v1/history?limit=10000", &before)
			return len(before.Items)
		}, "10s").Should(BeNumerically(">=", 20))
		Expect(s.Command.Process.Signal(syscall.SIGKILL)).To(Succeed())
		Eventually(s, "5s").Should(gexec.Exit())

		_, url2 := startAgent("--config", cfg, "--data-dir", data)
		var after historyDoc
		Expect(getJSON(url2+"/api/v1/history?limit=10000", &after)).To(Succeed())
		seen := map[time.Time]bool{}
		for _, it := range after.Items {
			seen[it.Time] = true
		}
		for _, it := range before.Items {
			Expect(seen).To(HaveKey(it.Time), "result at %s lost", it.Time)
		}
	})

	It("starts on the embedded default with no config and probes its own API", func() {
		home := GinkgoT().TempDir()
		os.Setenv("XDG_STATE_HOME", home) // used when /var/lib is not writable
		DeferCleanup(os.Unsetenv, "XDG_STATE_HOME")
		_, url := startAgent("--data-dir", filepath.Join(dir, "data"))
		Expect(checkNames(url)()).To(ConsistOf("self-api"))
		resp, err := httpGet(url + "/healthz")
		Expect(err).NotTo(HaveOccurred())
		Expect(resp).To(Equal("ok\n"))
		Expect(httpGet(url + "/")).To(ContainSubstring("<title>swarmlink</title>"))
	})

	It("serves runtime profiles with --pprof on loopback only", func() {
		s := run("agent", "--data-dir", filepath.Join(dir, "data"), "--pprof", "0.0.0.0:0")
		Expect(s.ExitCode()).NotTo(Equal(0))
		Expect(s.Err).To(gbytes.Say(`--pprof "0.0.0.0:0": host "0.0.0.0" is not a loopback address`))
		pp := freePort()
		_, _ = startAgent("--data-dir", filepath.Join(dir, "data2"), "--pprof", fmt.Sprintf("127.0.0.1:%d", pp))
		Expect(httpGet(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/cmdline", pp))).To(ContainSubstring("agent"))
	})
})

var _ = Describe("scheduled full verification", func() {
	It("stores a report per run with the difference from the previous one, listed by /api/v1/reports", func() {
		dir := GinkgoT().TempDir()
		cfg := writeFile(dir, "swarmlink.yaml", fmt.Sprintf(`schedules:
  - {name: often, cron: "*/1 * * * * *"}
probes:
  - {name: down, kind: tcp, target: "127.0.0.1:%d", interval: 1h, timeout: 500ms}
`, freePort()))
		_, url := startAgent("--config", cfg, "--data-dir", filepath.Join(dir, "data"))
		var list struct {
			Items []struct{ ID string } `json:"items"`
		}
		Eventually(func() int {
			_ = getJSON(url+"/api/v1/reports", &list)
			return len(list.Items)
		}, "6s").Should(BeNumerically(">=", 2))
		var rep struct {
			Diff struct {
				Previous    string   `json:"previous"`
				StillBroken []string `json:"still_broken"`
			} `json:"diff"`
		}
		Expect(getJSON(url+"/api/v1/reports/"+list.Items[0].ID, &rep)).To(Succeed())
		Expect(rep.Diff.Previous).To(Equal(list.Items[1].ID))
		Expect(rep.Diff.StillBroken).To(ContainElement("config/down"))
		html, err := httpGet(url + "/api/v1/reports/" + list.Items[0].ID + "?format=html")
		Expect(err).NotTo(HaveOccurred())
		Expect(html).To(ContainSubstring("<table"))
	})
})

var _ = Describe("agent log level", func() {
	It("takes agent.log_level from the config file unless --log-level is given", func() {
		dir := GinkgoT().TempDir()
		port := freePort()
		cfg := writeFile(dir, "warn.yaml", fmt.Sprintf("agent:\n  name: quiet\n  listen: 127.0.0.1:%d\n  log_level: warn\n", port))
		s, err := gexec.Start(exec.Command(bin, "agent", "--config", cfg, "--data-dir", filepath.Join(dir, "data"),
			"--log-format", "json"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() (string, error) { return httpGet(fmt.Sprintf("http://127.0.0.1:%d/healthz", port)) }, "10s").Should(Equal("ok\n"))
		s.Interrupt().Wait("10s")
		Expect(string(s.Err.Contents())).NotTo(ContainSubstring(`"level":"info"`), "agent.log_level: warn")
	})
})

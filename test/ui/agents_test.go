package ui_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/swarmlink/swarmlink/links"
)

// agent runs a real agent node<n> on 127.0.0.<n> (API 19470, mesh 9471)
// whose only peer is node<peer>, as cli/mesh_test.go does (other
// addresses, so both suites can run at once). Its data dir survives a
// restart, so its history does. extra is prepended to its config. The
// caller stops it.
func agent(dir string, n, peer int, extra ...string) (*gexec.Session, string) {
	cfg := filepath.Join(dir, fmt.Sprintf("node%d.yaml", n))
	Expect(os.WriteFile(cfg, []byte(strings.Join(extra, "")+fmt.Sprintf(`agent:
  name: node%[1]d
  listen: 127.0.0.%[1]d:19470
mesh:
  enabled: true
  listen: 127.0.0.%[1]d:9471
  key_file: %[3]s
  interval: 500ms
  timeout: 400ms
  static:
    - {name: node%[2]d, address: 127.0.0.%[2]d}
`, n, peer, filepath.Join(dir, "peer.key"))), 0o600)).To(Succeed())
	s, err := gexec.Start(exec.Command(bin, "agent", "--config", cfg, "--data-dir",
		filepath.Join(dir, fmt.Sprintf("data%d", n)), "--log-format", "json"), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	url := fmt.Sprintf("http://127.0.0.%d:19470", n)
	Eventually(func() error { return getJSON(url+"/healthz", nil) }, "10s").Should(Succeed())
	return s, url
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

type diagnosis struct {
	Verdict  string
	Cells    []struct{ From, To, Path, State, Cause string }
	Findings []struct{ Kind, Summary string }
}

// cellState polls one cell's state in an agent's diagnosis.
func cellState(url, from, to string) func() string {
	return func() string {
		var d diagnosis
		if getJSON(url+"/api/v1/matrix", &d) != nil {
			return "no answer"
		}
		for _, c := range d.Cells {
			if c.From == from && c.To == to {
				return c.State + "/" + c.Cause
			}
		}
		return "absent"
	}
}

type outage struct {
	Source, Destination, Probe string
	End                        *time.Time
}

// healedOutages polls the outages of a direction that have ended.
func healedOutages(url, from, to string) func() int {
	return func() int {
		var o struct{ Items []outage }
		if getJSON(url+"/api/v1/outages?source="+from+"&destination="+to, &o) != nil {
			return -1
		}
		n := 0
		for _, it := range o.Items {
			if it.End != nil {
				n++
			}
		}
		return n
	}
}

var _ = Describe("the UI of a real agent whose peer goes down and comes back", Ordered, func() {
	var dir, u32 string
	var p *page
	var summary string
	var running []*gexec.Session // stopped after the last spec
	start := func(n, peer int, extra ...string) (*gexec.Session, string) {
		s, url := agent(dir, n, peer, extra...)
		running = append(running, s)
		return s, url
	}

	BeforeAll(func() {
		dir = GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "peer.key"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600)).To(Succeed())
		// node32 verifies every 5 s, so that it has reports to list.
		_, u32 = start(32, 33, "schedules: [{name: often, cron: \"*/5 * * * * *\"}]\n")
		s33, u33 := start(33, 32)
		for _, c := range [][3]string{{u32, "node32", "node33"}, {u32, "node33", "node32"}} {
			Eventually(cellState(c[0], c[1], c[2]), "15s").Should(HavePrefix("healthy"))
		}
		Eventually(cellState(u33, "node32", "node33"), "15s").Should(HavePrefix("healthy"))
		time.Sleep(2 * time.Second) // some healthy history with round-trip times
		s33.Kill().Wait("5s")
		Eventually(cellState(u32, "node33", "node32"), "10s").Should(HavePrefix("failing/"))
		var d diagnosis
		Eventually(func() []string {
			Expect(getJSON(u32+"/api/v1/matrix", &d)).To(Succeed())
			var kinds []string
			for _, f := range d.Findings {
				kinds = append(kinds, f.Kind)
				summary = f.Summary
			}
			return kinds
		}, "10s").Should(ContainElement("host-down"))
		p = newPage()
	})

	It("puts the finding above everything and says the view is partial", func() {
		p.open(u32 + "/")
		Eventually(p.text("#findings .finding .summary"), settle).Should(Equal(summary))
		Expect(p.text("#findings .finding .sev")()).To(Equal("CRITICAL"))
		Expect(p.text("#findings .finding .when")()).To(MatchRegexp(`^failing \d+(s|m)`))
		Expect(p.text("#banners")()).To(And(ContainSubstring("Partial view"), ContainSubstring("node33")))
		Expect(p.text("#verdict")()).To(Equal("FAILING"))
		Expect(p.text("#broken summary")()).To(MatchRegexp(`^[12] directions? explained by the findings above$`))
		Expect(p.noRawTimes()).To(BeTrue())
		p.screenshot("agents-overview")
	})

	It("draws N×N−N cells per path with the failing one marked in text", func() {
		p.open(u32 + "/#/matrix")
		Eventually(p.count(`.hm[data-path="published"] a.c`), settle).Should(Equal(2*2 - 2))
		// Eventually: the page redraws the matrix on each refresh (CI once read it mid-redraw, empty).
		Eventually(p.text(`.hm[data-path="published"] a.c[href="#/link/node33/node32/published"]`), settle).Should(
			MatchRegexp(`^FAILING\n(timeout|refused|host-down)`))
		Expect(p.count(`.hm .c.self`)()).To(Equal(2))
		p.screenshot("agents-matrix")
	})

	It("serves the packed matrix the UI reads: the same cells as the full form; an unknown form is refused by name", func() {
		key := func(cs []links.Cell) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.Path+" "+c.From+"→"+c.To+" "+string(c.State)+"/"+c.Cause)
			}
			slices.Sort(out)
			return out
		}
		Eventually(func() []string {
			var full links.Diagnosis
			var packed links.Packed
			Expect(getJSON(u32+"/api/v1/matrix", &full)).To(Succeed())
			Expect(getJSON(u32+"/api/v1/matrix?form=packed", &packed)).To(Succeed())
			Expect(packed.Healthy).To(HaveKey("published"))
			if got, want := key(packed.Unpack().Cells), key(full.Cells); !slices.Equal(got, want) {
				return append(got, "≠", strings.Join(want, ", "))
			}
			return key(full.Cells)
		}, settle).Should(ContainElement(HavePrefix("published node33→node32 failing/")))
		resp, err := http.Get(u32 + "/api/v1/matrix?form=tiny")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		Expect(string(body)).To(ContainSubstring(`query parameter form: \"tiny\" is not a form of the matrix (want full or packed)`))
	})

	It("refreshes in place: a row element survives the next poll", func() {
		eval[any](p, `document.querySelector('.hm-row').dataset.mark = 'kept'`)
		Consistently(p.count(`.hm-row[data-mark="kept"]`), "7s", "1s").Should(Equal(1))
	})

	It("follows the failing cell to its link page: the ongoing outage, then healed live once the peer is back", func() {
		eval[any](p, `document.querySelector('a.c[href="#/link/node33/node32/published"]').click()`)
		Eventually(func() string { return eval[string](p, "location.hash") }, "5s").Should(Equal("#/link/node33/node32/published"))
		Eventually(p.text("#loutages"), settle).Should(ContainSubstring("ongoing"))
		Expect(p.text("#loutages tr.ongoing")()).To(And(ContainSubstring("published-arrival"), ContainSubstring("timeout")))
		Expect(p.text("#ldst")()).To(ContainSubstring("published-arrival"), "the destination's arrival records, held here")
		Expect(p.text("#lsrc")()).To(ContainSubstring("keeps these records in its own history"))
		p.screenshot("agents-link-failing")

		start(33, 32) // the same data dir: it comes back with its history
		Eventually(healedOutages(u32, "node33", "node32"), "20s").Should(BeNumerically(">", 0))
		Eventually(p.count("#loutages tr.healed"), settle).Should(BeNumerically(">", 0), "the open page refreshed by itself")
		Expect(p.text("#loutages tr.healed")()).To(MatchRegexp(`\d\d:\d\d:\d\d`))
	})

	It("shows the same outages over the last week", func() {
		eval[any](p, `[...document.querySelectorAll(".windows a")].find((a) => a.textContent === "week").click()`)
		Eventually(func() string { return eval[string](p, "location.hash") }, "5s").Should(HaveSuffix("?w=168h"))
		Eventually(p.count("#loutages tr.healed"), settle).Should(BeNumerically(">", 0))
		Expect(p.text("#updated")()).NotTo(ContainSubstring("failed"))
		eval[any](p, `[...document.querySelectorAll(".windows a")].find((a) => a.textContent === "hour").click()`)
	})

	It("charts the round trip as SVG on the link page", func() {
		Eventually(p.count("#lchart svg.chart circle.pt.p50"), settle).Should(BeNumerically(">", 0))
		Expect(p.count("#lchart svg.chart polyline.p99")()).To(Equal(1))
		Expect(p.count("#lchart svg.chart rect.outage")()).To(BeNumerically(">", 0), "the outage is shaded")
		Expect(p.text("#lnote")()).To(ContainSubstring("measured by node32 to node33 and back"))
		Expect(p.noRawTimes()).To(BeTrue())
		p.screenshot("agents-link-healed")
	})

	It("shows the source's own probes on the reverse link's page", func() {
		p.open(u32 + "/#/link/node32/node33/published")
		Eventually(p.text("#lsrc"), settle).Should(ContainSubstring("published-tcp"))
		Expect(p.text("#ldst")()).To(ContainSubstring("keeps these records in its own history"))
		Expect(p.text("#loutages")()).To(ContainSubstring("refused"), "node32's probes were refused while node33 was down")
	})

	It("renders a node page with its links in and out and its checks", func() {
		p.open(u32 + "/#/node/node32")
		Eventually(p.text("#nchecks"), settle).Should(ContainSubstring("published-tcp"))
		Expect(p.text("#nout")()).To(ContainSubstring("node32 → node33"))
		Expect(p.text("#nin")()).To(ContainSubstring("node33 → node32"))
		Expect(p.text("#nview")()).To(ContainSubstring("this agent's own view"))
		p.screenshot("agents-node")
	})

	It("renders the alerts, reports and agent pages", func() {
		p.open(u32 + "/#/alerts")
		Eventually(p.text("#anote"), settle).Should(Equal("Alerting is not enabled on this agent."))
		p.open(u32 + "/#/reports")
		Eventually(p.count(`#rlist a[href$="?format=html"]`), settle).Should(BeNumerically(">", 0))
		Expect(p.text("#rlist tbody tr")()).To(ContainSubstring("often"))
		href := eval[string](p, `document.querySelector('#rlist a[href$="?format=html"]').getAttribute("href")`)
		resp, err := http.Get(u32 + href)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(resp.Header.Get("Content-Type")).To(HavePrefix("text/html"))
		p.open(u32 + href) // the rendered report, under the agent's CSP
		Expect(eval[string](p, "document.body.innerText")).NotTo(BeEmpty())
		p.open(u32 + "/#/reports")
		Eventually(p.count("#rlist tbody tr"), settle).Should(BeNumerically(">", 0))
		p.screenshot("agents-reports")
		p.open(u32 + "/#/agent")
		Eventually(p.text("#astatus"), settle).Should(ContainSubstring("node32.yaml"))
		Eventually(p.text("#running-config"), settle).Should(And(ContainSubstring("interval: 500ms"),
			ContainSubstring("address: 127.0.0.33")), "the running config, durations as written")
		p.screenshot("agents-agent")
		Expect(p.noRawTimes()).To(BeTrue())
	})

	AfterAll(func() {
		for _, s := range running {
			s.Kill().Wait("5s")
		}
		if p != nil {
			Expect(p.Errors()).To(BeEmpty(), "console errors")
		}
	})
})

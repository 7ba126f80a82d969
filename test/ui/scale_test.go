package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/ui"
)

// strictCSP is the policy package api is to set on every response; the UI
// must work under it as well as under its own.
const strictCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// bigDiagnosis is a 200-node cluster on two paths: db-017 is down (every
// direction into and out of it fails) and web-004 → cache-010 loses 12.5%
// on the overlay.
func bigDiagnosis(now time.Time) links.Diagnosis {
	var nodes []string
	for _, g := range []struct {
		name string
		n    int
	}{{"web", 80}, {"db", 60}, {"cache", 60}} {
		for i := 1; i <= g.n; i++ {
			nodes = append(nodes, fmt.Sprintf("%s-%03d", g.name, i))
		}
	}
	down, since := "db-017", now.Add(-3*time.Minute)
	d := links.Diagnosis{Generated: now, Self: "web-001", Verdict: links.Failing, Partial: true, Nodes: nodes,
		Paths: []string{links.PathOverlay, links.PathPublished}, Views: map[string]links.ViewInfo{}}
	for _, n := range nodes {
		d.Views[n] = links.ViewInfo{Via: links.ViaOverlay, Generated: now.Add(-time.Second)}
	}
	d.Views[down] = links.ViewInfo{Missing: "no answer (overlay: context deadline exceeded)"}
	d.Views["web-001"] = links.ViewInfo{Via: links.ViaSelf, Generated: now}
	hostDown := "host-down/" + down + "////"
	d.Findings = []links.Finding{
		{ID: hostDown, Kind: links.FindingHostDown, Severity: links.SeverityCritical, Node: down, Cause: "host-down", Since: since,
			Summary: down + " is down or cut off: no other node reaches it on any path, hears nothing from it, and its view did not arrive",
			Advice:  "check that " + down + " is up and that its host network works"},
		{ID: "loss/web-004/cache-010/overlay/", Kind: links.FindingLoss, Severity: links.SeverityWarning, From: "web-004", To: "cache-010",
			Path: links.PathOverlay, Cause: "loss", LossPercent: 12.5, Since: now.Add(-40 * time.Minute),
			Summary: "web-004 → cache-010 loses 12.5% of its packets over overlay"},
	}
	for _, p := range d.Paths {
		for _, f := range nodes {
			for _, t := range nodes {
				if f == t {
					continue
				}
				c := links.Cell{From: f, To: t, Path: p, State: links.Healthy, Forward: links.Healthy, RoundTrip: links.Healthy, Large: links.Healthy}
				switch {
				case f == down || t == down:
					c.State, c.Forward, c.RoundTrip, c.Cause, c.Since, c.Finding = links.Failing, links.Failing, links.Failing, "host-down", since, hostDown
				case p == links.PathOverlay && f == "web-004" && t == "cache-010":
					c.State, c.Forward, c.Cause, c.LossPercent, c.Since, c.Finding = links.Degraded, links.Degraded, "loss", 12.5, now.Add(-40*time.Minute), d.Findings[1].ID
				}
				d.Cells = append(d.Cells, c)
			}
		}
	}
	return d
}

// fixtureServer serves the embedded UI and a diagnosis as the agent would,
// under the strict policy, with further JSON documents by route.
func fixtureServer(d links.Diagnosis, docs ...map[string]string) *httptest.Server {
	matrix, err := json.MarshalIndent(d, "", "  ")
	Expect(err).NotTo(HaveOccurred())
	packed, err := json.MarshalIndent(d.Pack(), "", "  ") // as the agent writes it
	Expect(err).NotTo(HaveOccurred())
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", ui.Handler())
	mux.Handle("GET "+ui.AssetsPrefix, ui.Assets())
	mux.HandleFunc("GET /api/v1/matrix", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("form") == "packed" {
			w.Write(packed)
			return
		}
		w.Write(matrix)
	})
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"name":%q,"version":"fixture","config":{"file":"fixture.yaml","successful":true,"generation":1}}`, d.Self)
	})
	for _, m := range docs {
		for route, body := range m {
			mux.HandleFunc("GET "+route, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
			})
		}
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		mux.ServeHTTP(w, r)
	}))
	DeferCleanup(s.Close)
	return s
}

var _ = Describe("the UI at 200 nodes", Ordered, func() {
	var s *httptest.Server
	var p *page
	var size, packedSize int
	BeforeAll(func() {
		d := bigDiagnosis(time.Now())
		b, err := json.MarshalIndent(d, "", "  ")
		Expect(err).NotTo(HaveOccurred())
		pb, err := json.MarshalIndent(d.Pack(), "", "  ")
		Expect(err).NotTo(HaveOccurred())
		size, packedSize = len(b), len(pb)
		s = fixtureServer(d)
		p = newPage()
	})

	It("renders the 200-node heatmap (first render time reported), worst first, every cell in text", func() {
		start := time.Now()
		p.open(s.URL + "/#/matrix")
		Eventually(p.count("#render-ms[data-ms]"), "10s", "20ms").Should(Equal(1))
		wall := time.Since(start)
		ms := eval[int](p, `+document.getElementById("render-ms").dataset.ms`)
		fetched := eval[float64](p, `performance.getEntriesByType("resource").find((e) => e.name.endsWith("/api/v1/matrix?form=packed"))?.responseEnd ?? -1`)
		Expect(fetched).To(BeNumerically(">", 0), "the page reads the packed matrix")
		report := fmt.Sprintf("200 nodes, 2 paths, 79600 cells: first render %d ms after navigation start (page's performance.now, painted; "+
			"the diagnosis, %.2f MB packed (%.1f MB in full), was fetched by %.0f ms); %d ms wall clock in the test\n",
			ms, float64(packedSize)/1e6, float64(size)/1e6, fetched, wall.Milliseconds())
		Expect(os.WriteFile(filepath.Join(artifacts, "render-200.txt"), []byte(report), 0o644)).To(Succeed())
		fmt.Fprint(os.Stderr, "ui browser tests: "+report)
		// The 2 s goal is a figure measured and reported (the artifact above,
		// docs/performance.md), not a timed assertion: this machine is noisy
		// and shared. The bound below only catches a render gone pathological.
		Expect(ms).To(BeNumerically("<", 8000), "first render of 200 nodes")
		for _, path := range []string{"overlay", "published"} {
			hm := `.hm[data-path="` + path + `"]`
			Expect(eval[string](p, `document.querySelector('`+hm+`').dataset.cells`)).To(Equal(fmt.Sprint(200*200 - 200)))
			rows := p.count(hm + " .hm-row")()
			Expect(rows).To(BeNumerically(">=", 20), "the rows in view are drawn")
			Expect(p.count(hm+" a.c")()).To(Equal(rows*199), "every drawn row has a cell per other node")
			Expect(p.textContent(`.hm[data-path="`+path+`"] .hm-row .rh`)()).To(Equal("db-017"), "the failing node sorts first")
		}
		Expect(p.cell(`a.c[href="#/link/db-017/web-001/overlay"]`)()).To(Equal("FAILING / host-down 3m"))
		Expect(p.cell(`a.c[href="#/link/web-004/cache-010/overlay"]`)()).To(Equal("degraded / loss 40m"))
		Expect(p.cell(`a.c[href="#/link/cache-001/cache-002/overlay"]`)()).To(Equal("ok"))
		Expect(p.cell(`a.c[href="#/link/cache-003/db-017/published"]`)()).To(Equal("FAILING / host-down 3m"))
		Expect(p.text("#banners")()).To(ContainSubstring("the view of db-017 is missing"))
		p.screenshot("scale-200-matrix")
	})

	It("draws the rows scrolled to, down to the last node", func() {
		hm := `.hm[data-path="overlay"]`
		eval[any](p, `(() => { const h = document.querySelector('`+hm+`'); h.scrollTop = h.scrollHeight; })()`)
		Eventually(p.count(hm+` .hm-row[data-k="web-080"]`), "5s").Should(Equal(1))
		Expect(p.cell(hm + ` a.c[href="#/link/web-080/db-017/overlay"]`)()).To(Equal("FAILING / host-down 3m"))
		Expect(p.cell(hm + ` a.c[href="#/link/web-080/web-079/overlay"]`)()).To(Equal("ok"))
		Expect(p.count(hm+` .hm-row[data-k="db-017"]`)()).To(Equal(0), "rows scrolled away are dropped")
		p.screenshot("scale-200-scrolled")
	})

	It("filters rows and columns by node name", func() {
		eval[any](p, `(() => { const i = document.getElementById("mfilter"); i.value = "db-01"; i.dispatchEvent(new Event("input")); })()`)
		Eventually(p.count(`.hm[data-path="overlay"] a.c`), "5s").Should(Equal(10*10 - 10))
		Expect(p.count(`.hm[data-path="overlay"] .c.failing`)()).To(Equal(2 * 9))
		Expect(eval[string](p, "location.hash")).To(Equal("#/matrix?f=db-01"))
		p.screenshot("scale-200-filtered")
	})

	It("groups by name prefix", func() {
		p.open(s.URL + "/#/matrix?group=1")
		Eventually(p.count(`.hm[data-path="overlay"] a.c`), "10s").Should(Equal(3 * 3))
		Expect(p.text(`.hm[data-path="overlay"] .hm-row .rh`)()).To(Equal("db* (60)"), "the failing group first")
		Expect(p.cell(`.hm[data-path="overlay"] a.c[href="#/matrix?rows=db&cols=web"]`)()).To(Equal("FAILING / 80/4800 bad"))
		Expect(p.cell(`.hm[data-path="overlay"] a.c[href="#/matrix?rows=web&cols=cache"]`)()).To(Equal("degraded / 1/4800 bad"))
		p.screenshot("scale-200-groups")
	})

	It("shows the findings first on the overview", func() {
		p.open(s.URL + "/")
		Eventually(p.count("#findings .finding"), "10s").Should(Equal(2))
		Expect(p.text("#findings .finding:first-child .summary")()).To(HavePrefix("db-017 is down or cut off"))
		Expect(p.text("#findings .finding:first-child .when")()).To(Equal("failing 3m"))
		Expect(p.text("#broken summary")()).To(Equal("797 directions explained by the findings above"))
		Expect(p.text("#broken")()).To(HavePrefix("Every one is explained by a finding above."))
		Expect(p.noRawTimes()).To(BeTrue())
		p.screenshot("scale-200-overview")
	})

	It("names the first few missing views in the banner and folds the rest", func() {
		d := bigDiagnosis(time.Now())
		for i := 41; i <= 80; i++ { // with db-017: 41 missing, web-041 … web-080 in counting order
			d.Views[fmt.Sprintf("web-%03d", i)] = links.ViewInfo{Missing: "no answer (published: connection reset by peer)"}
		}
		p.open(fixtureServer(d).URL + "/")
		Eventually(p.text("#partial > b"), "10s").Should(Equal("Partial view: 41 of 200 views missing —"))
		Expect(p.count("#partial > a")()).To(Equal(5), "named in the banner")
		Expect(p.text("#partial > a:first-of-type")()).To(Equal("db-017"))
		Expect(p.text("#partial details.more > summary")()).To(Equal("and 36 more"))
		Expect(p.count("#partial details.more a")()).To(Equal(36))
		Expect(eval[bool](p, `document.querySelector("#partial details.more").open`)).To(BeFalse(), "folded")
		Expect(eval[float64](p, `document.querySelector("#partial").getBoundingClientRect().height`)).To(BeNumerically("<", 120))
		p.screenshot("scale-200-partial")
	})

	AfterAll(func() {
		Expect(p.Errors()).To(BeEmpty(), "console errors (a CSP violation is one)")
	})
})

var _ = Describe("the console check itself", func() {
	It("sees a CSP violation, so that its silence above means something", func() {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Security-Policy", ui.ContentSecurityPolicy)
			fmt.Fprint(w, `<!doctype html><p>x</p><script>document.title = "ran"</script>`)
		}))
		DeferCleanup(s.Close)
		p := newPage()
		p.open(s.URL)
		Eventually(p.Errors, "5s").Should(ContainElement(ContainSubstring("Content Security Policy")))
		Expect(eval[string](p, "document.title")).NotTo(Equal("ran"))
	})
})

package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// The demo's mesh interval is the chart's 10 s: a diagnosis needs about
// three of them and the views' travel; its alerts a 20 s grace on top.
const (
	diagnosed = 90 * time.Second
	alerted   = 2 * time.Minute
	healed    = 2 * time.Minute
)

// finding and matrix are the parts of /api/v1/matrix the demo's reader
// looks at: the verdict and what is broken.
type finding struct {
	Kind, Node, From, To, Path, Summary string
}

type matrix struct {
	Self     string    `json:"self"`
	Verdict  string    `json:"verdict"`
	Partial  bool      `json:"partial"`
	Nodes    []string  `json:"nodes"`
	Findings []finding `json:"findings"`
	Cells    []struct{ From, To, Path, State string }
}

var _ = Describe("the README's demo", Label("demo"), Ordered, func() {
	var urls map[string]string // node → its UI/API, as `make demo` printed them
	BeforeAll(func(ctx SpecContext) {
		Expect(cluster.DemoRunning()).To(BeFalse(), "a demo cluster is already running: make demo-down, then run this again")
		DeferCleanup(func(ctx SpecContext) {
			out := run(ctx, "demo-down")
			Expect(out).To(ContainSubstring("nothing left behind"))
		}, NodeTimeout(4*time.Minute))
		out := run(ctx, "demo")
		Expect(out).To(ContainSubstring("swarmlink demo cluster is up"))
		urls = printedURLs(out)
		Expect(urls).To(HaveLen(3), "one UI/API address per node in:\n%s", out)
		Expect(out).To(ContainSubstring("make demo-break FAULT="), "it says how to break a link")
	}, NodeTimeout(10*time.Minute))

	It("is whole, healthy and quiet once up: every node says so, with every cell", func(ctx SpecContext) {
		for node, u := range urls {
			m, err := get(ctx, u)
			Expect(err).NotTo(HaveOccurred())
			Expect(m.Self).To(Equal(node))
			Expect(m.Nodes).To(ConsistOf("node1", "node2", "node3"), "%s knows every node", node)
			Expect(m.Partial).To(BeFalse(), "%s has every view", node)
			Expect(m.Verdict).To(Equal("healthy"), "%s: %+v", node, m.Findings)
			Expect(m.Cells).To(HaveLen(3*3*2), "%s: N×(N−1) cells on each of overlay, published and control", node)
			Expect(m.Cells).To(HaveEach(HaveField("State", "healthy")), node)
		}
		Expect(amAlerts(ctx)).To(BeEmpty(), "no alert in the demo's Alertmanager")
	}, SpecTimeout(3*time.Minute))

	It("finds `make demo-break FAULT=vxlan-in NODE=node3` on every node, alerts once, and heals with `make demo-heal`", func(ctx SpecContext) {
		out := run(ctx, "demo-break", "FAULT=vxlan-in", "NODE=node3")
		Expect(out).To(ContainSubstring("broken: vxlan-in on node3"))
		broke := time.Now()
		Eventually(func(g Gomega) {
			for node, u := range urls {
				m, err := get(ctx, u)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(m.Findings).To(ConsistOf(MatchFields3("node-inbound", "node3", "overlay")),
					"%s's findings", node)
			}
		}).WithContext(ctx).WithTimeout(diagnosed).WithPolling(time.Second).Should(Succeed())
		GinkgoWriter.Printf("every node names node-inbound node3 overlay %s after demo-break\n", time.Since(broke).Round(time.Second))
		Eventually(func(g Gomega) {
			alerts, err := amAlerts(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(alerts).To(ContainElement(And(HaveKeyWithValue("alertname", "SwarmlinkNodeInbound"),
				HaveKeyWithValue("node", "node3"))))
		}).WithContext(ctx).WithTimeout(alerted).WithPolling(2 * time.Second).Should(Succeed())

		Expect(run(ctx, "demo-heal")).To(ContainSubstring("healed"))
		Eventually(func(g Gomega) {
			for node, u := range urls {
				m, err := get(ctx, u)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(m.Verdict).To(Equal("healthy"), "%s: %+v", node, m.Findings)
			}
			alerts, err := amAlerts(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(alerts).To(BeEmpty(), "the alert resolved")
		}).WithContext(ctx).WithTimeout(healed).WithPolling(2 * time.Second).Should(Succeed())
	}, SpecTimeout(6*time.Minute))
})

// MatchFields3 matches a finding by kind, node and path.
func MatchFields3(kind, node, path string) OmegaMatcher {
	return And(HaveField("Kind", kind), HaveField("Node", node), HaveField("Path", path))
}

// run runs `make target args...` in the repository, as the README says,
// and returns its output; a failure fails the spec with that output.
func run(ctx context.Context, target string, args ...string) string {
	GinkgoHelper()
	repo, err := cluster.FindRepo(".")
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-C", repo, target}, args...)...)
	out, err := cmd.CombinedOutput()
	GinkgoWriter.Printf("$ make %s %s\n%s\n", target, strings.Join(args, " "), out)
	Expect(err).NotTo(HaveOccurred(), "make %s: %s", target, tail(string(out), 2000))
	return string(out)
}

var uiLine = regexp.MustCompile(`(?m)^\s+(node\d+)\s+\w+\s+UI/API (http://[0-9.]+:\d+)/`)

func printedURLs(out string) map[string]string {
	m := map[string]string{}
	for _, g := range uiLine.FindAllStringSubmatch(out, -1) {
		m[g[1]] = g[2]
	}
	return m
}

func get(ctx context.Context, base string) (matrix, error) {
	var m matrix
	return m, getJSON(ctx, base+"/api/v1/matrix", &m)
}

// amAlerts are the active alerts' label sets in the demo's Alertmanager.
func amAlerts(ctx context.Context) ([]map[string]string, error) {
	var alerts []struct {
		Labels map[string]string      `json:"labels"`
		Status struct{ State string } `json:"status"`
	}
	if err := getJSON(ctx, "http://"+cluster.BridgeAddr+":9093/api/v2/alerts?active=true&silenced=false", &alerts); err != nil {
		return nil, err
	}
	var out []map[string]string
	for _, a := range alerts {
		if a.Status.State == "active" {
			out = append(out, a.Labels)
		}
	}
	slices.SortFunc(out, func(a, b map[string]string) int { return strings.Compare(a["alertname"], b["alertname"]) })
	return out, nil
}

func getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/swarmlink/swarmlink/links"
)

// statusFixture is a diagnosis as an agent serves it: node3's overlay
// data plane dropped inbound, node2's view missing.
func statusFixture() links.Diagnosis {
	at := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	d := links.Diagnosis{Generated: at, Self: "node1", Verdict: links.Failing, Partial: true,
		Nodes: []string{"node1", "node2", "node3"}, Paths: []string{links.PathOverlay},
		Views: map[string]links.ViewInfo{"node1": {Via: links.ViaSelf, Generated: at},
			"node2": {Missing: "no answer (published: timeout)"}, "node3": {Via: links.ViaPublished, Generated: at}},
		Findings: []links.Finding{{ID: "node-inbound/node3", Kind: links.FindingNodeInbound, Severity: links.SeverityCritical,
			Node: "node3", To: "node3", Path: links.PathOverlay, Cause: "timeout",
			Summary: "node3 receives no overlay traffic from anyone: VXLAN (UDP 4789) into node3 is dropped",
			Advice:  "allow UDP 4789 into node3 from the other Swarm nodes"}}}
	for _, c := range [][3]string{{"node1", "node2", "unknown"}, {"node1", "node3", "failing"}, {"node2", "node1", "unknown"},
		{"node2", "node3", "failing"}, {"node3", "node1", "healthy"}, {"node3", "node2", "unknown"}} {
		cell := links.Cell{From: c[0], To: c[1], Path: links.PathOverlay, State: links.State(c[2])}
		if cell.State == links.Failing {
			cell.Cause = "timeout"
		}
		d.Cells = append(d.Cells, cell)
	}
	return d
}

func serveDiagnosis(d links.Diagnosis) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Expect(r.URL.Path).To(Equal("/api/v1/matrix"))
		Expect(json.NewEncoder(w).Encode(d)).To(Succeed())
	}))
	DeferCleanup(srv.Close)
	return srv.URL
}

var _ = Describe("status", func() {
	It("prints the findings, the missing views and the grid, and exits 1 on a failing link (golden, plain)", func() {
		s := run("status", "--server", serveDiagnosis(statusFixture()), "--color", "never")
		Eventually(s).Should(gexec.Exit(1))
		expectGolden("status.golden", string(s.Out.Contents()))
	})

	It("colours states and severities when asked, keeping the columns aligned (golden)", func() {
		s := run("status", "--server", serveDiagnosis(statusFixture()), "--color", "always")
		Eventually(s).Should(gexec.Exit(1))
		expectGolden("status-color.golden", string(s.Out.Contents()))
	})

	DescribeTable("exits by verdict",
		func(v links.State, flag string, code int) {
			d := statusFixture()
			d.Verdict = v
			args := []string{"status", "--server", serveDiagnosis(d), "--format", "json"}
			if flag != "" {
				args = append(args, flag)
			}
			s := run(args...)
			Eventually(s).Should(gexec.Exit(code))
			var back links.Diagnosis
			Expect(json.Unmarshal(s.Out.Contents(), &back)).To(Succeed(), "--format json prints the diagnosis")
		},
		Entry("healthy: 0", links.Healthy, "", 0),
		Entry("failing: 1", links.Failing, "", 1),
		Entry("degraded: 1", links.Degraded, "", 1),
		Entry("degraded, allowed: 0", links.Degraded, "--allow-degraded", 0),
		Entry("failing, even with degraded allowed: 1", links.Failing, "--allow-degraded", 1),
		Entry("unknown (partial): 3", links.Unknown, "", 3),
	)

	It("redraws with --watch until stopped, plain when not on a terminal", func() {
		s, err := gexec.Start(exec.Command(bin, "status", "--server", serveDiagnosis(statusFixture()), "--watch", "500ms"),
			GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { return strings.Count(string(s.Out.Contents()), "verdict: failing") }, "5s").Should(BeNumerically(">=", 2))
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("\x1b["), "no escape codes on a pipe")
		s.Interrupt()
		Eventually(s, "5s").Should(gexec.Exit())
	})

	It("refuses a bad flag value with exit 2", func() {
		Eventually(run("status", "--color", "pink")).Should(gexec.Exit(2))
		Eventually(run("status", "--watch", "1ms")).Should(gexec.Exit(2))
	})
})

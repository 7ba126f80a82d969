package cli_test

import (
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// relayDoc is what a matrix says about who diagnosed it.
type relayDoc struct {
	Self        string `json:"self"`
	DiagnosedBy string `json:"diagnosed_by"`
	Verdict     string `json:"verdict"`
	Cells       []struct {
		From, To, Path, State string
	} `json:"cells"`
	Findings []struct{ Kind, Node string } `json:"findings"`
}

// cellStates are a matrix's cells as from>to@path=state, sorted.
func (d relayDoc) cellStates() []string {
	var out []string
	for _, c := range d.Cells {
		out = append(out, fmt.Sprintf("%s>%s@%s=%s", c.From, c.To, c.Path, c.State))
	}
	slices.Sort(out)
	return out
}

// meshOf3 runs node<n> on 127.0.0.<n> peering with the two others of
// node1..node3, with one alert evaluator: node1 while it is up.
func meshOf3(dir string, n int, keyFile string) (*gexec.Session, string) {
	var peers string
	for p := 1; p <= 3; p++ {
		if p != n {
			peers += fmt.Sprintf("    - {name: node%[1]d, address: 127.0.0.%[1]d}\n", p)
		}
	}
	cfg := writeFile(dir, fmt.Sprintf("node%d.yaml", n), fmt.Sprintf(`agent:
  name: node%[1]d
  listen: 127.0.0.%[1]d:19470
alerting:
  evaluators: 1
mesh:
  enabled: true
  listen: 127.0.0.%[1]d:9471
  key_file: %[2]s
  interval: 500ms
  timeout: 400ms
  static:
%[3]s`, n, keyFile, peers))
	return runMeshAgent(dir, n, cfg)
}

var _ = Describe("the matrix from an agent that is no evaluator", func() {
	It("relays the evaluator's diagnosis, and the next one's once the evaluator is gone", func() {
		dir := GinkgoT().TempDir()
		key := writeFile(dir, "k.key", "0123456789abcdef0123456789abcdef\n")
		s1, u1 := meshOf3(dir, 1, key)
		_, u2 := meshOf3(dir, 2, key)
		_, u3 := meshOf3(dir, 3, key)
		matrix := func(url string) relayDoc {
			var d relayDoc
			_ = getJSON(url+"/api/v1/matrix", &d)
			return d
		}

		var own, relayed relayDoc
		Eventually(func(g Gomega) {
			own, relayed = matrix(u1), matrix(u3)
			g.Expect(own.Verdict).To(Equal("healthy"))
			g.Expect(own.Cells).To(HaveLen(6))
			g.Expect(relayed.DiagnosedBy).To(Equal("node1"))
			g.Expect(relayed.Verdict).To(Equal("healthy"))
			g.Expect(relayed.cellStates()).To(Equal(own.cellStates()))
		}, "15s", "200ms").Should(Succeed())
		Expect(own.Self).To(Equal("node1"))
		Expect(own.DiagnosedBy).To(BeEmpty(), "the evaluator diagnoses itself")
		Expect(relayed.Self).To(Equal("node3"), "the agent that answers")
		Eventually(func() string {
			var packed relayDoc
			_ = getJSON(u2+"/api/v1/matrix?form=packed", &packed)
			return packed.DiagnosedBy
		}, "5s", "100ms").Should(Equal("node1"), "node2, once it holds node1's view, relays too")

		// Under the fault: node1 gone, node2 is the evaluator once node1's
		// view has been missing for two gatherings, and node3 relays its
		// diagnosis, which finds node1 down, as node2's own does.
		s1.Kill().Wait("5s")
		Eventually(func(g Gomega) {
			relayed = matrix(u3)
			g.Expect(relayed.DiagnosedBy).To(Equal("node2"))
			g.Expect(relayed.Findings).To(ContainElement(SatisfyAll(HaveField("Kind", "host-down"), HaveField("Node", "node1"))))
		}, "20s", "200ms").Should(Succeed())
		own = matrix(u2)
		Expect(own.DiagnosedBy).To(BeEmpty())
		Expect(own.Findings).To(ContainElement(SatisfyAll(HaveField("Kind", "host-down"), HaveField("Node", "node1"))))
	})
})

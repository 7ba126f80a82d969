package links_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

// mesh is how each agent's probe of one service port at each entry node
// ends: the cause, or "" for an answer; tasks is how many of the service's
// two task IPs answered beside it.
type mesh struct {
	cause map[[2]string]string // agent, entry node → cause
	all   string               // the cause of every probe not in cause; "" = answers
	tasks int
}

// withIngress adds the probes of web:8080 at every entry node, self
// entries included, to every view of in.
func (m mesh) withIngress(in links.Input) links.Input {
	for n, v := range in.Views {
		for _, e := range simNodes {
			cause, ok := m.cause[[2]string{n, e}]
			if !ok {
				cause = m.all
			}
			s := links.LinkState{Agent: n, Peer: e, Path: links.PathIngress, Probe: "web:8080", Role: links.RoleIngress,
				Direction: links.Outbound, Status: links.Healthy, Cause: "ok", Message: "answers", Tasks: 2, TasksUp: m.tasks,
				Since: simNow.Add(-time.Minute), Last: simNow.Add(-time.Second)}
			if cause != "" {
				s.Status, s.Cause, s.Message = links.Failing, cause, "ingress routing mesh "+cause
			}
			v.Links = append(v.Links, s)
		}
		in.Views[n] = v
	}
	return in
}

func ingressFindings(d links.Diagnosis) []links.Finding {
	var out []links.Finding
	for _, f := range d.Findings {
		if f.Path == links.PathIngress {
			out = append(out, f)
		}
	}
	return out
}

var _ = Describe("the routing mesh's entry-node matrix", func() {
	diagnose := func(m mesh) []links.Diagnosis {
		var out []links.Diagnosis
		for _, self := range simNodes {
			out = append(out, links.Diagnose(m.withIngress(fault{}.input(self))))
		}
		return out
	}

	It("is quiet while every entry node answers, and adds the ingress path's node × node cells", func() {
		for _, d := range diagnose(mesh{tasks: 2}) {
			Expect(d.Paths).To(Equal([]string{links.PathOverlay, links.PathPublished, links.PathIngress}))
			Expect(ingressFindings(d)).To(BeEmpty())
			Expect(d.Verdict).To(Equal(links.Healthy))
			Expect(cellOf(d, "node1", "node2", links.PathIngress).Plain()).To(BeTrue(), "packs as one byte")
			Expect(d.Pack().Healthy[links.PathIngress]).To(Equal([]string{"011", "101", "110"}))
		}
	})

	It("says IPVS once, from every node, when every entry node refuses while the tasks answer", func() {
		for _, d := range diagnose(mesh{all: "refused", tasks: 2}) {
			fs := ingressFindings(d)
			Expect(fs).To(HaveLen(1), d.Self)
			Expect(fs[0].Kind).To(Equal(links.FindingIngressMesh))
			Expect(fs[0].ID).To(Equal("ingress-mesh////ingress/web:8080"), "the same ID on every node")
			Expect(fs[0].Severity).To(Equal(links.SeverityCritical))
			Expect(fs[0].Summary).To(Equal("the routing mesh refuses port 8080 (web) on every entry node (node1, " +
				"node2, node3) while the service's tasks answer: the service load balancer (IPVS) is missing or " +
				"broken on the nodes — the kernel may lack ip_vs"))
			Expect(fs[0].Evidence).To(HaveLen(9), "every agent's probe of every entry node")
			c := cellOf(d, "node3", "node1", links.PathIngress)
			Expect([]string{string(c.State), c.Cause, c.Finding}).To(Equal([]string{"failing", "refused", fs[0].ID}))
			Expect(d.Verdict).To(Equal(links.Failing))
			for _, f := range d.Findings {
				Expect(f.Path).To(Equal(links.PathIngress), "the mesh's links are fine: %s", f.Summary)
			}
		}
	})

	It("names the one entry node whose column fails while the others answer", func() {
		m := mesh{tasks: 2, cause: map[[2]string]string{
			{"node1", "node2"}: "refused", {"node2", "node2"}: "refused", {"node3", "node2"}: "refused"}}
		for _, d := range diagnose(m) {
			fs := ingressFindings(d)
			Expect(fs).To(HaveLen(1))
			Expect(fs[0].Kind).To(Equal(links.FindingIngressNode))
			Expect(fs[0].Node).To(Equal("node2"))
			Expect(fs[0].Summary).To(Equal("node2's routing mesh refuses port 8080 (web) from every node (refused) " +
				"while node1, node3 answer it: the fault is on node2"))
			Expect(cellOf(d, "node1", "node3", links.PathIngress).State).To(Equal(links.Healthy))
		}
	})

	It("tells a column that times out (a firewall on the node) from the rest that refuse (IPVS)", func() {
		m := mesh{all: "refused", tasks: 2, cause: map[[2]string]string{
			{"node1", "node2"}: "timeout", {"node2", "node2"}: "timeout", {"node3", "node2"}: "timeout"}}
		fs := ingressFindings(diagnose(m)[0])
		Expect(fs).To(HaveLen(2))
		Expect(fs[0].Kind).To(Equal(links.FindingIngressMesh))
		Expect(fs[0].Summary).To(HavePrefix("the routing mesh refuses port 8080 (web) on node1, node3 while"))
		Expect(fs[1].Kind).To(Equal(links.FindingIngressNode))
		Expect(fs[1].Summary).To(Equal("node2's routing mesh times out on port 8080 (web) from every node (timeout) " +
			"while node1, node3 refuse it: the fault is on node2"))
	})

	It("calls it the service, not the mesh, when no task answers either", func() {
		fs := ingressFindings(diagnose(mesh{all: "refused", tasks: 0})[1])
		Expect(fs).To(HaveLen(1))
		Expect(fs[0].Kind).To(Equal(links.FindingIngressService))
		Expect(fs[0].Summary).To(Equal("web:8080 fails through every entry node and none of the service's task IPs " +
			"answers: the service is down, not the routing mesh"))
	})

	It("keeps one node's failing probe of one entry node a pair finding", func() {
		m := mesh{tasks: 2, cause: map[[2]string]string{{"node1", "node3"}: "timeout"}}
		fs := ingressFindings(diagnose(m)[0])
		Expect(fs).To(HaveLen(1))
		Expect([]string{fs[0].Kind, fs[0].From, fs[0].To}).To(Equal([]string{links.FindingIngressPair, "node1", "node3"}))
	})

	It("leaves a down node's column to its host-down finding", func() {
		in := mesh{tasks: 2, cause: map[[2]string]string{
			{"node1", "node3"}: "timeout", {"node2", "node3"}: "timeout"}}.withIngress(fault{down: map[string]bool{"node3": true}}.input("node1"))
		setSwarm(in, "node1", links.NodeInfo{Name: "node3", State: "down", Availability: "active"})
		d := links.Diagnose(in)
		Expect(ingressFindings(d)).To(BeEmpty())
		Expect(cellOf(d, "node1", "node3", links.PathIngress).Finding).To(HavePrefix(links.FindingHostDown))
	})
})

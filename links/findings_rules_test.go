package links_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// twoNodes is in without node3: a cluster of node1 and node2.
func twoNodes(in links.Input) links.Input {
	in.Nodes = []string{"node1", "node2"}
	delete(in.Views, "node3")
	delete(in.Missing, "node3")
	return edit(in, func(s *links.LinkState) bool { return s.Peer != "node3" })
}

// withAllViews is in with every node's view, as if each had arrived (by
// some other way than the broken links).
func withAllViews(f fault, in links.Input) links.Input {
	for _, n := range simNodes {
		in.Views[n] = f.view(n)
		delete(in.Missing, n)
	}
	return in
}

var _ = Describe("Findings rules", func() {
	It("in a cluster of two, names a cut peer down, not this node cut off, and a broken direction one-way", func() {
		d := links.Diagnose(twoNodes(fault{cut: map[string]bool{"node2": true}}.input("node1")))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingHostDown, "node2", "", "", ""}))
		d = links.Diagnose(twoNodes(fault{drop: all(nil, dir{"node1", "node2", ov})}.input("node1")))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingOneWay, "", "node1", "node2", ov}), "no node-wide finding with one other node")
	})

	It("says a node is not cut off, and its peer not down, when every view arrived", func() {
		f := fault{cut: map[string]bool{"node3": true}}
		exp := []want{{links.FindingNodeInbound, "node3", "", "node3", ov}, {links.FindingNodeOutbound, "node3", "node3", "", ov},
			{links.FindingNodeInbound, "node3", "", "node3", pub}, {links.FindingNodeOutbound, "node3", "node3", "", pub}}
		for _, self := range simNodes {
			d := links.Diagnose(withAllViews(f, f.input(self)))
			Expect(d.CutOff).To(BeFalse(), "on %s", self)
			Expect(wanted(d)).To(ConsistOf(exp), "on %s", self)
		}
	})

	It("does not call this node cut off while it reaches its peers, though their views are missing", func() {
		d := links.Diagnose(fault{noView: map[string]bool{"node1": true, "node2": true}}.input("node3"))
		Expect(d.CutOff).To(BeFalse())
		Expect(wanted(d)).To(ConsistOf(want{links.FindingViewMissing, "node1", "", "", ""}, want{links.FindingViewMissing, "node2", "", "", ""}))
	})

	It("does not call a node down that Swarm reports down while its view arrives", func() {
		in := fault{}.input("node1")
		setSwarm(in, "node1", links.NodeInfo{Name: "node1", State: "ready"}, links.NodeInfo{Name: "node2", State: "ready"},
			links.NodeInfo{Name: "node3", State: "down"})
		Expect(links.Diagnose(in).Findings).To(BeEmpty())
	})

	It("calls a node down on the one other view that arrived", func() {
		d := links.Diagnose(fault{cut: map[string]bool{"node3": true}, noView: map[string]bool{"node2": true}}.input("node1"))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingHostDown, "node3", "", "", ""}, want{links.FindingViewMissing, "node2", "", "", ""}))
	})

	It("does not call a node down while its beacons arrive, though nothing reaches it", func() {
		f := fault{drop: all(nil, append(into("node3", ov), into("node3", pub)...)...)}
		d := links.Diagnose(f.input("node1"))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingNodeInbound, "node3", "", "node3", ov},
			want{links.FindingNodeInbound, "node3", "", "node3", pub}, want{links.FindingViewMissing, "node3", "", "", ""}))
	})

	It("does not call a node down while the others reach it, though its beacons are lost", func() {
		in := edit(fault{noView: map[string]bool{"node3": true}}.input("node1"), func(s *links.LinkState) bool {
			if s.Peer == "node3" && s.Role == links.RoleArrival {
				s.Status = links.Failing
			}
			return true
		})
		Expect(links.Diagnose(in).Findings).NotTo(ContainElement(HaveField("Kind", links.FindingHostDown)))
	})

	It("calls a cut node down where no arrival record exists", func() {
		in := edit(fault{cut: map[string]bool{"node3": true}}.input("node1"), func(s *links.LinkState) bool { return s.Role != links.RoleArrival })
		Expect(wanted(links.Diagnose(in))).To(ContainElement(want{links.FindingHostDown, "node3", "", "", ""}))
	})

	It("explains a key refused into one node by peer-key findings, not by a node-wide one", func() {
		f := fault{cause: map[dir]string{{"node1", "node3", ov}: string(probes.CauseAuth), {"node2", "node3", ov}: string(probes.CauseAuth)}}
		for _, fd := range links.Diagnose(f.input("node1")).Findings {
			Expect(fd.Kind).To(Equal(links.FindingPeerKey), "%+v", fd)
		}
	})

	It("calls a published port dropped only while the overlay into the node works", func() {
		d := links.Diagnose(fault{drop: all(nil, append(into("node2", ov), into("node2", pub)...)...)}.input("node1"))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingNodeInbound, "node2", "", "node2", ov}, want{links.FindingNodeInbound, "node2", "", "node2", pub},
			want{links.FindingViewMissing, "node2", "", "", ""}), "nothing reaches node2: its view is missing too")
		f := fault{drop: all(nil, append(outOf("node2", ov), into("node2", pub)...)...)}
		d = links.Diagnose(withAllViews(f, f.input("node1")))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingNodeOutbound, "node2", "node2", "", ov}, want{links.FindingPublishedPort, "node2", "", "node2", pub}),
			"the overlay into node2 works; only out of it is dropped")
	})

	It("names the broken direction as From when its reverse is explained by a node-wide finding", func() {
		f := fault{drop: all(nil, append(into("node3", ov), dir{"node3", "node1", ov})...)}
		d := links.Diagnose(f.input("node2"))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingNodeInbound, "node3", "", "node3", ov}, want{links.FindingLinkDown, "", "node3", "node1", ov}))
	})

	It("calls a direction one-way when its reverse is lossy or pending but works", func() {
		f := fault{drop: all(nil, dir{"node1", "node2", ov}), loss: map[dir]float64{{"node2", "node1", ov}: 30}}
		d := links.Diagnose(f.input("node3"))
		Expect(cellOf(d, "node2", "node1", ov).State).To(Equal(links.Degraded))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingOneWay, "", "node1", "node2", ov},
			want{links.FindingLoss, "", "node2", "node1", ov}), "the lossy reverse is a finding of its own")
		Expect(d.Findings[0].Summary).To(ContainSubstring("node2 → node1 works, losing 30%"))
		in := edit(fault{drop: all(nil, dir{"node1", "node2", ov})}.input("node3"), func(s *links.LinkState) bool {
			if s.Agent == "node1" && s.Peer == "node2" && s.Path == ov && s.Role == links.RoleArrival {
				s.Status = links.Pending
			}
			return true
		})
		Expect(wanted(links.Diagnose(in))).To(ConsistOf(want{links.FindingOneWay, "", "node1", "node2", ov}))
	})

	It("takes a peer error only from a failing link", func() {
		in := edit(fault{}.input("node1"), func(s *links.LinkState) bool {
			if s.Agent == "node1" && s.Peer == "node2" && s.Role == links.RoleTCP && s.Path == ov {
				s.Status, s.Cause = links.Pending, string(probes.CauseAuth)
			}
			return true
		})
		Expect(links.Diagnose(in).Findings).To(BeEmpty())
	})

	It("is unknown, not healthy, when every state is stale", func() {
		in := edit(fault{}.input("node1"), func(s *links.LinkState) bool { s.Last = s.Last.Add(-time.Hour); return true })
		d := links.Diagnose(in)
		Expect(d.Findings).To(BeEmpty())
		Expect(d.Verdict).To(Equal(links.Unknown))
	})
})

package links_test

import (
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

// nodeAddr is each simulated node's Swarm address.
var nodeAddr = map[string]string{"node1": "10.99.0.11", "node2": "10.99.0.12", "node3": "10.99.0.13"}

// control is the control plane as each node sees it: gossip (and, to
// node1, the manager port) connects, failing as blocked says, and the
// agents' overlay peer table, lacking what lacks says.
type control struct {
	blocked map[[2]string]string // agent, peer → probe ("gossip" or "manager") that fails
	lacks   map[string][]string  // node → the nodes missing from its peer table
	extra   []links.OverlayNet   // more networks on node1's engine
}

func (c control) apply(in links.Input) links.Input {
	for n, v := range in.Views {
		for _, p := range simNodes {
			if p == n {
				continue
			}
			probes := []string{"gossip"}
			if p == "node1" {
				probes = append(probes, "manager")
			}
			for _, probe := range probes {
				s := links.LinkState{Agent: n, Peer: p, Path: links.PathControl, Probe: "control-" + probe,
					Role: links.RoleControl, Direction: links.Outbound, Status: links.Healthy, Cause: "ok",
					Since: simNow.Add(-time.Minute), Last: simNow.Add(-time.Second)}
				if c.blocked[[2]string{n, p}] == probe || c.blocked[[2]string{n, p}] == "all" {
					s.Status, s.Cause, s.Message = links.Failing, "timeout", "dial tcp: i/o timeout"
				}
				v.Links = append(v.Links, s)
			}
		}
		agents := links.OverlayNet{Name: "swarmlink_swarmlink", Subnets: []string{"10.0.1.0/24"}, Attached: true, MTU: 1450}
		for _, p := range simNodes {
			if !slices.Contains(c.lacks[n], p) {
				agents.Peers = append(agents.Peers, nodeAddr[p])
			}
		}
		v.Host = &links.HostEvidence{NodeAddr: nodeAddr[n], DataPathPort: 4789, Overlays: []links.OverlayNet{agents}}
		if n == "node1" {
			v.Host.Overlays = append(v.Host.Overlays, c.extra...)
		}
		in.Views[n] = v
	}
	return in
}

// gossipBlocked: nothing gets to or from node3's gossip port.
func gossipBlocked() control {
	c := control{blocked: map[[2]string]string{}, lacks: map[string][]string{
		"node1": {"node3"}, "node2": {"node3"}, "node3": {"node1", "node2"}}}
	for _, o := range []string{"node1", "node2"} {
		c.blocked[[2]string{o, "node3"}], c.blocked[[2]string{"node3", o}] = "gossip", "all"
	}
	return c
}

var _ = Describe("the Swarm control plane", func() {
	overlayCut := fault{drop: all(nil, append(into("node3", links.PathOverlay), outOf("node3", links.PathOverlay)...)...)}

	It("is quiet and a node × node matrix while every port answers", func() {
		d := links.Diagnose(control{}.apply(fault{}.input("node2")))
		Expect(d.Paths).To(Equal([]string{links.PathOverlay, links.PathPublished, links.PathControl}))
		Expect(d.Findings).To(BeEmpty())
		Expect(cellOf(d, "node2", "node1", links.PathControl).Plain()).To(BeTrue())
	})

	It("names gossip and the node, not VXLAN, when node3's gossip is blocked and the peer tables lose it", func() {
		for _, self := range simNodes {
			d := links.Diagnose(gossipBlocked().apply(overlayCut.input(self)))
			Expect(wanted(d)).To(Equal([]want{{kind: links.FindingGossip, node: "node3", path: links.PathControl}}), self)
			Expect(d.Findings[0].Summary).To(Equal("node3's Swarm gossip (TCP 7946) fails to and from every node " +
				"(timeout): node3 is missing from the overlay peer tables of node1, node2 (swarmlink_swarmlink), so " +
				"overlay traffic to and from node3 fails while the Swarm may still list it ready"))
			Expect(cellOf(d, "node1", "node3", links.PathOverlay).Finding).To(Equal(d.Findings[0].ID))
			Expect(d.Findings[0].Hosts["node3"].Overlays[0].Peers).To(Equal([]string{"10.99.0.13"}),
				"the evidence carries node3's own peer table")
		}
	})

	It("blames the peer table of one pair whose overlay is broken while gossip to the node still connects", func() {
		c := control{lacks: map[string][]string{"node1": {"node3"}}}
		f := fault{drop: all(nil, dir{"node1", "node3", links.PathOverlay}, dir{"node3", "node1", links.PathOverlay})}
		d := links.Diagnose(c.apply(f.input("node2")))
		Expect(wanted(d)).To(Equal([]want{{kind: links.FindingOverlayPeers, from: "node1", to: "node3", path: links.PathOverlay}}))
		Expect(d.Findings[0].Summary).To(Equal("node3 is missing from node1's overlay peer table (swarmlink_swarmlink): " +
			"gossip (7946) between them is blocked, so overlay traffic between them fails"))
	})

	It("says the manager's cluster port when only 2377 is refused to everyone", func() {
		c := control{blocked: map[[2]string]string{{"node2", "node1"}: "manager", {"node3", "node1"}: "manager"}}
		d := links.Diagnose(c.apply(fault{}.input("node3")))
		Expect(wanted(d)).To(Equal([]want{{kind: links.FindingManagerPort, node: "node1", path: links.PathControl}}))
		Expect(d.Findings[0].Summary).To(HavePrefix("manager node1's cluster port (TCP 2377) is unreachable from every node (timeout)"))
	})

	It("keeps one failing connect a pair finding", func() {
		c := control{blocked: map[[2]string]string{{"node2", "node3"}: "gossip"}}
		d := links.Diagnose(c.apply(fault{}.input("node1")))
		Expect(wanted(d)).To(Equal([]want{{kind: links.FindingControl, from: "node2", to: "node3", path: links.PathControl}}))
	})

	It("leaves a connect that fails with every mesh path of its direction to that fault", func() {
		c := control{blocked: map[[2]string]string{{"node1", "node2"}: "gossip"}}
		f := fault{drop: all(nil, dir{"node1", "node2", links.PathOverlay}, dir{"node1", "node2", links.PathPublished})}
		d := links.Diagnose(c.apply(f.input("node3")))
		for _, fd := range d.Findings {
			Expect(fd.Kind).NotTo(Equal(links.FindingControl))
		}
		Expect(cellOf(d, "node1", "node2", links.PathControl).Finding).To(Equal(cellOf(d, "node1", "node2", links.PathOverlay).Finding))
	})

	It("finds an overlay subnet that holds the nodes' addresses", func() {
		c := control{extra: []links.OverlayNet{{Name: "wide", Subnets: []string{"10.99.0.0/16"}}}}
		d := links.Diagnose(c.apply(fault{}.input("node3")))
		Expect(wanted(d)).To(Equal([]want{{kind: links.FindingSubnetOverlap}}))
		Expect(d.Findings[0].Summary).To(Equal("overlay network wide's subnet 10.99.0.0/16 holds the address of node1 " +
			"(10.99.0.11), node2 (10.99.0.12), node3 (10.99.0.13): its containers reach those nodes through the " +
			"overlay, not the hosts' network"))
		Expect(d.Findings[0].Severity).To(Equal(links.SeverityWarning))
	})
})

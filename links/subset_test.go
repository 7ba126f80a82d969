package links_test

import (
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

// subsetCluster is n nodes in subset mode on the published path, as node1
// gathers them: every link healthy and paused (last probed long before
// the fault) unless a spec rewrites it.
type subsetCluster struct {
	nodes []string
	views map[string]*links.View
}

const subsetIv = 30 * time.Second

func newSubsetCluster(n int) *subsetCluster {
	c := &subsetCluster{views: map[string]*links.View{}}
	for i := 1; i <= n; i++ {
		c.nodes = append(c.nodes, fmt.Sprintf("node%d", i))
	}
	for _, a := range c.nodes {
		v := &links.View{Node: a, Generated: simNow, Interval: subsetIv}
		for _, p := range c.nodes {
			if p == a {
				continue
			}
			for _, r := range []links.Role{links.RoleTCP, links.RoleUDP, links.RoleLarge, links.RoleArrival} {
				d := links.Outbound
				if r == links.RoleArrival {
					d = links.Inbound
				}
				s := state(a, p, pub, string(r), r, d, links.Healthy, "ok")
				s.Phase, s.Last, s.Since = links.PhasePaused, simNow.Add(-5*subsetIv), simNow.Add(-time.Hour)
				v.Links = append(v.Links, s)
			}
		}
		links.SortStates(v.Links)
		c.views[a] = v
	}
	return c
}

// set rewrites agent's states about peer with the given roles.
func (c *subsetCluster) set(agent, peer string, roles []links.Role, f func(s *links.LinkState)) {
	v := c.views[agent]
	for i := range v.Links {
		s := &v.Links[i]
		if s.Peer == peer && containsRole(roles, s.Role) {
			f(s)
		}
	}
}

func containsRole(roles []links.Role, r links.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

var echoes = []links.Role{links.RoleTCP, links.RoleUDP, links.RoleLarge}
var arrival = []links.Role{links.RoleArrival}

// failNow: failing since a round ago, probed this round.
func failNow(s *links.LinkState) {
	s.Status, s.Cause, s.Phase, s.Since, s.Last = links.Failing, "timeout", links.PhaseActive, simNow.Add(-subsetIv), simNow.Add(-2*time.Second)
}

func passNow(s *links.LinkState) {
	s.Status, s.Cause, s.Phase, s.Last = links.Healthy, "ok", links.PhaseActive, simNow.Add(-2*time.Second)
}

// activate makes every link current, as in full mesh: active, probed this round.
func (c *subsetCluster) activate() {
	for _, v := range c.views {
		for i := range v.Links {
			v.Links[i].Phase, v.Links[i].Last = links.PhaseActive, simNow.Add(-2*time.Second)
		}
	}
}

func (c *subsetCluster) input(missing ...string) links.Input {
	in := links.Input{Self: "node1", Now: simNow, Nodes: c.nodes, Views: map[string]links.View{}, Missing: map[string]string{}}
	for n, v := range c.views {
		in.Views[n] = *v
	}
	for _, n := range missing {
		delete(in.Views, n)
		in.Missing[n] = "no answer on any path"
	}
	return in
}

// cutSeenBy makes the observers' echoes and arrival records of node
// fail now, as when node is cut off; it returns c.
func cutSeenBy(c *subsetCluster, node string, observers ...string) *subsetCluster {
	for _, o := range observers {
		c.set(o, node, append(echoes, links.RoleArrival), failNow)
	}
	return c
}

func kinds(d links.Diagnosis) map[string]int {
	out := map[string]int{}
	for _, f := range d.Findings {
		out[f.Kind]++
	}
	return out
}

var _ = Describe("Diagnose in subset mode (links paused between their rounds)", func() {
	It("lets the newer record of a direction stand over an older paused one that disagrees", func() {
		c := newSubsetCluster(4)
		c.set("node3", "node2", echoes, failNow) // node3 → node2 fails now; node2's record of node3 is from before
		cell := cellOf(links.Diagnose(c.input()), "node3", "node2", pub)
		Expect(cell.State).To(Equal(links.Failing), "%+v", cell)
		Expect(cell.Forward).To(Equal(links.Unknown), "the paused arrival record predates the failing echoes")

		c = newSubsetCluster(4) // healed: the arrival record failed in its last round, the echoes pass now
		c.set("node2", "node3", arrival, func(s *links.LinkState) {
			s.Status, s.Cause, s.Since = links.Failing, "missing", simNow.Add(-10*subsetIv)
		})
		c.set("node3", "node2", echoes, passNow)
		cell = cellOf(links.Diagnose(c.input()), "node3", "node2", pub)
		Expect(cell.State).To(Equal(links.Healthy), "%+v", cell)

		c = newSubsetCluster(4) // healed, seen from the other end: the echoes failed in their last round, arrivals pass now
		c.set("node3", "node2", echoes, func(s *links.LinkState) {
			s.Status, s.Cause, s.Since = links.Failing, "timeout", simNow.Add(-10*subsetIv)
		})
		c.set("node2", "node3", arrival, passNow)
		cell = cellOf(links.Diagnose(c.input()), "node3", "node2", pub)
		Expect(cell.State).To(Equal(links.Healthy), "%+v", cell)
		Expect(cell.RoundTrip).To(Equal(links.Unknown), "the paused echoes' failure predates the arrivals: the matrix does not show it")

		c = newSubsetCluster(4) // both current: the arrival record stands, as in full mesh
		c.set("node3", "node2", echoes, failNow)
		c.set("node2", "node3", arrival, passNow)
		Expect(cellOf(links.Diagnose(c.input()), "node3", "node2", pub).State).To(Equal(links.Healthy),
			"the direction works; the round trip's failure is the reverse's")
	})

	It("finds a node's inbound drop once three current cells fail and the rest predate it", func() {
		c := newSubsetCluster(8)
		for _, from := range []string{"node1", "node3", "node4"} {
			c.set(from, "node2", echoes, failNow)
			c.set("node2", from, arrival, failNow)
		}
		d := links.Diagnose(c.input())
		Expect(kinds(d)).To(Equal(map[string]int{links.FindingNodeInbound: 1}), "%v", wanted(d))
		Expect(d.Findings[0].Node).To(Equal("node2"))
		Expect(d.Findings[0].Summary).To(HaveSuffix("(seen by the 3 nodes that probed it since it began; the other 4 have not yet, or failed once so far)"))

		c.set("node2", "node5", arrival, func(s *links.LinkState) { s.Last = simNow.Add(-subsetIv) })
		d = links.Diagnose(c.input())
		Expect(kinds(d)).To(Equal(map[string]int{links.FindingLinkDown: 3}),
			"node5's paused record is newer than the fault: it contradicts it; the reverses, paused since before, are not known (%v)", wanted(d))

		c = newSubsetCluster(8)
		for _, from := range []string{"node1", "node3", "node4"} {
			c.set(from, "node2", echoes, failNow)
			c.set("node2", from, arrival, failNow)
		}
		for _, from := range []string{"node5", "node6"} { // met the fault this round: one failed result
			c.set(from, "node2", echoes, func(s *links.LinkState) { failNow(s); s.Status = links.Pending })
		}
		d = links.Diagnose(c.input())
		Expect(kinds(d)).To(Equal(map[string]int{links.FindingNodeInbound: 1}), "pending cells speak neither way (%v)", wanted(d))

		c = newSubsetCluster(8)
		for _, from := range []string{"node1", "node3"} {
			c.set(from, "node2", echoes, failNow)
			c.set("node2", from, arrival, failNow)
		}
		d = links.Diagnose(c.input())
		Expect(kinds(d)).To(Equal(map[string]int{links.FindingLinkDown: 2}), "two cells are no quorum (%v)", wanted(d))
		c.set("node2", "node1", echoes, passNow)
		c.set("node1", "node2", arrival, passNow)
		d = links.Diagnose(c.input())
		Expect(kinds(d)).To(Equal(map[string]int{links.FindingLinkDown: 1, links.FindingOneWay: 1}),
			"node2 → node1 probed since: node1 → node2 is one way (%v)", wanted(d))
	})

	It("keeps the full-mesh rule where nothing is paused: one working cell into the node is no node-wide drop", func() {
		c := newSubsetCluster(5)
		c.activate()
		for _, from := range []string{"node1", "node3", "node4"} {
			c.set(from, "node2", echoes, failNow)
			c.set("node2", from, arrival, failNow)
		}
		c.set("node5", "node2", echoes, passNow)
		c.set("node2", "node5", arrival, passNow)
		d := links.Diagnose(c.input())
		Expect(kinds(d)).To(Equal(map[string]int{links.FindingOneWay: 3}), "%v", wanted(d))
	})

	It("fails a direction whose echoes fail and whose arrival record failed its last judgment, not yet confirmed", func() {
		c := newSubsetCluster(5)
		c.set("node3", "node4", echoes, failNow)
		c.set("node4", "node3", arrival, func(s *links.LinkState) {
			failNow(s)
			s.Status, s.Phase = links.Pending, links.PhasePaused // judged once since: node3 is due to node4 one round in a few
		})
		c.set("node4", "node3", echoes, passNow)
		c.set("node3", "node4", arrival, passNow)
		d := links.Diagnose(c.input())
		Expect(cellOf(d, "node3", "node4", pub).State).To(Equal(links.Failing))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingOneWay, "", "node3", "node4", pub}))
	})

	It("calls a failing direction down, not one way, when its reverse has not passed since the fault began", func() {
		c := newSubsetCluster(4)
		c.set("node1", "node4", echoes, failNow)
		c.set("node1", "node4", arrival, func(s *links.LinkState) { // judged once since the cut: pending, paused since
			failNow(s)
			s.Status, s.Phase = links.Pending, links.PhasePaused
		})
		d := links.Diagnose(c.input("node4"))
		Expect(wanted(d)).To(ContainElement(want{links.FindingLinkDown, "", "node1", "node4", pub}), "%v", wanted(d))
		Expect(kinds(d)).NotTo(HaveKey(links.FindingOneWay))
	})

	It("finds no host down before any path is probed (an agent that just started, its peers' views not in)", func() {
		in := links.Input{Self: "node1", Now: simNow, Nodes: []string{"node1", "node2", "node3", "node4"},
			Views:   map[string]links.View{"node1": {Node: "node1", Generated: simNow, Interval: subsetIv}},
			Missing: map[string]string{"node2": "no view", "node3": "no view", "node4": "no view"}}
		Expect(kinds(links.Diagnose(in))).To(Equal(map[string]int{links.FindingViewMissing: 3}), "neither cut off nor anyone down")
		in.Views["node2"] = links.View{Node: "node2", Generated: simNow, Interval: subsetIv}
		delete(in.Missing, "node2")
		Expect(kinds(links.Diagnose(in))).NotTo(HaveKey(links.FindingHostDown))
	})

	It("dates a fault from its observers' first failures: one that failed under load before turns failing at once", func() {
		// node8 is cut a round ago. node1 had failed once before (load): its
		// echoes turned failing at their first failure since the cut, 25 s
		// ago; node2's and node3's at their second. node4 last reached node8
		// 40 s ago, before the cut, and was not due since.
		c := newSubsetCluster(8)
		first := simNow.Add(-subsetIv + 5*time.Second)
		for o, since := range map[string]time.Time{"node1": first, "node2": simNow.Add(-2 * time.Second), "node3": simNow.Add(-2 * time.Second)} {
			c.set(o, "node8", append(echoes, links.RoleArrival), func(s *links.LinkState) {
				failNow(s)
				s.Since, s.FailedFrom = since, first
			})
		}
		passed := func(echoAgo, arrivalAgo time.Duration) links.Diagnosis {
			for roles, ago := range map[*[]links.Role]time.Duration{&echoes: echoAgo, &arrival: arrivalAgo} {
				c.set("node4", "node8", *roles, func(s *links.LinkState) {
					s.Status, s.Cause, s.Phase, s.Last = links.Healthy, "ok", links.PhasePaused, simNow.Add(-ago)
				})
			}
			return links.Diagnose(c.input("node8"))
		}
		d := passed(40*time.Second, 40*time.Second)
		Expect(kinds(d)).To(HaveKeyWithValue(links.FindingHostDown, 1), "node4 passed before the first failure (%v)", wanted(d))
		d = passed(40*time.Second, 20*time.Second)
		Expect(kinds(d)).To(HaveKeyWithValue(links.FindingHostDown, 1), "its arrival record counts from a round before its sweep: 50 s ago (%v)", wanted(d))
		d = passed(20*time.Second, 40*time.Second)
		Expect(kinds(d)).NotTo(HaveKey(links.FindingHostDown), "node4's echoes reached node8 after its first failure (%v)", wanted(d))
	})

	It("finds a cut node down once three observers fail to reach it and the rest predate the cut", func() {
		c := newSubsetCluster(8)
		cut := func(observers ...string) {
			for _, o := range observers {
				c.set(o, "node8", append(echoes, links.RoleArrival), failNow)
			}
		}
		cut("node1", "node2", "node3")
		c.set("node4", "node8", arrival, func(s *links.LinkState) { // judged failing in node8's last due round, paused since
			failNow(s)
			s.Phase = links.PhasePaused
		})
		c.set("node5", "node8", echoes, failNow) // its echoes fail now; node8's beacons were last judged before the cut
		c.set("node6", "node8", echoes, func(s *links.LinkState) { failNow(s); s.Status = links.Pending })
		c.set("node3", "node8", arrival, func(s *links.LinkState) { s.Status = links.Pending }) // heard nothing at its one judgment since
		c.set("node7", "node8", arrival, func(s *links.LinkState) {                             // judged at the sweep after the round of the cut
			s.Last = simNow.Add(-3 * subsetIv / 2)
		})
		d := links.Diagnose(c.input("node8"))
		Expect(kinds(d)).To(HaveKeyWithValue(links.FindingHostDown, 1), "%v", wanted(d))
		Expect(d.Findings[0].Summary).To(ContainSubstring("the 4 nodes that probed it since it failed reach it on no path"),
			"it does not claim all seven: node4 and node7 have not probed it since, node6 failed once")
		Expect(d.Findings[0].Summary).To(ContainSubstring("the other 3 have not probed it since"))
		Expect(kinds(d)).NotTo(HaveKey(links.FindingOneWay))

		c = newSubsetCluster(8)
		cut("node1", "node2")
		d = links.Diagnose(c.input("node8"))
		Expect(kinds(d)).NotTo(HaveKey(links.FindingHostDown), "two observers are no quorum (%v)", wanted(d))

		c = newSubsetCluster(8)
		cut("node1", "node2", "node3")
		c.set("node4", "node8", echoes, passNow)
		d = links.Diagnose(c.input("node8"))
		Expect(kinds(d)).NotTo(HaveKey(links.FindingHostDown), "node4 reaches it now (%v)", wanted(d))
	})

	It("takes an observer whose echoes passed before the cut and whose arrival record failed since as not having probed it since", func() {
		c := cutSeenBy(newSubsetCluster(8), "node8", "node1", "node2", "node3")
		c.set("node4", "node8", arrival, func(s *links.LinkState) { // node8 was due to beacon it this round: nothing came
			failNow(s)
			s.Status = links.Pending
		})
		d := links.Diagnose(c.input("node8"))
		Expect(kinds(d)).To(HaveKeyWithValue(links.FindingHostDown, 1), "%v", wanted(d))

		c.set("node4", "node8", echoes, func(s *links.LinkState) { // but its echoes passed since the cut
			s.Last = simNow.Add(-subsetIv)
		})
		d = links.Diagnose(c.input("node8"))
		Expect(kinds(d)).NotTo(HaveKey(links.FindingHostDown), "node4 reached it after its observers first failed (%v)", wanted(d))
	})

	It("counts no observer that never probed the cut node nor heard from it (the first cover after a start)", func() {
		c := cutSeenBy(newSubsetCluster(8), "node8", "node1", "node2", "node3")
		for _, o := range []string{"node4", "node5"} { // not yet in their rotation, nor they in node8's
			v := c.views[o]
			v.Links = slices.DeleteFunc(v.Links, func(s links.LinkState) bool { return s.Peer == "node8" })
		}
		d := links.Diagnose(c.input("node8"))
		Expect(kinds(d)).To(HaveKeyWithValue(links.FindingHostDown, 1), "%v", wanted(d))
		Expect(d.Findings[0].Summary).To(ContainSubstring("the 3 nodes that probed it since it failed"))
		Expect(d.Findings[0].Summary).To(ContainSubstring("the other 2 have not probed it since"), "node6 and node7; not node4, node5")
	})
})

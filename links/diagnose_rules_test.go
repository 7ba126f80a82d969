package links_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// Each spec here pins one rule of the diagnosis that the fault table leaves
// free: flipping the rule (hack/mutants.tsv names which) fails the spec.

// edit rewrites every view's states: keep false drops the state.
func edit(in links.Input, keep func(s *links.LinkState) bool) links.Input {
	for n, v := range in.Views {
		var out []links.LinkState
		for _, s := range v.Links {
			if keep(&s) {
				out = append(out, s)
			}
		}
		v.Links = out
		in.Views[n] = v
	}
	return in
}

func cellOf(d links.Diagnosis, from, to, path string) links.Cell {
	for _, c := range d.Cells {
		if c.From == from && c.To == to && c.Path == path {
			return c
		}
	}
	Fail("no cell " + from + "→" + to + " " + path)
	return links.Cell{}
}

func setSwarm(in links.Input, node string, list ...links.NodeInfo) {
	v := in.Views[node]
	v.Swarm = list
	in.Views[node] = v
}

var _ = Describe("Diagnose rules", func() {
	It("judges a state exactly StaleAfter old fresh, and the default stale age is three intervals", func() {
		in := fault{}.input("node1")
		in.StaleAfter = time.Minute
		in = edit(in, func(s *links.LinkState) bool { s.Last = simNow.Add(-time.Minute); return true })
		Expect(cellOf(links.Diagnose(in), "node1", "node2", ov).State).To(Equal(links.Healthy), "exactly StaleAfter old")

		in = fault{}.input("node1")
		for n, v := range in.Views {
			v.Interval = 20 * time.Second
			in.Views[n] = v
		}
		in = edit(in, func(s *links.LinkState) bool { s.Last = simNow.Add(-45 * time.Second); return true })
		Expect(cellOf(links.Diagnose(in), "node1", "node2", ov).State).To(Equal(links.Healthy), "45 s < 3 × 20 s")
	})

	It("judges by the round trip where no arrival record exists", func() {
		in := edit(fault{}.input("node1"), func(s *links.LinkState) bool { return s.Role != links.RoleArrival })
		d := links.Diagnose(in)
		Expect(cellOf(d, "node1", "node2", ov).State).To(Equal(links.Healthy))
		Expect(d.Verdict).To(Equal(links.Healthy))
	})

	It("keeps user checks out of the matrix", func() {
		in := fault{}.input("node1")
		v := in.Views["node1"]
		v.Links = append(v.Links, links.LinkState{Agent: "node1", Peer: "db:5432", Path: links.PathDirect, Probe: "db",
			Role: links.RoleCheck, Direction: links.Outbound, Status: links.Failing, Cause: "refused", Last: simNow})
		in.Views["node1"] = v
		d := links.Diagnose(in)
		Expect(d.Paths).To(Equal([]string{ov, pub}))
		Expect(d.Nodes).To(Equal(simNodes))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingCheckFailed, "", "node1", "db:5432", links.PathDirect}))
		Expect(d.Verdict).To(Equal(links.Failing), "a failing check fails the verdict, though no cell fails")
	})

	It("leaves a paused node out like a drained one", func() {
		in := fault{cut: map[string]bool{"node3": true}}.input("node1")
		setSwarm(in, "node1", links.NodeInfo{Name: "node3", State: "ready", Availability: "pause"})
		d := links.Diagnose(in)
		Expect(d.Nodes).NotTo(ContainElement("node3"))
		Expect(d.Findings).To(BeEmpty())
	})

	It("keeps a node whose view arrived though the Swarm's list lacks it, and removes nothing without a list", func() {
		in := fault{}.input("node1")
		setSwarm(in, "node1", links.NodeInfo{Name: "node1", State: "ready"}, links.NodeInfo{Name: "node2", State: "ready"})
		Expect(links.Diagnose(in).Nodes).To(Equal(simNodes))

		in = fault{noView: map[string]bool{"node3": true}}.input("node1")
		setSwarm(in, "node1")
		d := links.Diagnose(in)
		Expect(d.Nodes).To(Equal(simNodes))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingViewMissing, "node3", "", "", ""}))
	})

	It("keeps a node the Swarm reports down in the matrix, though no one listed it", func() {
		in := fault{down: map[string]bool{"node3": true}}.input("node1")
		in.Nodes = []string{"node1", "node2"}
		in = edit(in, func(s *links.LinkState) bool { return s.Peer != "node3" })
		d := links.Diagnose(in)
		Expect(d.Nodes).To(Equal(simNodes))
		Expect(wanted(d)).To(ContainElement(want{links.FindingHostDown, "node3", "", "", ""}))
	})

	It("takes the newest Swarm list", func() {
		in := fault{}.input("node1")
		setSwarm(in, "node1", links.NodeInfo{Name: "node3", State: "ready", Availability: "drain"})
		v := in.Views["node2"]
		v.Generated = simNow.Add(time.Second)
		v.Swarm = []links.NodeInfo{{Name: "node3", State: "ready", Availability: "active"}}
		in.Views["node2"] = v
		Expect(links.Diagnose(in).Nodes).To(ContainElement("node3"), "node2's newer list says node3 is active again")
	})

	It("does not convict a direction by a failing round trip when its reverse is broken and its own record is missing", func() {
		f := fault{drop: all(nil, dir{"node2", "node1", ov}), noView: map[string]bool{"node2": true}}
		d := links.Diagnose(f.input("node1"))
		Expect(cellOf(d, "node1", "node2", ov).State).To(Equal(links.Unknown))
		Expect(cellOf(d, "node2", "node1", ov).State).To(Equal(links.Failing))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingLinkDown, "", "node2", "node1", ov},
			want{links.FindingViewMissing, "node2", "", "", ""}))
	})

	It("calls a lossy arrival record loss, not an MTU fault, though the round trip shows no loss", func() {
		f := fault{slowLarge: all(nil, dir{"node1", "node2", ov}), loss: map[dir]float64{{"node1", "node2", ov}: 30}}
		in := edit(f.input("node3"), func(s *links.LinkState) bool { return s.Role != links.RoleUDP })
		d := links.Diagnose(in)
		Expect(cellOf(d, "node1", "node2", ov).State).To(Equal(links.Degraded))
		Expect(wanted(d)).To(ContainElement(want{links.FindingLoss, "", "node1", "node2", ov}))
	})

	It("leaves large packets unknown where no large echo runs, though the MTU is measured", func() {
		in := edit(fault{measured: true}.input("node1"), func(s *links.LinkState) bool { return s.Role != links.RoleLarge })
		Expect(cellOf(links.Diagnose(in), "node1", "node2", ov).Large).To(Equal(links.Unknown))
	})

	It("convicts no direction of a large echo whose prober cannot tell the leg while no MTU is measured: both unknown", func() {
		f := fault{large: all(nil, dir{"node1", "node3", ov}), noLeg: true}
		d := links.Diagnose(f.input("node2"))
		for _, c := range []links.Cell{cellOf(d, "node1", "node3", ov), cellOf(d, "node3", "node1", ov)} {
			Expect(c.State).To(Equal(links.Unknown), "%s → %s: never healthy, never an unconfirmed MTU fault", c.From, c.To)
		}
		Expect(d.Findings).To(BeEmpty())
	})

	It("rules the MTU out when both directions carry payloads within mtuSlack (16 B) of the ceiling", func() {
		f := fault{slowLarge: all(nil, into("node2", ov)...), measured: true}
		in := f.input("node1")
		for n, v := range in.Views {
			for i := range v.MTU {
				v.MTU[i].Largest = v.MTU[i].Ceiling - 16
			}
			in.Views[n] = v
		}
		Expect(links.Diagnose(in).Findings).To(BeEmpty())
	})

	It("convicts no direction on a short measurement from an earlier episode, taken before this failure began", func() {
		// Out of node2 now; node3 still shows node3 → node2 short from a
		// black hole into node2 that healed minutes ago.
		f := fault{large: all(nil, outOf("node2", ov)...), noLeg: true, measured: true}
		in := f.input("node2")
		v := in.Views["node3"]
		for i, m := range v.MTU {
			if m.To == "node2" && m.Path == ov {
				v.MTU[i].Largest, v.MTU[i].Measured = 918, simNow.Add(-3*time.Minute)
			}
		}
		in.Views["node3"] = v
		for _, n := range []string{"node2"} { // node2's own measurements: full, from before the fault
			v := in.Views[n]
			for i := range v.MTU {
				v.MTU[i].Largest, v.MTU[i].Measured = 1414, simNow.Add(-4*time.Minute)
			}
			in.Views[n] = v
		}
		Expect(cellOf(links.Diagnose(in), "node3", "node2", ov).State).NotTo(Equal(links.Failing))
	})

	It("convicts no direction whose measurement, begun after the failure began, carried its ceiling, though a prober saw a large echo lose that half (a starved peer)", func() {
		// node2 → node1 loses large packets both as node2's request and as
		// node1's reply, but node2 measured node2 → node1 up to its ceiling
		// (and node1 → node2 short, so that the MTU is not ruled out both ways).
		f := fault{large: all(nil, dir{"node2", "node1", ov}), measured: true}
		carried := func(largest int, ago ...time.Duration) links.Input {
			in := f.input("node3")
			for from, to := range map[string]string{"node2": "node1", "node1": "node2"} {
				v := in.Views[from]
				for i, m := range v.MTU {
					if m.To == to && m.Path == ov {
						v.MTU[i].Largest = map[string]int{"node2": largest, "node1": 922}[from]
						if len(ago) > 0 {
							v.MTU[i].Measured = simNow.Add(-ago[0])
						}
					}
				}
				in.Views[from] = v
			}
			return in
		}
		d := links.Diagnose(carried(1422))
		Expect(cellOf(d, "node2", "node1", ov).State).NotTo(Equal(links.Failing))
		Expect(d.Findings).To(BeEmpty())
		d = links.Diagnose(carried(1422 - 8))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingMTU, "", "node2", "node1", ov}), "within the slack of the ceiling is not at it")
		d = links.Diagnose(carried(1422, 62*time.Second)) // the failure began a minute ago
		Expect(wanted(d)).To(ConsistOf(want{links.FindingMTU, "", "node2", "node1", ov}), "measured just before the failure began")
	})

	It("tells the lost leg from measured MTUs only when they differ by more than mtuSlack", func() {
		f := fault{large: all(nil, into("node2", ov)...), noLeg: true, measured: true}
		in := f.input("node1")
		for n, v := range in.Views {
			for i, m := range v.MTU {
				if m.To == "node2" && m.Path == ov {
					v.MTU[i].Largest = 1414 - 16 // short by exactly the slack: no difference
				}
			}
			in.Views[n] = v
		}
		d := links.Diagnose(in)
		Expect(wanted(d)).To(ConsistOf(want{links.FindingMTUNode, "node2", "", "node2", ov}),
			"the sizes cannot tell the leg, but only the directions into node2 were measured short")
		Expect(cellOf(d, "node2", "node1", ov).State).To(Equal(links.Unknown), "a suspect, not a conviction")

		in = f.input("node1")
		for n, v := range in.Views {
			for i, m := range v.MTU {
				v.MTU[i].Largest = m.Ceiling - 16 // full, within the slack
				if m.To == "node2" && m.Path == ov {
					v.MTU[i].Largest = m.Ceiling - 16 - 17 // short by more than the slack
				}
			}
			in.Views[n] = v
		}
		Expect(wanted(links.Diagnose(in))).To(ConsistOf(want{links.FindingMTUNode, "node2", "", "node2", ov}))
	})

	It("calls a large echo failing with cause mtu an MTU fault while the small echo is only pending", func() {
		f := fault{large: all(nil, dir{"node1", "node3", ov})}
		in := edit(f.input("node2"), func(s *links.LinkState) bool {
			if (s.Agent == "node1" || s.Agent == "node3") && s.Peer != "node2" && s.Path == ov && s.Role == links.RoleTCP {
				s.Status = links.Pending
			}
			return true
		})
		Expect(wanted(links.Diagnose(in))).To(ConsistOf(want{links.FindingMTU, "", "node1", "node3", ov}))
	})

	It("calls a large echo failing for another cause an MTU fault while the small echo works", func() {
		f := fault{large: all(nil, dir{"node1", "node3", ov})}
		in := edit(f.input("node2"), func(s *links.LinkState) bool {
			if s.Role == links.RoleLarge && s.Status == links.Failing {
				s.Cause = string(probes.CauseTimeout)
			}
			return true
		})
		Expect(wanted(links.Diagnose(in))).To(ContainElement(want{links.FindingMTU, "", "node1", "node3", ov}))
	})

	It("explains a broken direction by its arrival record: the cause and since of its evidence", func() {
		c := cellOf(links.Diagnose(fault{drop: all(nil, dir{"node1", "node2", ov})}.input("node3")), "node1", "node2", ov)
		Expect(c.State).To(Equal(links.Failing))
		Expect(c.Cause).To(Equal(string(probes.CauseTimeout)))
		Expect(c.Since).To(Equal(simNow.Add(-time.Minute)))
		Expect(c.Message).NotTo(BeEmpty())
	})

	It("calls a direction whose beacons are lost broken, not an MTU fault, though its large echoes fail", func() {
		in := edit(fault{large: all(nil, dir{"node1", "node2", ov})}.input("node3"), func(s *links.LinkState) bool {
			if s.Agent == "node2" && s.Peer == "node1" && s.Path == ov && s.Role == links.RoleArrival {
				s.Status, s.Cause = links.Failing, "missing"
			}
			return true
		})
		c := cellOf(links.Diagnose(in), "node1", "node2", ov)
		Expect(c.State).To(Equal(links.Failing))
		Expect(c.Cause).To(Equal(string(probes.CauseTimeout)))
	})

	It("gives a lossy direction its cause and loss percent", func() {
		d := links.Diagnose(fault{loss: map[dir]float64{{"node1", "node2", ov}: 25}}.input("node3"))
		c := cellOf(d, "node1", "node2", ov)
		Expect(c.Cause).To(Equal("loss"))
		Expect(c.LossPercent).To(Equal(25.0))
		Expect(d.Findings).To(ConsistOf(HaveField("LossPercent", 25.0)))
	})

	It("convicts a direction by the peer's large echo whose reply was lost, where the source runs none", func() {
		in := edit(fault{large: all(nil, into("node2", ov)...)}.input("node3"), func(s *links.LinkState) bool {
			return s.Agent != "node1" || s.Role != links.RoleLarge
		})
		c := cellOf(links.Diagnose(in), "node1", "node2", ov)
		Expect(c.State).To(Equal(links.Failing))
		Expect(c.Cause).To(Equal(string(probes.CauseMTU)))
	})
})

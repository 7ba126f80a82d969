package links_test

import (
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

const ov, pub = links.PathOverlay, links.PathPublished

type scenario struct {
	f       fault
	want    []want            // on every node...
	on      map[string][]want // ...unless the node has its own expectation
	verdict links.State
}

var _ = Describe("Diagnose", func() {
	DescribeTable("names the same findings on every node, both ends and the third",
		func(sc scenario) {
			for _, self := range simNodes {
				if sc.f.down[self] {
					continue // its agent is gone: nobody asks it
				}
				d := links.Diagnose(sc.f.input(self))
				exp, ok := sc.on[self]
				if !ok {
					exp = sc.want
				}
				if len(exp) == 0 {
					Expect(d.Findings).To(BeEmpty(), "asked on %s", self)
				} else {
					Expect(wanted(d)).To(ConsistOf(exp), "asked on %s: %v", self, d.Findings)
				}
				if sc.verdict != "" {
					Expect(d.Verdict).To(Equal(sc.verdict), "verdict on %s", self)
				}
				expectTruthfulCells(sc.f, self, d)
			}
		},
		Entry("a healthy cluster is quiet", scenario{verdict: links.Healthy}),
		Entry("VXLAN dropped into node3", scenario{f: fault{drop: all(nil, into("node3", ov)...)},
			want: []want{{links.FindingNodeInbound, "node3", "", "node3", ov}}, verdict: links.Failing}),
		Entry("VXLAN dropped out of node3", scenario{f: fault{drop: all(nil, outOf("node3", ov)...)},
			want: []want{{links.FindingNodeOutbound, "node3", "node3", "", ov}}}),
		Entry("VXLAN dropped both ways at node3", scenario{f: fault{drop: all(nil, append(into("node3", ov), outOf("node3", ov)...)...)},
			want: []want{{links.FindingNodeInbound, "node3", "", "node3", ov}, {links.FindingNodeOutbound, "node3", "node3", "", ov}}}),
		Entry("one direction of one pair", scenario{f: fault{drop: all(nil, dir{"node1", "node2", ov})},
			want: []want{{links.FindingOneWay, "", "node1", "node2", ov}}}),
		Entry("the other direction of that pair", scenario{f: fault{drop: all(nil, dir{"node2", "node1", ov})},
			want: []want{{links.FindingOneWay, "", "node2", "node1", ov}}}),
		Entry("both directions of one pair", scenario{f: fault{drop: all(nil, dir{"node1", "node2", ov}, dir{"node2", "node1", ov})},
			want: []want{{links.FindingLinkDown, "", "node1", "node2", ov}}}),
		Entry("MTU black hole on the receiving side of node2", scenario{f: fault{large: all(nil, into("node2", ov)...)},
			want: []want{{links.FindingMTUNode, "node2", "", "node2", ov}}, verdict: links.Failing}),
		Entry("MTU black hole on the sending side of node2", scenario{f: fault{large: all(nil, outOf("node2", ov)...)},
			want: []want{{links.FindingMTUNode, "node2", "node2", "", ov}}}),
		Entry("MTU black hole into node2, probers blind to the leg, MTU measured", scenario{
			f:    fault{large: all(nil, into("node2", ov)...), noLeg: true, measured: true},
			want: []want{{links.FindingMTUNode, "node2", "", "node2", ov}}}),
		Entry("MTU black hole out of node2, probers blind to the leg, MTU measured", scenario{
			f:    fault{large: all(nil, outOf("node2", ov)...), noLeg: true, measured: true},
			want: []want{{links.FindingMTUNode, "node2", "node2", "", ov}}}),
		Entry("large echoes into node2 fail, nobody can tell the leg and nothing is measured yet: unknown, neither MTU nor healthy", scenario{
			f: fault{large: all(nil, into("node2", ov)...), noLeg: true}, verdict: links.Unknown}),
		Entry("MTU black hole one pair, one direction", scenario{f: fault{large: all(nil, dir{"node1", "node3", ov})},
			want: []want{{links.FindingMTU, "", "node1", "node3", ov}}}),
		Entry("large echoes timing out while the measured MTU is full both ways: not an MTU black hole", scenario{
			f: fault{slowLarge: all(nil, into("node2", ov)...), measured: true}, verdict: links.Healthy}),
		Entry("30% loss into node2 with large echoes timing out: loss, not MTU", scenario{
			f: fault{slowLarge: all(nil, into("node2", ov)...), measured: true,
				loss: map[dir]float64{{"node1", "node2", ov}: 30, {"node3", "node2", ov}: 30}},
			want: []want{{links.FindingLoss, "node2", "", "node2", ov}}, verdict: links.Degraded}),
		Entry("30% loss into node2 with large echoes timing out, MTU not measured: loss, not MTU", scenario{
			f: fault{slowLarge: all(nil, into("node2", ov)...),
				loss: map[dir]float64{{"node1", "node2", ov}: 30, {"node3", "node2", ov}: 30}},
			want: []want{{links.FindingLoss, "node2", "", "node2", ov}}, verdict: links.Degraded}),
		Entry("30% loss into node2 measured only by round trips, large echoes timing out: loss, not MTU", scenario{
			f: fault{roundTripLossOnly: true, slowLarge: all(nil, into("node2", ov)...),
				loss: map[dir]float64{{"node1", "node2", ov}: 30, {"node3", "node2", ov}: 30}},
			want: []want{{links.FindingLoss, "node2", "", "", ov}}, verdict: links.Degraded}),
		Entry("a published port dropped on node2", scenario{f: fault{drop: all(nil, into("node2", pub)...)},
			want: []want{{links.FindingPublishedPort, "node2", "", "node2", pub}}}),
		Entry("node3 cut off: the others say host down, node3 says it is cut off", scenario{f: fault{cut: map[string]bool{"node3": true}},
			want: []want{{links.FindingHostDown, "node3", "", "", ""}},
			on:   map[string][]want{"node3": {{links.FindingCutOff, "node3", "", "", ""}}}, verdict: links.Failing}),
		Entry("node3 down in Swarm, its agent gone", scenario{f: fault{down: map[string]bool{"node3": true}},
			want: []want{{links.FindingHostDown, "node3", "", "", ""}}}),
		Entry("30% loss into node2 on the overlay", scenario{f: fault{loss: map[dir]float64{{"node1", "node2", ov}: 30, {"node3", "node2", ov}: 30}},
			want: []want{{links.FindingLoss, "node2", "", "node2", ov}}, verdict: links.Degraded}),
		Entry("30% loss out of node2 on the overlay", scenario{f: fault{loss: map[dir]float64{{"node2", "node1", ov}: 30, {"node2", "node3", ov}: 30}},
			want: []want{{links.FindingLoss, "node2", "node2", "", ov}}, verdict: links.Degraded}),
		Entry("loss one direction of one pair", scenario{f: fault{loss: map[dir]float64{{"node1", "node2", ov}: 25}},
			want: []want{{links.FindingLoss, "", "node1", "node2", ov}}, verdict: links.Degraded}),
		Entry("30% loss into node2, measured only by round trips", scenario{f: fault{roundTripLossOnly: true,
			loss: map[dir]float64{{"node1", "node2", ov}: 30, {"node3", "node2", ov}: 30}},
			want: []want{{links.FindingLoss, "node2", "", "", ov}}, verdict: links.Degraded}),
		Entry("loss under the degraded threshold is quiet", scenario{f: fault{loss: map[dir]float64{{"node1", "node2", ov}: 5}},
			verdict: links.Healthy}),
		Entry("node3's view missing, links fine: partial, not healthy", scenario{f: fault{noView: map[string]bool{"node3": true}},
			want: []want{{links.FindingViewMissing, "node3", "", "", ""}}, on: map[string][]want{"node3": nil}, verdict: ""}),
	)

	It("tells a refused key, clock skew and a busy responder apart from an outage", func() {
		for cause, kind := range map[probes.Cause]string{probes.CauseAuth: links.FindingPeerKey,
			probes.CauseClockSkew: links.FindingClockSkew, probes.CauseBusy: links.FindingBusy} {
			f := fault{cause: map[dir]string{{"node1", "node2", ov}: string(cause)}}
			d := links.Diagnose(f.input("node3"))
			Expect(wanted(d)).To(ContainElement(want{kind, "", "node1", "node2", ov}), "%s: %v", cause, d.Findings)
			for _, fd := range d.Findings {
				Expect(fd.Kind).NotTo(BeElementOf(links.FindingLinkDown, links.FindingOneWay, links.FindingHostDown), "%s", cause)
			}
		}
	})

	It("attaches the named nodes' host evidence from their views, bounded", func() {
		f := fault{drop: all(nil, into("node3", ov)...)}
		in := f.input("node1")
		v := in.Views["node3"]
		ev := links.HostEvidence{Interfaces: []links.Interface{{Name: "eth0", MTU: 1450}}}
		for range 100 {
			ev.Routes = append(ev.Routes, links.Route{Destination: "10.0.0.0/24", Interface: "eth0"})
		}
		v.Host = &ev
		in.Views["node3"] = v
		d := links.Diagnose(in)
		Expect(d.Findings).To(HaveLen(1))
		Expect(d.Findings[0].Hosts).To(HaveKey("node3"))
		Expect(d.Findings[0].Hosts["node3"].Interfaces).To(HaveLen(1))
		Expect(len(d.Findings[0].Hosts["node3"].Routes)).To(BeNumerically("<=", 32))
	})

	It("names the Swarm's own data-path port in its explanations", func() {
		f := fault{drop: all(nil, into("node3", ov)...)}
		in := f.input("node2")
		Expect(links.Diagnose(in).Findings[0].Summary).To(ContainSubstring("VXLAN (UDP 4789) into node3"), "the default")
		v := in.Views["node1"]
		v.DataPathPort = 7789 // swarm init --data-path-port 7789, as node1's (manager's) engine says
		in.Views["node1"] = v
		d := links.Diagnose(in)
		Expect(d.Findings[0].Summary).To(ContainSubstring("VXLAN (UDP 7789) into node3"))
		Expect(d.Findings[0].Advice).To(ContainSubstring("allow UDP 7789 into node3"))
	})

	It("answers empty lists as [], never null", func() {
		b, err := json.Marshal(links.Diagnose(fault{}.input("node1")))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).To(ContainSubstring(`"findings":[]`))
		Expect(string(b)).To(ContainSubstring(`"checks":[]`))
	})

	It("says which view came by which path and which did not come", func() {
		f := fault{noView: map[string]bool{"node3": true}}
		in := f.input("node1")
		v := in.Views["node2"]
		v.Via = links.ViaPublished
		in.Views["node2"] = v
		d := links.Diagnose(in)
		Expect(d.Partial).To(BeTrue())
		Expect(d.Views["node2"].Via).To(Equal(links.ViaPublished))
		Expect(d.Views["node3"].Missing).NotTo(BeEmpty())
		Expect(d.Verdict).To(Equal(links.Unknown), "a partial view is never healthy")
	})

	It("gives the measured largest payload and what to set for an MTU black hole", func() {
		f := fault{large: all(nil, into("node2", ov)...), measured: true}
		d := links.Diagnose(f.input("node1"))
		Expect(d.Findings).To(HaveLen(1))
		Expect(d.Findings[0].Largest).To(Equal(922))
		Expect(d.Findings[0].Advice).To(ContainSubstring("950 B"))
		Expect(d.Findings[0].Advice).To(ContainSubstring("overlay MTU 1450 exceeds it"))
		Expect(d.Findings[0].Advice).To(ContainSubstring("com.docker.network.driver.mtu ≤ 950"))
	})

	It("lists as an MTU finding's evidence the destination's large echoes whose replies were lost on the way", func() {
		f := fault{large: all(nil, dir{"node2", "node1", ov}), measured: true}
		d := links.Diagnose(f.input("node3"))
		Expect(wanted(d)).To(ConsistOf(want{links.FindingMTU, "", "node2", "node1", ov}))
		var seen []string
		for _, s := range d.Findings[0].Evidence {
			seen = append(seen, s.Agent+" "+s.Probe+" "+s.Leg)
		}
		Expect(seen).To(ContainElements("node2 overlay-large request", "node1 overlay-large reply"))
		Expect(seen).NotTo(ContainElement(HavePrefix("node1 overlay-tcp")), "node1's echoes of node2 are not about node2 → node1")
	})

	It("judges an old state unknown, but not a paused one", func() {
		in := fault{}.input("node1")
		v := in.Views["node1"]
		for i := range v.Links {
			v.Links[i].Last = simNow.Add(-time.Hour)
			if v.Links[i].Peer == "node3" {
				v.Links[i].Phase = links.PhasePaused
			}
		}
		in.Views["node1"] = v
		d := links.Diagnose(in)
		for _, c := range d.Cells {
			if c.From == "node1" && c.To == "node2" {
				Expect(c.RoundTrip).To(Equal(links.Unknown), "stale: %+v", c)
			}
			if c.From == "node1" && c.To == "node3" {
				Expect(c.RoundTrip).To(Equal(links.Healthy), "paused keeps its state: %+v", c)
			}
		}
	})

	It("leaves a node the Swarm removed out, and never calls it down", func() {
		f := fault{cut: map[string]bool{"node3": true}}
		in := f.input("node1")
		v := in.Views["node1"]
		v.Swarm = []links.NodeInfo{{Name: "node1", State: "ready"}, {Name: "node2", State: "ready"}}
		in.Views["node1"] = v
		d := links.Diagnose(in)
		Expect(d.Nodes).To(Equal([]string{"node1", "node2"}))
		Expect(d.Findings).To(BeEmpty())
	})

	It("leaves a drained node out, and never calls it down", func() {
		f := fault{cut: map[string]bool{"node3": true}}
		in := f.input("node1")
		v := in.Views["node1"]
		v.Swarm = []links.NodeInfo{{Name: "node3", State: "ready", Availability: "drain"}}
		in.Views["node1"] = v
		d := links.Diagnose(in)
		Expect(d.Nodes).NotTo(ContainElement("node3"))
		Expect(d.Findings).To(BeEmpty())
	})
})

// expectTruthfulCells: a direction the fault leaves working is never
// failing, and a broken direction never healthy, where both ends' views
// arrived.
func expectTruthfulCells(f fault, self string, d links.Diagnosis) {
	for _, c := range d.Cells {
		if d.Views[c.From].Missing != "" || d.Views[c.To].Missing != "" {
			continue
		}
		x := dir{c.From, c.To, c.Path}
		broken := f.broken(x) || f.large[x] || f.loss[x] >= 10
		if broken {
			ExpectWithOffset(1, c.State).NotTo(Equal(links.Healthy), "on %s: broken %+v", self, c)
		} else if f.loss[x] == 0 && f.roundTripLossOnly {
			// Round trips cannot say which way their loss went.
			ExpectWithOffset(1, c.State).NotTo(Equal(links.Failing), "on %s: works %+v", self, c)
		} else if f.loss[x] == 0 {
			ExpectWithOffset(1, c.State).NotTo(BeElementOf(links.Failing, links.Degraded), "on %s: works %+v", self, c)
		}
	}
}

package e2e

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// diagnosisBound is how soon after a fault every node must give the same
// true diagnosis: three mesh intervals (F=2 of 3 results, and the
// receiver's sweep) and one discovery refresh, for the views to travel.
const diagnosisBound = 3*meshInterval + meshRefresh

// blackHoleAt is the outer IP length from which the MTU specs drop VXLAN
// packets, and mtuTolerance how far the measured largest payload may be
// from what that length lets through.
const (
	blackHoleAt  = 1000
	mtuTolerance = 64
)

// One link model, one diagnosis (issue 8): every fault the harness makes,
// and every node, asked (its /api/v1/matrix and `swarmlink status --format
// json`), gives the same findings, with cells that never call a working
// direction failing nor a broken one healthy, and the first Alertmanager
// alert of each fault carries the finding's cause.
//
// A node-wide finding names its node, and the direction it is about points
// at it too: node-inbound and published-port carry to=node, node-outbound
// from=node (links/findings_nodes.go); mtu-node's to or from is what tells
// the receiving side from the sending side.
var _ = Describe("one diagnosis", Label("e2e", "diagnosis"), Ordered, ContinueOnFailure, func() {
	var n1, n2, n3 *cluster.Node
	BeforeEach(func(ctx SpecContext) {
		n1, n2, n3 = suite.Nodes[0], suite.Nodes[1], suite.Nodes[2]
		eventuallyDiagnosedHealthy(ctx, 60*time.Second)
		eventuallyNoAlerts(ctx, 75*time.Second)
	})

	It("a healthy cluster: every node says healthy with no findings, and status exits 0", func(ctx SpecContext) {
		for _, n := range suite.Nodes {
			d, err := diagnosis(ctx, n)
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Self).To(Equal(n.Name))
			Expect(d.Nodes).To(ConsistOf(nodeNames()))
			Expect(d.Paths).To(ConsistOf(diagPaths))
			Expect(d.Cells).To(HaveLen(len(diagPaths)*len(suite.Nodes)*(len(suite.Nodes)-1)), "N×(N−1) cells per path")
			expectStatusAgrees(ctx, n, nil)
		}
	}, SpecTimeout(specTimeout))

	It("VXLAN dropped into node3: node-inbound node3 overlay, on every node", func(ctx SpecContext) {
		runFault(ctx, faultCase{
			name:   "VXLAN into node3",
			inject: func() { injectAll(ctx, cluster.DropOverlayTo)(n3) },
			want:   exactly(FindingKey{Kind: "node-inbound", Node: n3.Name, To: n3.Name, Path: "overlay"}),
			broken: func(c Cell) bool { return c.Path == "overlay" && c.To == n3.Name },
			strict: true, verdicts: []string{"failing"},
			facts: factsEach(n3, func(o *cluster.Node) []linkFact {
				return []linkFact{
					{node: o, peer: n3, path: "overlay", dir: "outbound", state: "failing"},
					{node: n3, peer: o, path: "overlay", dir: "inbound", state: "failing"},
					{node: o, peer: n3, path: "overlay", dir: "inbound", state: "healthy"},
					{node: o, peer: n3, path: "published", dir: "outbound", state: "healthy"},
				}
			}),
		})
	})

	It("VXLAN dropped out of node3: node-outbound node3 overlay, on every node", func(ctx SpecContext) {
		runFault(ctx, faultCase{
			name:   "VXLAN out of node3",
			inject: func() { injectAll(ctx, cluster.DropOverlayFrom)(n3) },
			want:   exactly(FindingKey{Kind: "node-outbound", Node: n3.Name, From: n3.Name, Path: "overlay"}),
			broken: func(c Cell) bool { return c.Path == "overlay" && c.From == n3.Name },
			strict: true, verdicts: []string{"failing"},
			facts: factsEach(n3, func(o *cluster.Node) []linkFact {
				return []linkFact{
					{node: n3, peer: o, path: "overlay", dir: "outbound", state: "failing"},
					{node: o, peer: n3, path: "overlay", dir: "inbound", state: "failing"},
					{node: n3, peer: o, path: "overlay", dir: "inbound", state: "healthy"},
					{node: n3, peer: o, path: "published", dir: "outbound", state: "healthy"},
				}
			}),
		})
	})

	It("VXLAN dropped from node1 into node2 only: one-way node1 → node2 overlay, nothing about node3", func(ctx SpecContext) {
		runFault(ctx, faultCase{
			name: "one-way node1 → node2",
			inject: func() {
				injectAll(ctx, func(ctx context.Context, n *cluster.Node) (cluster.Heal, error) {
					return cluster.DropOverlayBetween(ctx, n1, n)
				})(n2)
			},
			want: exactly(FindingKey{Kind: "one-way", From: n1.Name, To: n2.Name, Path: "overlay"}),
			broken: func(c Cell) bool {
				return c.Path == "overlay" && c.From == n1.Name && c.To == n2.Name
			},
			strict: true, verdicts: []string{"failing"},
			facts: []linkFact{
				{node: n1, peer: n2, path: "overlay", dir: "outbound", state: "failing"},
				{node: n2, peer: n1, path: "overlay", dir: "inbound", state: "failing"},
				{node: n1, peer: n2, path: "overlay", dir: "inbound", state: "healthy"},
				{node: n3, peer: n2, path: "overlay", dir: "outbound", state: "healthy"},
				{node: n2, peer: n3, path: "overlay", dir: "outbound", state: "healthy"},
			},
		})
	})

	It("MTU black hole into node2: mtu-node node2, to node2, cause mtu, largest measured ≈ L − 79", func(ctx SpecContext) {
		runFault(ctx, faultCase{
			name: "MTU black hole into node2",
			inject: func() {
				injectAll(ctx, func(ctx context.Context, n *cluster.Node) (cluster.Heal, error) {
					return cluster.MTUBlackHoleTo(ctx, n, blackHoleAt)
				})(n2)
			},
			want:   exactly(FindingKey{Kind: "mtu-node", Node: n2.Name, To: n2.Name, Path: "overlay"}),
			broken: func(c Cell) bool { return c.Path == "overlay" && c.To == n2.Name },
			cause:  "mtu", verdicts: []string{"failing", "degraded"},
			facts: factsEach(n2, func(o *cluster.Node) []linkFact {
				return []linkFact{
					{node: o, peer: n2, path: "overlay", dir: "outbound", probe: "overlay-large", state: "failing", cause: "mtu"},
					{node: o, peer: n2, path: "overlay", dir: "outbound", probe: "overlay-tcp", state: "healthy"},
					{node: o, peer: n2, path: "published", dir: "outbound", state: "healthy"},
				}
			}),
			after: func(p *problems, _ time.Time, ds map[string]Diagnosis) {
				expectMTU(ctx, p, ds, func(m MTU) bool { return m.Path == "overlay" && m.To == n2.Name })
			},
		})
	})

	It("MTU black hole out of node2: mtu-node node2, from node2, cause mtu, largest measured ≈ L − 79", func(ctx SpecContext) {
		runFault(ctx, faultCase{
			name: "MTU black hole out of node2",
			inject: func() {
				injectAll(ctx, func(ctx context.Context, n *cluster.Node) (cluster.Heal, error) {
					return cluster.MTUBlackHoleFrom(ctx, n, blackHoleAt)
				})(n2)
			},
			want:   exactly(FindingKey{Kind: "mtu-node", Node: n2.Name, From: n2.Name, Path: "overlay"}),
			broken: func(c Cell) bool { return c.Path == "overlay" && c.From == n2.Name },
			cause:  "mtu", verdicts: []string{"failing", "degraded"},
			facts: factsEach(n2, func(o *cluster.Node) []linkFact {
				return []linkFact{
					{node: n2, peer: o, path: "overlay", dir: "outbound", probe: "overlay-large", state: "failing", cause: "mtu"},
					{node: n2, peer: o, path: "overlay", dir: "outbound", probe: "overlay-tcp", state: "healthy"},
					{node: n2, peer: o, path: "published", dir: "outbound", state: "healthy"},
				}
			}),
			after: func(p *problems, _ time.Time, ds map[string]Diagnosis) {
				expectMTU(ctx, p, ds, func(m MTU) bool { return m.Path == "overlay" && m.From == n2.Name })
			},
		})
	})

	It("the mesh's published port dropped on node2: published-port node2, overlay healthy", func(ctx SpecContext) {
		runFault(ctx, faultCase{
			name:   "published port on node2",
			inject: func() { injectAll(ctx, dropPeerPort("tcp"), dropPeerPort("udp"))(n2) },
			want:   exactly(FindingKey{Kind: "published-port", Node: n2.Name, To: n2.Name, Path: "published"}),
			broken: func(c Cell) bool { return c.Path == "published" && c.To == n2.Name },
			strict: true, verdicts: []string{"failing"},
			facts: factsEach(n2, func(o *cluster.Node) []linkFact {
				return []linkFact{
					{node: o, peer: n2, path: "published", dir: "outbound", state: "failing"},
					{node: n2, peer: o, path: "published", dir: "inbound", state: "failing"},
					{node: n2, peer: o, path: "published", dir: "outbound", state: "healthy"},
					{node: o, peer: n2, path: "overlay", dir: "outbound", state: "healthy"},
				}
			}),
		})
	})

	It("30 % of VXLAN into node2 lost: loss to node2 overlay between 10 and 60 %, degraded, no mtu", func(ctx SpecContext) {
		runFault(ctx, faultCase{
			name: "30 % loss into node2",
			inject: func() {
				injectAll(ctx, func(ctx context.Context, n *cluster.Node) (cluster.Heal, error) {
					return cluster.LossTo(ctx, n, 0.3)
				})(n2)
			},
			want:     lossTo(n2.Name),
			broken:   func(c Cell) bool { return c.Path == "overlay" && c.To == n2.Name },
			verdicts: []string{"degraded"},
			after: func(p *problems, t0 time.Time, _ map[string]Diagnosis) {
				expectLossInHistory(ctx, p, t0, n2)
			},
		})
	})

	It("node3 cut off: node1 and node2 say host-down node3, node3 says cut off; one SwarmlinkHostUnreachable fires and stays until healed", func(ctx SpecContext) {
		runCut(ctx, n3)
	}, SpecTimeout(5*time.Minute))
})

// dropPeerPort drops the mesh's published peer port (9471) on a node.
func dropPeerPort(proto string) func(context.Context, *cluster.Node) (cluster.Heal, error) {
	return func(ctx context.Context, n *cluster.Node) (cluster.Heal, error) {
		return cluster.DropPublishedPort(ctx, n, proto, meshPeerPort)
	}
}

// meshPeerPort is the stack's published peer port (tcp and udp).
const meshPeerPort = 9471

func nodeNames() []string {
	var out []string
	for _, n := range suite.Nodes {
		out = append(out, n.Name)
	}
	return out
}

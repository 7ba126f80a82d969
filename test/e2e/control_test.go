package e2e

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/network"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// The Swarm's control plane as the agents see it: every agent connects to
// every other node's gossip port (7946) and the managers' 2377 (path
// control), and reads its overlay networks' peer tables from its engine.
var _ = Describe("the Swarm control plane", Label("e2e"), Ordered, func() {
	BeforeAll(func(ctx SpecContext) { eventuallyDiagnosedHealthy(ctx, 90*time.Second) })

	It("diagnoses node3's blocked gossip as gossip on node3 from every node, not as VXLAN; its alert carries the host evidence",
		func(ctx SpecContext) {
			n3 := suite.Nodes[2]
			d, err := diagnosis(ctx, suite.Manager())
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Paths).To(ContainElement("control"), "the control plane is probed while healthy too")

			t0 := time.Now()
			heal, err := cluster.DropGossip(ctx, n3)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(heal)
			var summary string
			Eventually(ctx, func(g Gomega) {
				for _, n := range suite.Nodes {
					d, err := diagnosis(ctx, n)
					g.Expect(err).NotTo(HaveOccurred())
					var gossip []Finding
					for _, f := range d.Findings {
						g.Expect(f.Kind).NotTo(BeElementOf("node-inbound", "node-outbound", "link-down", "one-way"),
							"%s: the overlay's failure is the gossip's: %s", n.Name, d.Brief())
						if f.Kind == "gossip" {
							gossip = append(gossip, f)
						}
					}
					g.Expect(gossip).To(HaveLen(1), "%s: %s", n.Name, d.Brief())
					g.Expect(gossip[0].Node).To(Equal(n3.Name))
					g.Expect(gossip[0].Summary).To(HavePrefix(n3.Name + "'s Swarm gossip port (TCP 7946) is unreachable from every node"))
					summary = gossip[0].Summary
				}
			}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
			printf("gossip blocked on %s: every node names gossip and %s %s after the fault: %s", n3.Name, n3.Name,
				time.Since(t0).Round(100*time.Millisecond), summary)

			Eventually(ctx, func(g Gomega) {
				active, err := amActive(ctx)
				g.Expect(err).NotTo(HaveOccurred())
				var desc string
				for _, a := range active {
					if a.Labels["alertname"] == "SwarmlinkGossip" && a.Labels["node"] == n3.Name {
						desc = a.Annotations["description"]
					}
				}
				g.Expect(desc).To(ContainSubstring("Host " + n3.Name + ":"))
				g.Expect(desc).To(ContainSubstring(fmt.Sprintf("swarm: node address %s, data path UDP 4789", n3.Addr)))
				g.Expect(desc).To(MatchRegexp(`overlay `+suite.OverlayNetwork()+` 10\.[0-9.]+/24, mtu 1450 \+ 50 VXLAN = 1500 on the underlay, peers `),
					"the agent network with its MTU arithmetic and peer table")
			}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())

			Expect(heal(ctx)).To(Succeed())
			printf("gossip on %s healed: every node healthy %s after", n3.Name, eventuallyDiagnosedHealthy(ctx, 3*time.Minute))
		}, SpecTimeout(6*time.Minute))

	It("tells TCP and UDP lost out of node2 while its pings pass (checksums) from a VXLAN drop", func(ctx SpecContext) {
		n2 := suite.Nodes[1]
		t0 := time.Now()
		heal, err := cluster.DropInnerTCPUDPFrom(ctx, n2)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(heal)
		want := FindingKey{Kind: "checksum", Node: n2.Name, From: n2.Name, Path: "overlay"}
		Eventually(ctx, func(g Gomega) {
			for _, n := range suite.Nodes {
				d, err := diagnosis(ctx, n)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(d.Keys()).To(Equal([]FindingKey{want}), "%s: %s", n.Name, d.Brief())
			}
		}).WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Succeed())
		printf("TCP and UDP out of %s lost, pings passing: every node says checksum %s after the fault",
			n2.Name, time.Since(t0).Round(100*time.Millisecond))
		Expect(heal(ctx)).To(Succeed())
		eventuallyDiagnosedHealthy(ctx, 90*time.Second)
	}, SpecTimeout(4*time.Minute))

	It("finds an overlay network whose subnet holds the nodes' addresses", func(ctx SpecContext) {
		m := suite.Manager()
		const name = "sl_overlap"
		_, err := m.Client.NetworkCreate(ctx, name, network.CreateOptions{Driver: "overlay",
			IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: "10.99.0.0/16"}}}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx context.Context) { _ = m.Client.NetworkRemove(ctx, name) })
		var held []string
		for _, n := range suite.Nodes {
			held = append(held, fmt.Sprintf("%s (%s)", n.Name, n.Addr))
		}
		want := fmt.Sprintf("overlay network %s's subnet 10.99.0.0/16 holds the address of %s: its containers reach "+
			"those nodes through the overlay, not the hosts' network", name, strings.Join(held, ", "))
		Eventually(ctx, func(g Gomega) {
			for _, n := range suite.Nodes {
				d, err := diagnosis(ctx, n)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(d.Findings).To(ContainElement(And(HaveField("Kind", "subnet-overlap"), HaveField("Summary", want))),
					"%s: %s", n.Name, d.Brief())
			}
		}).WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Succeed())
		Expect(m.Client.NetworkRemove(ctx, name)).To(Succeed())
		eventuallyDiagnosedHealthy(ctx, 60*time.Second)
	}, SpecTimeout(3*time.Minute))
})

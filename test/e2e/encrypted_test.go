package e2e

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// encryptedNet is the second agent network of the spec below; the suite's
// agent config names its subnet (testdata/swarmlink.yml,
// mesh.encrypted_subnet), so an agent attached to it probes it as the
// "encrypted" path.
const encryptedNet, encryptedSubnet = "swarmlink_enc", "10.201.0.0/24"

// This kernel has no ESP (CONFIG_INET_ESP unset): an overlay created with
// encrypted on carries nothing, while the plain one works. The agents are
// put on such a network too and must say exactly that, the same from
// every node, and be healthy again once it is gone.
var _ = Describe("an encrypted agent network", Label("e2e"), Ordered, func() {
	BeforeAll(func(ctx SpecContext) {
		m := suite.Manager()
		_, err := m.Client.NetworkCreate(ctx, encryptedNet, network.CreateOptions{Driver: "overlay", Attachable: true,
			Options: map[string]string{"encrypted": ""},
			IPAM:    &network.IPAM{Config: []network.IPAMConfig{{Subnet: encryptedSubnet}}}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) {
			setAgentNetworks(ctx, false)
			Eventually(ctx, func() error { return m.Client.NetworkRemove(ctx, encryptedNet) }).
				WithTimeout(time.Minute).WithPolling(2 * time.Second).Should(Succeed())
			eventuallyDiagnosedHealthy(ctx, 2*time.Minute)
			// The agents restarted off the network restore the alert from
			// their state and must resolve it once the path is gone.
			Eventually(ctx, func(g Gomega) {
				active, err := amActive(ctx)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(active).NotTo(ContainElement(HaveField("Labels", HaveKeyWithValue("alertname", "SwarmlinkEncryptedOverlay"))))
			}).WithTimeout(90 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
		}, NodeTimeout(7*time.Minute))
	})

	It("is explained as IPsec ESP from every node, the plain overlay healthy", func(ctx SpecContext) {
		start := time.Now()
		setAgentNetworks(ctx, true)
		var names []string
		for _, n := range suite.Nodes {
			names = append(names, n.Name)
		}
		Eventually(ctx, func(g Gomega) {
			var ids []string
			for _, n := range suite.Nodes {
				d, err := diagnosis(ctx, n)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(d.Paths).To(ContainElements("encrypted", "overlay", "published"), "%s", d.Brief())
				for _, c := range d.Cells {
					switch c.Path {
					case "encrypted":
						g.Expect(c.State).To(Equal("failing"), "%s→%s encrypted: %s", c.From, c.To, d.Brief())
					case "overlay", "published":
						g.Expect(c.State).To(Equal("healthy"), "%s→%s %s: %s", c.From, c.To, c.Path, d.Brief())
					}
				}
				g.Expect(d.Findings).To(HaveLen(1), "%s", d.Brief())
				f := d.Findings[0]
				g.Expect([]string{f.Kind, f.Path, f.Severity}).To(Equal([]string{"encrypted", "encrypted", "critical"}))
				g.Expect(f.Summary).To(ContainSubstring(fmt.Sprintf("the encrypted overlay fails in every direction "+
					"between the %d nodes", len(names))))
				g.Expect(f.Summary).To(HaveSuffix("while the plain overlay carries them all: IPsec ESP (IP protocol " +
					"50) is blocked between the nodes, or their kernels do not support it (CONFIG_INET_ESP, xfrm)"))
				ids = append(ids, f.ID)
			}
			g.Expect(slices.Compact(ids)).To(HaveLen(1), "the same finding from every node")
		}).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		GinkgoWriter.Printf("ESP explained on every node %s after the agents joined the encrypted network\n",
			time.Since(start).Round(time.Second))
	}, SpecTimeout(6*time.Minute))
})

// setAgentNetworks puts the stack's agents on the encrypted network as well
// (on) or takes them off it: a rolling update of the global service.
func setAgentNetworks(ctx context.Context, on bool) {
	GinkgoHelper()
	m := suite.Manager()
	svc, _, err := m.Client.ServiceInspectWithRaw(ctx, suite.AgentService(), swarm.ServiceInspectOptions{})
	Expect(err).NotTo(HaveOccurred())
	enc, err := m.Client.NetworkInspect(ctx, encryptedNet, network.InspectOptions{})
	Expect(err).NotTo(HaveOccurred())
	spec := svc.Spec
	nets := slices.DeleteFunc(slices.Clone(spec.TaskTemplate.Networks), func(n swarm.NetworkAttachmentConfig) bool {
		return n.Target == encryptedNet || n.Target == enc.ID
	})
	if on {
		nets = append(nets, swarm.NetworkAttachmentConfig{Target: encryptedNet})
	}
	spec.TaskTemplate.Networks = nets
	_, err = m.Client.ServiceUpdate(ctx, svc.ID, svc.Version, spec, swarm.ServiceUpdateOptions{})
	Expect(err).NotTo(HaveOccurred())
	Eventually(ctx, func(g Gomega) {
		for _, n := range suite.Nodes {
			ct, err := suite.AgentContainer(ctx, n)
			g.Expect(err).NotTo(HaveOccurred())
			_, attached := ct.NetworkSettings.Networks[encryptedNet]
			g.Expect(attached).To(Equal(on), "%s's agent on %s", n.Name, encryptedNet)
			g.Expect(ct.State.Health).NotTo(BeNil())
			g.Expect(ct.State.Health.Status).To(Equal("healthy"), "%s's agent", n.Name)
		}
	}).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
}

package e2e

import (
	"github.com/docker/docker/api/types/network"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// The seed's single-host experiments, on node1: what resolves and connects
// on the default bridge, a user-defined bridge and a Compose project network.
var _ = Describe("single-host networks", Label("e2e"), Ordered, func() {
	var n *cluster.Node
	BeforeAll(func() { n = suite.Manager() })

	It("default bridge: a peer answers by IP, but its name does not resolve (no embedded DNS)", func(ctx SpecContext) {
		peer, err := StartAgent(ctx, n, containerSpec{name: "peer"}, 0)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(peer.Remove)
		ip := peer.IPs["bridge"]
		Expect(ip).NotTo(BeEmpty())

		r := verifyIn(ctx, n, "bridge",
			tcp("by-ip", ip+":9470", "reachable"),
			tcp("by-name", "peer:9470", "unreachable"),
			Probe{Name: "name-lookup", Kind: "dns", Target: "peer", Timeout: "2s", Expect: "unreachable"})
		expectAllPassed(r)
		expectResult(r, "by-ip", true, "ok")
		Expect(expectResult(r, "by-name", true, "dns").Reachable).To(BeFalse())
		expectResult(r, "name-lookup", true, "dns")
	}, SpecTimeout(specTimeout))

	It("user-defined bridge: a peer answers by container name, short ID and name.network", func(ctx SpecContext) {
		_, err := n.Client.NetworkCreate(ctx, "testnw", network.CreateOptions{Driver: "bridge"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(n.Client.NetworkRemove(ctx, "testnw")).To(Succeed()) })
		peer, err := StartAgent(ctx, n, containerSpec{name: "web1", network: "testnw"}, 0)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(peer.Remove)

		r := verifyIn(ctx, n, "testnw",
			tcp("by-name", "web1:9470", "reachable"),
			tcp("by-short-id", peer.ID[:12]+":9470", "reachable"),
			tcp("by-name-network", "web1.testnw:9470", "reachable"),
			Probe{Name: "embedded-dns", Kind: "dns", Target: "web1", Timeout: "2s",
				DNS: &DNSOpts{Resolver: "127.0.0.11:53", Answers: []string{peer.IPs["testnw"]}}})
		expectAllPassed(r)
		for _, name := range []string{"by-name", "by-short-id", "by-name-network", "embedded-dns"} {
			expectResult(r, name, true, "ok")
		}
	}, SpecTimeout(specTimeout))

	It("compose project network: the service name answers between containers, not from the host", func(ctx SpecContext) {
		const project, netName = "proj", "proj_default"
		_, err := n.Client.NetworkCreate(ctx, netName, network.CreateOptions{Driver: "bridge",
			Labels: map[string]string{"com.docker.compose.project": project, "com.docker.compose.network": "default"}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(n.Client.NetworkRemove(ctx, netName)).To(Succeed()) })
		web, err := StartAgent(ctx, n, containerSpec{name: "proj-web-1", network: netName, aliases: []string{"web"},
			labels: composeLabels(project, "web")}, 0)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(web.Remove)

		r := verifyIn(ctx, n, netName,
			tcp("by-service", "web:9470", "reachable"),
			tcp("by-container", "proj-web-1:9470", "reachable"),
			Probe{Name: "http-by-service", Kind: "http", Target: "http://web:9470/healthz", Timeout: "2s",
				HTTP: &HTTPOpts{Status: []int{200}}})
		expectAllPassed(r)
		expectResult(r, "by-service", true, "ok")
		expectResult(r, "http-by-service", true, "ok")

		host, err := VerifyOnNode(ctx, n,
			Probe{Name: "host-lookup", Kind: "dns", Target: "web", Timeout: "2s", Expect: "unreachable"},
			tcp("host-connect", "web:9470", "unreachable"))
		Expect(err).NotTo(HaveOccurred())
		expectAllPassed(host)
		expectResult(host, "host-lookup", true, "dns")
		expectResult(host, "host-connect", true, "dns")
	}, SpecTimeout(specTimeout))
})

// composeLabels are the labels Docker Compose puts on a service's container.
func composeLabels(project, service string) map[string]string {
	return map[string]string{
		"com.docker.compose.project":          project,
		"com.docker.compose.service":          service,
		"com.docker.compose.container-number": "1",
		"com.docker.compose.oneoff":           "False",
	}
}

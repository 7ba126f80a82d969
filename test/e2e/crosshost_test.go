package e2e

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// The seed's cross-host experiments: published ports between hosts, the
// Swarm overlay, and the two paths that are broken by design on a kernel
// without IPVS (service VIP, ingress routing mesh).
var _ = Describe("across hosts", Label("e2e"), Ordered, func() {
	var n1, n2 *cluster.Node
	BeforeAll(func() { n1, n2 = suite.Nodes[0], suite.Nodes[1] })

	It("a port published on node2 answers at node2's address; unpublished, it is refused while the host answers", func(ctx SpecContext) {
		pub, err := StartAgent(ctx, n2, containerSpec{name: "pub", publish: map[string]string{"2222/tcp": "22222"}}, 2222)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pub.Remove)
		unpub, err := StartAgent(ctx, n2, containerSpec{name: "unpub"}, 2222)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(unpub.Remove)

		r := verifyIn(ctx, n1, "bridge",
			tcp("published", n2.Addr+":22222", "reachable"),
			tcp("unpublished", n2.Addr+":2222", "unreachable"),
			Probe{Name: "host-ping", Kind: "icmp", Target: n2.Addr, Timeout: "3s"})
		expectAllPassed(r)
		expectResult(r, "published", true, "ok")
		expectResult(r, "unpublished", true, "refused")
		expectResult(r, "host-ping", true, "ok")
	}, SpecTimeout(specTimeout))

	It("the stack's agents answer each other across nodes on the overlay, and tasks.<service> lists every task", func(ctx SpecContext) {
		tasks := agentTasks(ctx)
		var ips []string
		for _, t := range tasks {
			ips = append(ips, t.IP)
		}
		for _, from := range []*cluster.Node{n1, n2} {
			probes := []Probe{
				dnsTasks("tasks-short", "tasks.agent", ips),
				dnsTasks("tasks-full", "tasks."+suite.AgentService(), ips),
				tcp("by-service-name", "agent:9470", "reachable"),
			}
			for _, t := range tasks {
				probes = append(probes, tcp("task-"+t.Node.Name, t.IP+":9470", "reachable"))
			}
			r := verifyIn(ctx, from, suite.OverlayNetwork(), probes...)
			expectAllPassed(r)
			for _, name := range []string{"tasks-short", "tasks-full"} {
				Expect(expectResult(r, name, true, "ok").Answers).To(ConsistOf(ips), "from %s", from.Name)
			}
		}
	}, SpecTimeout(specTimeout))

	It("a service VIP times out while its task IPs answer; an ingress port is refused while the host-mode port answers", func(ctx SpecContext) {
		const svc, ingressPort = "vipsvc", 23000
		tasks := createVIPService(ctx, svc, 2, ingressPort)
		var ips []string
		probes := []Probe{tcp("vip", svc+":9470", "unreachable")}
		for i, t := range tasks {
			ips = append(ips, t.IP)
			probes = append(probes, tcp(fmt.Sprintf("task-%d", i), t.IP+":9470", "reachable"))
		}
		probes = append(probes, dnsTasks("tasks", "tasks."+svc, ips))
		var r VerifyReport
		Eventually(func(g Gomega) { // the tasks' agents may still be starting
			r = verifyIn(ctx, n1, suite.OverlayNetwork(), probes...)
			g.Expect(r.Passed).To(BeTrue(), "%s", r)
		}).WithContext(ctx).WithTimeout(60 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
		expectResult(r, "vip", true, "timeout")

		r = verifyIn(ctx, n1, "bridge",
			tcp("ingress", fmt.Sprintf("%s:%d", n2.Addr, ingressPort), "unreachable"),
			tcp("host-mode", n2.Addr+":9470", "reachable"))
		expectAllPassed(r)
		expectResult(r, "ingress", true, "refused")
		expectResult(r, "host-mode", true, "ok")
	}, SpecTimeout(specTimeout))
})

// dnsTasks is a dns probe of a tasks.<service> name on the embedded resolver
// that must return exactly ips (at least as many answers, each of them).
func dnsTasks(name, target string, ips []string) Probe {
	return Probe{Name: name, Kind: "dns", Target: target, Timeout: "2s",
		DNS: &DNSOpts{Resolver: "127.0.0.11:53", Transport: "udp", MinAnswers: len(ips), Answers: ips}}
}

// agentTasks returns the stack's agent tasks, one per node, with their
// overlay addresses, as the manager's API reports them.
func agentTasks(ctx context.Context) []cluster.Task {
	GinkgoHelper()
	var tasks []cluster.Task
	Eventually(func(g Gomega) {
		var err error
		tasks, err = suite.ServiceTasks(ctx, suite.AgentService(), suite.OverlayNetwork())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(tasks).To(HaveLen(len(suite.Nodes)))
		seen := map[string]bool{}
		for _, t := range tasks {
			g.Expect(t.Node).NotTo(BeNil())
			g.Expect(t.IP).NotTo(BeEmpty())
			seen[t.Node.Name] = true
		}
		g.Expect(seen).To(HaveLen(len(suite.Nodes)), "one agent per node")
	}).WithContext(ctx).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	return tasks
}

// createVIPService creates a replicated service in the default endpoint
// mode (vip) on the stack's overlay, publishing port 9470 through the
// ingress routing mesh, and waits for its running tasks.
func createVIPService(ctx context.Context, name string, replicas uint64, published uint32) []cluster.Task {
	GinkgoHelper()
	m := suite.Manager()
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{Image: suite.Image, Args: []string{"agent"}},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: suite.OverlayNetwork()}},
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeVIP, Ports: []swarm.PortConfig{{
			Protocol: swarm.PortConfigProtocolTCP, TargetPort: 9470, PublishedPort: published,
			PublishMode: swarm.PortConfigPublishModeIngress}}},
	}
	_, err := m.Client.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	removeOnCleanup(name, true)
	var tasks []cluster.Task
	Eventually(func(g Gomega) {
		var err error
		tasks, err = suite.ServiceTasks(ctx, name, suite.OverlayNetwork())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(tasks).To(HaveLen(int(replicas)))
		for _, t := range tasks {
			g.Expect(t.IP).NotTo(BeEmpty())
		}
	}).WithContext(ctx).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
	return tasks
}

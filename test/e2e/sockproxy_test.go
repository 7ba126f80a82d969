package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
	"github.com/swarmlink/swarmlink/test/sockproxy"
)

// Least privilege: an agent whose Docker socket is a proxy that lets only
// sockproxy.DefaultAllow's GET and HEAD requests through still makes its
// swarm and label checks from the Docker API, and never asks for more.
var _ = Describe("the agent behind a read-only Docker socket proxy", Label("e2e"), func() {
	const hostPort = 29480
	It("makes its swarm and label checks from the Docker API, and the proxy refused nothing", func(ctx SpecContext) {
		m := suite.Manager()
		proxy, sock := startSockProxy(m)
		name := "slproxied-agent"
		agent := startSwarmAgentWith(ctx, m, hostPort, name, sock, map[string]string{
			"swarmlink.check.self.kind":        "http",
			"swarmlink.check.self.target":      "http://127.0.0.1:9470/healthz",
			"swarmlink.check.self.http.status": "200",
		})
		tasks := agentTasks(ctx)
		var ips []string
		for _, t := range tasks {
			ips = append(ips, t.IP)
		}
		svc := suite.AgentService()
		dnsKey, selfKey := "swarm/"+svc+"/dns/tasks", "labels/"+name+"/self"
		Eventually(func(g Gomega) {
			var list struct{ Items []swarmCheck }
			g.Expect(agent.get(ctx, "/api/v1/checks", &list)).To(Succeed())
			byKey := map[string]swarmCheck{}
			passedTasks := map[string]bool{}
			for _, c := range list.Items {
				byKey[c.Metadata.Key] = c
				r := c.Status.LastResult
				if c.Spec.Link.Path == "task" && r != nil && r.Passed {
					passedTasks[c.Spec.Spec.Target] = true
				}
			}
			g.Expect(byKey).To(HaveKey(dnsKey))
			g.Expect(byKey[dnsKey].Status.LastResult).NotTo(BeNil())
			g.Expect(byKey[dnsKey].Status.LastResult.Passed).To(BeTrue(), "%+v", byKey[dnsKey].Status.LastResult)
			g.Expect(byKey[dnsKey].Status.LastResult.Answers).To(ConsistOf(ips), "the tasks it read from the API")
			for _, ip := range ips {
				g.Expect(passedTasks).To(HaveKey(ip+":9470"), "a passing task check of each agent task")
			}
			for _, n := range suite.Nodes {
				h := byKey[fmt.Sprintf("swarm/%s/host/%s-9470", svc, n.Name)]
				g.Expect(h.Status.LastResult).NotTo(BeNil(), "host-mode port check on %s", n.Name)
				g.Expect(h.Status.LastResult.Passed).To(BeTrue(), "%+v", h.Status.LastResult)
			}
			g.Expect(byKey).To(HaveKey(selfKey), "the label check of its own container (containers/json)")
			g.Expect(byKey[selfKey].Metadata.Origin).To(Equal("labels"))
			g.Expect(byKey[selfKey].Status.LastResult).NotTo(BeNil())
			g.Expect(byKey[selfKey].Status.LastResult.Passed).To(BeTrue(), "%+v", byKey[selfKey].Status.LastResult)
		}).WithContext(ctx).WithTimeout(120*time.Second).WithPolling(time.Second).Should(Succeed(),
			// After a node was cut off for a minute (another spec), the
			// Swarm took longer than 60 s once (CI, 13:48) to list its new
			// agent task's host-mode port: the bound is the Swarm's.
			"within 120 s")

		var st swarmStatus
		Expect(agent.get(ctx, "/api/v1/status", &st)).To(Succeed())
		Expect(st.SourceErrors).To(BeEmpty())
		Expect(st.LabelErrors).To(BeEmpty())
		allowed := proxy.Allowed()
		GinkgoWriter.Printf("the proxy forwarded %v\n", allowed)
		for _, ep := range []string{"/_ping", "/info", "/services", "/nodes", "/tasks", "/containers/json", "/events"} {
			Expect(allowed).To(HaveKeyWithValue(ep, BeNumerically(">", 0)), "the agent's calls went through the proxy")
		}
		Expect(proxy.Denied()).To(BeEmpty(), "the agent asked for nothing off the allow-list")
	}, SpecTimeout(specTimeout))
})

// startSockProxy serves a sockproxy with the default allow-list in front of
// n's engine, on a socket under the harness's state dir (which n's engine
// sees, and can bind-mount into a container), until the spec ends. It
// returns the proxy and its socket's path.
func startSockProxy(n *cluster.Node) (*sockproxy.Proxy, string) {
	GinkgoHelper()
	dir := filepath.Join(cluster.StateDir, "sockproxy", n.Name)
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	sock := filepath.Join(dir, "docker.sock")
	l, err := sockproxy.Listen(sock)
	Expect(err).NotTo(HaveOccurred())
	p := sockproxy.New(n.Socket, sockproxy.DefaultAllow())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, l) }()
	DeferCleanup(func() {
		cancel()
		Expect(<-done).To(Succeed())
		Expect(os.RemoveAll(dir)).To(Succeed())
	})
	return p, sock
}

package e2e

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// Every fault the harness injects, each shown to break what it should (and
// only that) and to be undone by its Heal, which may be called twice.
var _ = Describe("fault injection", Label("e2e"), Ordered, func() {
	var n1, n2, n3 *cluster.Node
	taskIP := map[string]string{} // node name -> agent task's overlay address

	// Each spec reads the task addresses afresh: a restarted node's task
	// has a new one.
	BeforeEach(func(ctx SpecContext) {
		n1, n2, n3 = suite.Nodes[0], suite.Nodes[1], suite.Nodes[2]
		clear(taskIP)
		for _, t := range agentTasks(ctx) {
			taskIP[t.Node.Name] = t.IP
		}
	})

	// inject applies a fault and registers its Heal as a cleanup.
	inject := func(ctx context.Context, fault func(context.Context) (cluster.Heal, error)) cluster.Heal {
		GinkgoHelper()
		heal, err := fault(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(heal(ctx)).To(Succeed()) })
		return heal
	}
	healTwice := func(ctx context.Context, heal cluster.Heal) {
		GinkgoHelper()
		Expect(heal(ctx)).To(Succeed())
		Expect(heal(ctx)).To(Succeed(), "heal is idempotent")
	}

	for _, tc := range []struct {
		what  string
		fault func(context.Context, *cluster.Node) (cluster.Heal, error)
	}{
		{"to", cluster.DropOverlayTo},
		{"from", cluster.DropOverlayFrom},
	} {
		It("overlay dropped "+tc.what+" a node: its task times out over the overlay, others and its published port answer; healed", func(ctx SpecContext) {
			heal := inject(ctx, func(ctx context.Context) (cluster.Heal, error) { return tc.fault(ctx, n2) })
			r := verifyIn(ctx, n1, suite.OverlayNetwork(),
				tcp("to-node2", taskIP[n2.Name]+":9470", "unreachable"),
				tcp("to-node3", taskIP[n3.Name]+":9470", "reachable"))
			expectAllPassed(r)
			expectResult(r, "to-node2", true, "timeout")
			Expect(dialFromRoot(ctx, n2.Addr, 9470)).To(Succeed(), "the published port is another path")

			healTwice(ctx, heal)
			eventuallyPasses(ctx, n1, suite.OverlayNetwork(), tcp("to-node2", taskIP[n2.Name]+":9470", "reachable"))
		}, SpecTimeout(specTimeout))
	}

	It("MTU black hole: small exchanges with a node pass over the overlay, large ones time out; healed", func(ctx SpecContext) {
		heal := inject(ctx, func(ctx context.Context) (cluster.Heal, error) { return cluster.MTUBlackHole(ctx, n2) })
		large := largeRequest("large", "http://"+taskIP[n2.Name]+":9470/healthz")
		large.Expect = "unreachable"
		r := verifyIn(ctx, n1, suite.OverlayNetwork(), tcp("small", taskIP[n2.Name]+":9470", "reachable"), large)
		expectAllPassed(r)
		expectResult(r, "small", true, "ok")
		expectResult(r, "large", true, "timeout")

		healTwice(ctx, heal)
		eventuallyPasses(ctx, n1, suite.OverlayNetwork(), largeRequest("large", "http://"+taskIP[n2.Name]+":9470/healthz"))
	}, SpecTimeout(specTimeout))

	It("a published port dropped on a node times out from the machine while the overlay still answers; healed", func(ctx SpecContext) {
		heal := inject(ctx, func(ctx context.Context) (cluster.Heal, error) {
			return cluster.DropPublishedPort(ctx, n2, "tcp", 9470)
		})
		Expect(isTimeout(dialFromRoot(ctx, n2.Addr, 9470))).To(BeTrue(), "connect to the dropped port times out")
		expectAllPassed(verifyIn(ctx, n1, suite.OverlayNetwork(), tcp("overlay", taskIP[n2.Name]+":9470", "reachable")))

		healTwice(ctx, heal)
		Expect(dialFromRoot(ctx, n2.Addr, 9470)).To(Succeed())
	}, SpecTimeout(specTimeout))

	It("one direction dropped: node1 cannot reach node2's port while node2 reaches node1's; healed", func(ctx SpecContext) {
		heal := inject(ctx, func(ctx context.Context) (cluster.Heal, error) {
			return cluster.DropOneWay(ctx, n1, n2, "tcp", 9470)
		})
		r := verifyIn(ctx, n1, "bridge", tcp("node1-to-node2", n2.Addr+":9470", "unreachable"))
		expectAllPassed(r)
		expectResult(r, "node1-to-node2", true, "timeout")
		expectAllPassed(verifyIn(ctx, n2, "bridge", tcp("node2-to-node1", n1.Addr+":9470", "reachable")))

		healTwice(ctx, heal)
		eventuallyPasses(ctx, n1, "bridge", tcp("node1-to-node2", n2.Addr+":9470", "reachable"))
	}, SpecTimeout(specTimeout))

	It("a node cut off the underlay answers nobody; healed", func(ctx SpecContext) {
		heal := inject(ctx, func(ctx context.Context) (cluster.Heal, error) { return cluster.CutNode(ctx, n3) })
		Expect(dialFromRoot(ctx, n3.Addr, 9470)).NotTo(Succeed())
		r := verifyIn(ctx, n1, "bridge", tcp("node1-to-node3", n3.Addr+":9470", "unreachable"))
		expectAllPassed(r)
		Expect(expectResultCause(r, "node1-to-node3")).To(BeElementOf("timeout", "unreachable"))

		healTwice(ctx, heal)
		Eventually(func() error { return dialFromRoot(ctx, n3.Addr, 9470) }).
			WithContext(ctx).WithTimeout(30 * time.Second).Should(Succeed())
		eventuallyPasses(ctx, n1, "bridge", tcp("node1-to-node3", n3.Addr+":9470", "reachable"))
		// The underlay is back, but the other nodes dropped node3's task
		// from their overlay state (tasks.agent, routes) while it was cut
		// off; Swarm restores it on its own, some seconds later.
		took, first := waitConverged(ctx)
		GinkgoWriter.Printf("cut node3: the cluster converged %s after the heal was seen (at first: %v)\n", took, first)
	}, SpecTimeout(specTimeout))

	It("a node's engine stopped takes its agent down; healed, it rejoins and its agent is healthy again", func(ctx SpecContext) {
		heal := inject(ctx, func(ctx context.Context) (cluster.Heal, error) { return cluster.StopEngine(ctx, n2) })
		_, err := n2.Client.Ping(ctx)
		Expect(err).To(HaveOccurred(), "the engine is stopped")
		Expect(dialFromRoot(ctx, n2.Addr, 9470)).NotTo(Succeed())

		healTwice(ctx, heal)
		_, err = n2.Client.Ping(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(suite.WaitAgentsHealthy(ctx, 2*time.Minute)).To(Succeed())
		Expect(dialFromRoot(ctx, n2.Addr, 9470)).To(Succeed())
		for _, t := range agentTasks(ctx) { // node2's task is new, with a new address
			if t.Node == n2 {
				eventuallyPasses(ctx, n1, suite.OverlayNetwork(), tcp("to-node2", t.IP+":9470", "reachable"))
			}
		}
		took, first := waitConverged(ctx)
		GinkgoWriter.Printf("engine restarted on node2: the cluster converged %s after its agent was healthy (at first: %v)\n", took, first)
	}, SpecTimeout(4*time.Minute))
})

// largeRequest is an http probe whose request (a 4 KiB header) cannot fit
// in one small packet.
func largeRequest(name, url string) Probe {
	return Probe{Name: name, Kind: "http", Target: url, Timeout: "3s",
		HTTP: &HTTPOpts{Status: []int{200}, Headers: map[string]string{"X-Pad": strings.Repeat("p", 4096)}}}
}

// eventuallyPasses retries a verify run until every probe passes.
func eventuallyPasses(ctx context.Context, n *cluster.Node, network string, probes ...Probe) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		r, err := VerifyIn(ctx, n, network, probes...)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(r.Passed).To(BeTrue(), "%s", r)
	}).WithContext(ctx).WithTimeout(45 * time.Second).WithPolling(time.Second).Should(Succeed())
}

// expectResultCause returns a passed result's cause.
func expectResultCause(r VerifyReport, name string) string {
	GinkgoHelper()
	res, ok := r.Result(name)
	Expect(ok).To(BeTrue(), "no result %q in %s", name, r)
	Expect(res.Passed).To(BeTrue(), "%s", r)
	return res.Cause
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

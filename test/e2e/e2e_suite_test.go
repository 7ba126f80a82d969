// Package e2e is swarmlink's end-to-end suite: the experiments of the seed
// notes (docker networking across bridges, Compose networks, hosts and a
// Swarm overlay) expressed as swarmlink checks and run against a real
// three-node Swarm built by test/cluster, plus the deployed stack and every
// fault the harness can inject, each proven and healed.
//
// The cluster is brought up once for the whole suite (BeforeSuite) and torn
// down in AfterSuite, which then fails the suite if anything the harness made
// is left (cluster.LeakCheck). Needs root on Linux; run with `make test-e2e`.
package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// suite is the cluster every spec runs against.
var suite *cluster.Cluster

func TestE2E(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the e2e suite needs root: it creates network namespaces and runs dockerd")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "swarmlink e2e")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	start := time.Now()
	c, err := cluster.Up(ctx, cluster.Options{Deploy: true, Log: GinkgoWriter,
		LogDir: os.Getenv("SWARMLINK_E2E_LOGS"), Config: testConfig})
	Expect(err).NotTo(HaveOccurred())
	suite = c
	deployed := time.Now()
	startReceivers(ctx) // before the agents' first alert
	Expect(c.WaitAgentsHealthy(ctx, 2*time.Minute)).To(Succeed())
	measureDeployedMesh(ctx, deployed)
	GinkgoWriter.Printf("cluster of %d nodes with healthy agents in %s\n", len(c.Nodes), time.Since(start).Round(time.Second))
}, NodeTimeout(12*time.Minute))

// AfterSuite also runs after a failure or an interrupt (SIGINT, SIGTERM):
// Ginkgo runs cleanup nodes before it exits.
// Without a cluster, Up failed and already removed what it made, or it
// found a demo cluster, which is not the suite's to remove or leak-check.
var _ = AfterSuite(func(ctx SpecContext) {
	if suite == nil && cluster.DemoRunning() {
		return
	}
	if suite != nil {
		stopReceivers()
		Expect(suite.Down(ctx)).To(Succeed())
	}
	Expect(cluster.LeakCheck(ctx)).To(Succeed())
}, NodeTimeout(3*time.Minute))

// testConfig is the agent config the stack is deployed with: the chart's
// shape with short timings, and alerting to the suite's receivers.
const testConfig = "testdata/swarmlink.yml"

// specTimeout bounds one spec; most take seconds.
const specTimeout = 3 * time.Minute

// verifyIn runs verify in a container and expects it to have run (exit 0
// or 1); callers assert on the report.
func verifyIn(ctx context.Context, n *cluster.Node, network string, probes ...Probe) VerifyReport {
	GinkgoHelper()
	r, err := VerifyIn(ctx, n, network, probes...)
	Expect(err).NotTo(HaveOccurred())
	return r
}

// expectResult asserts one named result's passed flag and cause.
func expectResult(r VerifyReport, name string, passed bool, cause string) CheckResult {
	GinkgoHelper()
	res, ok := r.Result(name)
	Expect(ok).To(BeTrue(), "no result %q in %s", name, r)
	Expect(res.Passed).To(Equal(passed), "result %q: %+v\n%s", name, res, r)
	Expect(res.Cause).To(Equal(cause), "result %q: %+v\n%s", name, res, r)
	return res
}

// expectAllPassed asserts verify's overall verdict and exit code 0.
func expectAllPassed(r VerifyReport) {
	GinkgoHelper()
	Expect(r.Passed).To(BeTrue(), "%s", r)
	Expect(r.Exit).To(Equal(0), "%s", r)
}

// tcp is a tcp probe; expect is "reachable" or "unreachable".
func tcp(name, target, expect string) Probe {
	return Probe{Name: name, Kind: "tcp", Target: target, Timeout: "2s", Expect: expect}
}

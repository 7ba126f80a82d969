package e2e

import (
	"fmt"
	"io"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// The stack as deployed from charts/swarm/stack.yml.
var _ = Describe("the deployed stack", Label("e2e"), func() {
	It("runs one agent per node, healthy by its own healthcheck, answering /healthz on its node's address", func(ctx SpecContext) {
		tasks := agentTasks(ctx)
		Expect(tasks).To(HaveLen(len(suite.Nodes)))
		Expect(suite.WaitAgentsHealthy(ctx, 2*time.Minute)).To(Succeed())
		client := http.Client{Timeout: 3 * time.Second}
		for _, n := range suite.Nodes {
			ct, err := suite.AgentContainer(ctx, n)
			Expect(err).NotTo(HaveOccurred())
			Expect(ct.State.Health.Status).To(Equal("healthy"), "agent on %s", n.Name)
			Expect(ct.Config.Healthcheck.Test).To(Equal([]string{"CMD", "/swarmlink", "healthcheck"}))
			Expect(ct.Config.Env).To(ContainElement("SWARMLINK_NODE="+n.Name), "the node's hostname reaches the agent")

			Expect(cluster.UnderlayUp()).To(Succeed(), "node addresses are reached over the bridge only")
			resp, err := client.Get(fmt.Sprintf("http://%s:9470/healthz", n.Addr))
			Expect(err).NotTo(HaveOccurred(), "node %s", n.Name)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusOK), "node %s: %s", n.Name, body)
		}
	}, SpecTimeout(specTimeout))

	It("serves its running config, the stack's Swarm config, redacted, at /api/v1/config", func(ctx SpecContext) {
		var c struct{ File, YAML string }
		Expect(getJSON(ctx, agentURL(suite.Nodes[0]), "/api/v1/config", &c)).To(Succeed())
		Expect(c.File).NotTo(BeEmpty())
		Expect(c.YAML).To(And(ContainSubstring("interval: 2s"), ContainSubstring("resend_interval: 10s"),
			ContainSubstring("key_file: /run/secrets/swarmlink_peer_key"), ContainSubstring("url: http://10.99.0.11:9093")),
			"the e2e config (testdata/swarmlink.yml) as the agent runs it")
	}, SpecTimeout(specTimeout))
})

package agent

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

var _ = Describe("gatherer.planned", func() {
	It("says a node is out on purpose when a manager's view lists it drained, or lists nodes without it", func() {
		g := &gatherer{views: map[string]links.View{"node2": {Node: "node2"}}}
		Expect(g.planned("node3")).To(BeFalse(), "no Swarm list: nothing is known to be planned")
		g.views["node1"] = links.View{Node: "node1", Swarm: []links.NodeInfo{
			{Name: "node1", State: "ready", Availability: "active"},
			{Name: "node2", State: "down", Availability: "active"},
			{Name: "node3", State: "ready", Availability: "drain"}}}
		Expect(g.planned("node3")).To(BeTrue(), "drained")
		Expect(g.planned("node2")).To(BeFalse(), "down is a failure, not a plan")
		Expect(g.planned("node4")).To(BeTrue(), "not in the Swarm's node list: removed")
	})
})

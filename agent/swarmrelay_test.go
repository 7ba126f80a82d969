package agent

import (
	"context"
	"errors"
	"time"

	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/mesh"
	sw "github.com/swarmlink/swarmlink/swarm"
)

var _ = Describe("swarmRelay", func() {
	t0 := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)

	It("on a worker, fetches a manager's snapshot, asks the last one first, and keeps it when none answers", func() {
		r := newSwarmRelay("node2", engine{}, zap.NewNop())
		Expect(r.sync(context.Background(), t0)).To(BeFalse())
		Expect(r.Status().Error).To(ContainSubstring("no peer mesh"))

		var asked []string
		answer := error(nil)
		r.fetch = func(_ context.Context, prefer string) (sw.Snapshot, error) {
			asked = append(asked, prefer)
			return sw.Snapshot{Manager: "node1", Taken: t0, Services: make([]swarm.Service, 2)}, answer
		}
		Expect(r.waiting()).To(BeTrue(), "a worker without a snapshot asks again soon")
		Expect(r.sync(context.Background(), t0.Add(time.Second))).To(BeTrue(), "new checks may follow")
		Expect(r.Status()).To(Equal(SwarmRelayStatus{Role: "worker", From: "node1", Taken: t0, Services: 2}))
		Expect(r.waiting()).To(BeFalse())
		Expect(r.snapshotJSON()).To(BeNil(), "a worker serves none")

		answer = errors.New("no manager's agent answered (node1 via published: timeout)")
		Expect(r.sync(context.Background(), t0.Add(2*time.Second))).To(BeFalse())
		st := r.Status()
		Expect(st.Error).To(ContainSubstring("no manager's agent answered"))
		Expect(st.Since).To(Equal(t0.Add(2 * time.Second)))
		Expect(st.From).To(Equal("node1"), "the last good snapshot stays in use, and says where it came from")
		s, ok := r.reader.Snapshot()
		Expect(ok).To(BeTrue())
		Expect(s.Manager).To(Equal("node1"))
		Expect(asked).To(Equal([]string{"", "node1"}), "the manager that answered last is asked first")
	})

	It("orders the managers' agents: the preferred, then by name, never self, workers or drained nodes", func() {
		peers := []mesh.Peer{{Name: "node3", Role: "manager"}, {Name: "node1", Role: "manager"},
			{Name: "node2", Role: "worker"}, {Name: "node4", Role: "manager", State: mesh.StateDrain},
			{Name: "node5", Role: "manager"}, {Name: "self", Role: "manager"}}
		names := func(ps []mesh.Peer) (out []string) {
			for _, p := range ps {
				out = append(out, p.Name)
			}
			return out
		}
		Expect(names(managerPeers(peers, "self", "", nil))).To(Equal([]string{"node1", "node3", "node5"}))
		Expect(names(managerPeers(peers, "self", "node5", nil))).To(Equal([]string{"node5", "node1", "node3"}))
		Expect(names(managerPeers(peers, "self", "", map[string]bool{"node2": true}))).
			To(Equal([]string{"node1", "node2", "node3", "node5"}), "node2 was promoted after its agent started: the Swarm's node list says so")
	})
})

package swarm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	sw "github.com/swarmlink/swarmlink/swarm"
)

var _ = Describe("Snapshot and Relay", func() {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	errWorker := errors.New("Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.")

	managerSnapshot := func() sw.Snapshot {
		f := withManagerAddr(clusterFixture())
		f.services[0].Spec.Labels = map[string]string{"swarmlink.port": "81", "com.example.owner": "team-a",
			"swarmlink.check.web.kind": "tcp", "swarmlink.check.web.target": "10.0.1.2:80"}
		f.services[0].Spec.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{Env: []string{"DB_PASSWORD=hunter2"}}
		s, err := sw.TakeSnapshot(ctx, f, "node1", t0)
		Expect(err).NotTo(HaveOccurred())
		return s
	}

	It("takes what the sources use, never a task template, and only swarmlink's labels", func() {
		s := managerSnapshot()
		Expect(s.Manager).To(Equal("node1"))
		Expect(s.Taken).To(Equal(t0))
		Expect(s.Services).To(HaveLen(6))
		Expect(s.Tasks).To(HaveLen(7), "the running tasks only: the shut-down one is left out")
		b, err := json.Marshal(s)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).NotTo(ContainSubstring("hunter2"))
		Expect(string(b)).NotTo(ContainSubstring("team-a"))
		Expect(s.Services[0].Spec.Labels).To(Equal(map[string]string{"swarmlink.port": "81",
			"swarmlink.check.web.kind": "tcp", "swarmlink.check.web.target": "10.0.1.2:80"}))
	})

	It("is refused on a worker", func() {
		f := clusterFixture()
		f.info.Swarm.ControlAvailable = false
		_, err := sw.TakeSnapshot(ctx, f, "node2", t0)
		Expect(err).To(MatchError(sw.ErrNotManager))
	})

	It("lets a worker's sources make, from the worker, the checks a manager makes", func() {
		s := managerSnapshot()
		raw, err := json.Marshal(s)
		Expect(err).NotTo(HaveOccurred())
		var wire sw.Snapshot
		Expect(json.Unmarshal(raw, &wire)).To(Succeed())

		worker := clusterFixture()
		worker.info.Name = "node2"
		worker.info.Swarm.ControlAvailable = false
		worker.info.Swarm.LocalNodeState = swarm.LocalNodeStateActive
		worker.info.Swarm.NodeAddr = "10.99.0.12"
		worker.err = errWorker
		relay := sw.NewRelay(worker)
		src := sw.NewSource(relay, sw.NewCatalog(), sw.Config{Self: "node2", LocalAddrs: func() []netip.Addr {
			return addrs("10.0.1.101")
		}}, nil)

		checks, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(checks).To(BeEmpty(), "no snapshot yet: a worker as before")

		relay.Set(wire)
		checks, err = src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows(checks)).To(ContainElements(
			row{"swarm/app_web/ingress/node2-8080", "swarm-ingress", "10.99.0.12:8080", "ingress"},
			row{"swarm/app_web/ingress/node3-8080", "swarm-ingress", "10.99.0.13:8080", "ingress"},
			row{"swarm/app_web/vip/80", "swarm-vip", "10.0.1.2:80", "vip"},
			row{"swarm/app_api/host/node1-9470", "tcp", "10.99.0.11:9470", "host"},
		), "the worker enters the routing mesh at every node, its own included; the rest as on the manager")
		Expect(checks[0].Link.Source).To(Equal("node2"), "run, and recorded, by the worker")

		tasks, err := relay.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", "svc-web"))})
		Expect(err).NotTo(HaveOccurred())
		Expect(tasks).To(HaveLen(2), "the probers read a service's tasks from the snapshot")

		labels := sw.NewLabelSource(relay, worker, sw.LabelConfig{Self: "node2"}, nil)
		lchecks, err := labels.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows(lchecks)).To(ContainElement(row{"labels/app_web/web", "tcp", "10.0.1.2:80", "direct"}),
			"a service's label checks are read from the snapshot and run here")
	})

	It("reads the local engine on a manager", func() {
		f := withManagerAddr(clusterFixture())
		relay := sw.NewRelay(f)
		relay.Set(sw.Snapshot{Manager: "elsewhere"})
		services, err := relay.ServiceList(ctx, swarm.ServiceListOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(services).To(HaveLen(len(f.services)))
		Expect(relay.Worker()).To(BeFalse())
	})
})

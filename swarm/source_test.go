package swarm_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
	sw "github.com/swarmlink/swarmlink/swarm"
)

// clusterFixture is a manager (node1, 10.99.0.11) seeing these services:
// app_web (vip, 2 replicas, port 80 published at 8080 through ingress),
// app_api (dnsrr, global, host-mode 9470, swarmlink.port=9471), app_db (on
// a network the agent is not on), app_off (opted out), app_bad (a bad
// swarmlink.port), app_idle (no running task). The agent is on app_front.
func clusterFixture() *fakeDocker {
	web := swarm.Service{ID: "svc-web", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "app_web"}},
		Endpoint: swarm.Endpoint{Spec: swarm.EndpointSpec{Mode: swarm.ResolutionModeVIP},
			Ports: []swarm.PortConfig{{Protocol: swarm.PortConfigProtocolTCP, TargetPort: 80, PublishedPort: 8080,
				PublishMode: swarm.PortConfigPublishModeIngress}},
			VirtualIPs: []swarm.EndpointVirtualIP{{NetworkID: "net-ingress", Addr: "10.0.0.5/24"},
				{NetworkID: "net-front", Addr: "10.0.1.2/24"}}}}
	hostPort := swarm.PortConfig{Protocol: swarm.PortConfigProtocolTCP, TargetPort: 9470, PublishedPort: 9470,
		PublishMode: swarm.PortConfigPublishModeHost}
	api := swarm.Service{ID: "svc-api", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "app_api",
		Labels: map[string]string{"swarmlink.port": "9471"}}},
		Endpoint: swarm.Endpoint{Spec: swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR}, Ports: []swarm.PortConfig{hostPort}}}
	named := func(id, name string, labels map[string]string) swarm.Service {
		return swarm.Service{ID: id, Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: name, Labels: labels}},
			Endpoint: swarm.Endpoint{Ports: []swarm.PortConfig{{TargetPort: 5432}}}}
	}
	apiTask := func(id, nodeID, addr string) swarm.Task {
		t := task(id, "svc-api", 0, nodeID, on(front, addr))
		t.Status.PortStatus.Ports = []swarm.PortConfig{hostPort}
		return t
	}
	dead := task("t-web-old", "svc-web", 2, "n3", on(front, "10.0.1.9/24"))
	dead.Status.State = swarm.TaskStateShutdown
	return &fakeDocker{
		info:  system.Info{Name: "node1", Swarm: swarm.Info{NodeAddr: "10.99.0.11", ControlAvailable: true}},
		nodes: []swarm.Node{node("n1", "node1", "0.0.0.0"), node("n2", "node2", "10.99.0.12"), node("n3", "node3", "10.99.0.13")},
		services: []swarm.Service{web, api, named("svc-db", "app_db", nil),
			named("svc-off", "app_off", map[string]string{"swarmlink.swarm-checks": "false"}),
			named("svc-bad", "app_bad", map[string]string{"swarmlink.port": "http"}), named("svc-idle", "app_idle", nil)},
		tasks: []swarm.Task{
			task("t-web-2", "svc-web", 2, "n2", on(ingress, "10.0.0.7/24"), on(front, "10.0.1.4/24")),
			task("t-web-1", "svc-web", 1, "n1", on(ingress, "10.0.0.6/24"), on(front, "10.0.1.3/24")), dead,
			apiTask("t-api-1", "n1", "10.0.1.10/24"), apiTask("t-api-2", "n2", "10.0.1.11/24"),
			task("t-db-1", "svc-db", 1, "n3", on(back, "10.0.2.3/24")),
			task("t-off-1", "svc-off", 1, "n3", on(front, "10.0.1.20/24")),
			task("t-bad-1", "svc-bad", 1, "n3", on(front, "10.0.1.21/24")),
		},
	}
}

func withManagerAddr(f *fakeDocker) *fakeDocker {
	f.nodes[0].ManagerStatus = &swarm.ManagerStatus{Addr: "10.99.0.11:2377"}
	return f
}

// row is what the table compares of each check.
type row struct{ Key, Kind, Target, Path string }

func rows(checks []controller.Check) []row {
	out := make([]row, len(checks))
	for i, c := range checks {
		out[i] = row{c.Key, string(c.Spec.Kind), c.Spec.Target, c.Link.Path}
	}
	return out
}

func newSource(f *fakeDocker, cat *sw.Catalog, log *zap.Logger, local ...string) *sw.Source {
	return sw.NewSource(f, cat, sw.Config{Self: "node1", Interval: 10 * time.Second, Timeout: 2 * time.Second,
		LocalAddrs: func() []netip.Addr { return addrs(local...) }}, log)
}

var _ = Describe("Source", func() {
	ctx := context.Background()

	It("makes the task, vip, ingress, host and dns checks of every service on a shared network, with their plans", func() {
		cat := sw.NewCatalog()
		src := newSource(withManagerAddr(clusterFixture()), cat, nil, "10.0.1.100", "172.18.0.3")
		checks, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows(checks)).To(Equal([]row{
			{"swarm/app_api/dns/tasks", "swarm-dns", "tasks.app_api", "dns"},
			{"swarm/app_api/host/node1-9470", "tcp", "10.99.0.11:9470", "host"},
			{"swarm/app_api/host/node2-9470", "tcp", "10.99.0.12:9470", "host"},
			{"swarm/app_api/task/node1-9470", "tcp", "10.0.1.10:9470", "task"},
			{"swarm/app_api/task/node1-9471", "tcp", "10.0.1.10:9471", "task"},
			{"swarm/app_api/task/node2-9470", "tcp", "10.0.1.11:9470", "task"},
			{"swarm/app_api/task/node2-9471", "tcp", "10.0.1.11:9471", "task"},
			{"swarm/app_bad/dns/tasks", "swarm-dns", "tasks.app_bad", "dns"},
			{"swarm/app_bad/task/1-5432", "tcp", "10.0.1.21:5432", "task"},
			{"swarm/app_web/dns/tasks", "swarm-dns", "tasks.app_web", "dns"},
			{"swarm/app_web/ingress/node1-8080", "swarm-ingress", "10.99.0.11:8080", "ingress"},
			{"swarm/app_web/ingress/node2-8080", "swarm-ingress", "10.99.0.12:8080", "ingress"},
			{"swarm/app_web/ingress/node3-8080", "swarm-ingress", "10.99.0.13:8080", "ingress"},
			{"swarm/app_web/task/1-80", "tcp", "10.0.1.3:80", "task"},
			{"swarm/app_web/task/2-80", "tcp", "10.0.1.4:80", "task"},
			{"swarm/app_web/vip/80", "swarm-vip", "10.0.1.2:80", "vip"},
		}))
		vip := checks[len(checks)-1]
		Expect(vip.Link).To(Equal(controller.Link{Source: "node1", Destination: "app_web", Path: "vip"}))
		Expect(vip.Origin).To(Equal("swarm"))
		Expect(vip.Spec).To(Equal(probes.Spec{Name: "vip-80", Kind: sw.KindVIP, Target: "10.0.1.2:80",
			Timeout: 2 * time.Second, Expect: probes.ExpectReachable}))
		Expect(vip.Interval).To(Equal(10 * time.Second))
		Expect(checks[0].Spec.DNS).To(Equal(&probes.DNSOptions{Resolver: "127.0.0.11:53", Transport: "udp"}))
		in2 := checks[slices.IndexFunc(checks, func(c controller.Check) bool { return c.Key == "swarm/app_web/ingress/node2-8080" })]
		Expect(in2.Link).To(Equal(controller.Link{Source: "node1", Destination: "node2", Path: "ingress", Role: links.RoleIngress}),
			"a cell of the entry-node matrix: this node's row, node2's column")
		Expect(in2.Spec.Name).To(Equal("app_web:8080"), "one probe name per service and port, whatever the entry node")

		plan, ok := cat.Lookup(sw.PlanKey{Kind: sw.KindVIP, Target: "10.0.1.2:80"})
		Expect(ok).To(BeTrue())
		Expect(plan).To(Equal(sw.Plan{ServiceID: "svc-web", Service: "app_web", Networks: []string{"net-front"},
			Port: 80, Tasks: map[string][]netip.Addr{"net-front": addrs("10.0.1.3", "10.0.1.4")}}))
		plan, ok = cat.Lookup(sw.PlanKey{Kind: sw.KindIngress, Target: "10.99.0.11:8080"})
		Expect(ok).To(BeTrue())
		Expect(plan.Port).To(Equal(80), "the ingress check compares with the tasks' target port")
		_, ok = cat.Lookup(sw.PlanKey{Kind: sw.KindDNS, Target: "tasks.app_api"})
		Expect(ok).To(BeTrue())

		Expect(src.Errors()).To(Equal([]sw.LabelError{{Service: "app_bad", Label: "swarmlink.port", Value: "http",
			Expected: "ports 1-65535, comma separated"}}))
	})

	It("makes no vip, task or dns checks for an agent on none of the services' networks", func() {
		checks, err := newSource(clusterFixture(), sw.NewCatalog(), nil, "172.18.0.3").Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows(checks)).To(Equal([]row{
			{"swarm/app_api/host/node2-9470", "tcp", "10.99.0.12:9470", "host"},
			{"swarm/app_web/ingress/node1-8080", "swarm-ingress", "10.99.0.11:8080", "ingress"},
			{"swarm/app_web/ingress/node2-8080", "swarm-ingress", "10.99.0.12:8080", "ingress"},
			{"swarm/app_web/ingress/node3-8080", "swarm-ingress", "10.99.0.13:8080", "ingress"},
		}), "node1 reports 0.0.0.0 and no manager address here: its host check is skipped, its "+
			"ingress entry is the engine's own node address")
	})

	It("leaves the agents' own service, the one whose task holds this agent's address, to the peer mesh", func() {
		checks, err := newSource(withManagerAddr(clusterFixture()), sw.NewCatalog(), nil, "10.0.1.10").Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		services := map[string]bool{}
		for _, c := range checks {
			services[strings.Split(c.Key, "/")[1]] = true
		}
		Expect(services).To(HaveKey("app_web"))
		Expect(services).NotTo(HaveKey("app_api"), "this agent is app_api's task at 10.0.1.10")
	})

	It("keeps the agents' own service skipped while the running tasks leave this agent's out (its node cut off)", func() {
		f := withManagerAddr(clusterFixture())
		src := newSource(f, sw.NewCatalog(), nil, "10.0.1.10")
		_, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		f.tasks = slices.DeleteFunc(f.tasks, func(t swarm.Task) bool { return t.ID == "t-api-1" })
		checks, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		for _, c := range checks {
			Expect(c.Key).NotTo(HavePrefix("swarm/app_api/"), "its DNS check would call the agent's own entry stale")
		}
	})

	It("knows the agents' own service from this host's container holding its address, before the Swarm lists that task", func() {
		f := withManagerAddr(clusterFixture())
		f.tasks = slices.DeleteFunc(f.tasks, func(t swarm.Task) bool { return t.ID == "t-api-1" })
		f.containers = []container.Summary{{Labels: map[string]string{"com.docker.swarm.service.id": "svc-api"},
			NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{
				"front": {IPAddress: "10.0.1.10"}}}}}
		src := sw.NewSource(f, sw.NewCatalog(), sw.Config{Self: "node1", Containers: f,
			LocalAddrs: func() []netip.Addr { return addrs("10.0.1.10") }}, nil)
		checks, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(checks).NotTo(ContainElement(HaveField("Key", HavePrefix("swarm/app_api/"))))
		Expect(checks).To(ContainElement(HaveField("Key", HavePrefix("swarm/app_web/"))))
	})

	It("enters the routing mesh only at ready nodes", func() {
		f := withManagerAddr(clusterFixture())
		f.nodes[2].Status.State = swarm.NodeStateDown
		checks, err := newSource(f, sw.NewCatalog(), nil, "172.18.0.3").Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		var entries []string
		for _, c := range checks {
			if c.Link.Path == "ingress" {
				entries = append(entries, c.Link.Destination)
			}
		}
		Expect(entries).To(Equal([]string{"node1", "node2"}), "node3 is down: its host-down finding says so")
	})

	It("probes a running task's declared host-mode port before the Swarm lists it in the task's status", func() {
		f := clusterFixture()
		late := task("t-api-3", "svc-api", 0, "n3", on(front, "10.0.1.12/24")) // no PortStatus yet
		f.tasks = append(f.tasks, late)
		checks, err := newSource(f, sw.NewCatalog(), nil, "172.18.0.3").Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows(checks)).To(ContainElement(row{"swarm/app_api/host/node3-9470", "tcp", "10.99.0.13:9470", "host"}))

		f.services[1].Endpoint.Ports[0].PublishedPort = 0 // a port the Swarm picks: only the task's status names it
		checks, err = newSource(f, sw.NewCatalog(), nil, "172.18.0.3").Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows(checks)).NotTo(ContainElement(HaveField("Key", "swarm/app_api/host/node3-9470")))
	})

	It("tells the checks of a service on two shared networks apart by network", func() {
		f := clusterFixture()
		f.services = []swarm.Service{{ID: "svc-db", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "app_db",
			Labels: map[string]string{"swarmlink.port": "5432"}}},
			Endpoint: swarm.Endpoint{VirtualIPs: []swarm.EndpointVirtualIP{{NetworkID: "net-back", Addr: "10.0.2.2/24"},
				{NetworkID: "net-front", Addr: "10.0.1.2/24"}}}}}
		f.tasks = []swarm.Task{task("t-db-1", "svc-db", 1, "n3", on(back, "10.0.2.3/24"), on(front, "10.0.1.30/24"))}
		checks, err := newSource(f, sw.NewCatalog(), nil, "10.0.1.100", "10.0.2.100").Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows(checks)).To(Equal([]row{
			{"swarm/app_db/dns/tasks", "swarm-dns", "tasks.app_db", "dns"},
			{"swarm/app_db/task/1-5432@app_back", "tcp", "10.0.2.3:5432", "task"},
			{"swarm/app_db/task/1-5432@app_front", "tcp", "10.0.1.30:5432", "task"},
			{"swarm/app_db/vip/5432@app_back", "swarm-vip", "10.0.2.2:5432", "vip"},
			{"swarm/app_db/vip/5432@app_front", "swarm-vip", "10.0.1.2:5432", "vip"},
		}))
	})

	It("returns no checks and no error on a worker, logs it once and forgets its plans", func() {
		core, logs := observer.New(zap.InfoLevel)
		f := withManagerAddr(clusterFixture())
		cat := sw.NewCatalog()
		src := newSource(f, cat, zap.New(core), "10.0.1.100")
		_, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		f.info.Swarm.ControlAvailable = false
		for range 2 {
			checks, err := src.Desired(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(checks).To(BeEmpty())
		}
		Expect(logs.FilterMessageSnippet("not a swarm manager").Len()).To(Equal(1))
		_, ok := cat.Lookup(sw.PlanKey{Kind: sw.KindVIP, Target: "10.0.1.2:80"})
		Expect(ok).To(BeFalse())
		Expect(src.Errors()).To(BeEmpty())
	})

	It("fails, so the controller keeps its last good checks, when the manager's API fails", func() {
		f := clusterFixture()
		f.err = errors.New("connection reset by peer")
		_, err := newSource(f, sw.NewCatalog(), nil).Desired(ctx)
		Expect(err).To(MatchError(ContainSubstring("listing services: connection reset by peer")))
	})
})

package swarm_test

import (
	"context"
	"net/netip"
	"slices"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/swarmlink/swarmlink/probes"
)

// fakeDocker stands in for the narrow Docker interfaces in unit tests; the
// real engine is exercised by test/e2e/swarm_test.go.
type fakeDocker struct {
	mu         sync.Mutex
	info       system.Info
	services   []swarm.Service
	tasks      []swarm.Task
	nodes      []swarm.Node
	containers []container.Summary
	err        error // from ServiceList, NodeList and TaskList when set
	taskErr    error // from TaskList only
	taskCalls  int
}

func (f *fakeDocker) Info(context.Context) (system.Info, error) { return f.info, nil }

func (f *fakeDocker) ServiceList(context.Context, swarm.ServiceListOptions) ([]swarm.Service, error) {
	return slices.Clone(f.services), f.err
}

func (f *fakeDocker) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return slices.Clone(f.nodes), f.err
}

func (f *fakeDocker) ContainerList(context.Context, container.ListOptions) ([]container.Summary, error) {
	return slices.Clone(f.containers), nil
}

// TaskList honours the service filter, like the engine.
func (f *fakeDocker) TaskList(_ context.Context, o swarm.TaskListOptions) ([]swarm.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.taskCalls++
	if f.err != nil || f.taskErr != nil {
		return nil, cmpErr(f.err, f.taskErr)
	}
	want := o.Filters.Get("service")
	var out []swarm.Task
	for _, t := range f.tasks {
		if len(want) == 0 || slices.Contains(want, t.ServiceID) {
			out = append(out, t)
		}
	}
	return out, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Networks of the fixtures.
var (
	front   = swarm.Network{ID: "net-front", Spec: swarm.NetworkSpec{Annotations: swarm.Annotations{Name: "app_front"}}}
	back    = swarm.Network{ID: "net-back", Spec: swarm.NetworkSpec{Annotations: swarm.Annotations{Name: "app_back"}}}
	ingress = swarm.Network{ID: "net-ingress", Spec: swarm.NetworkSpec{Annotations: swarm.Annotations{Name: "ingress"}, Ingress: true}}
)

func on(n swarm.Network, cidr string) swarm.NetworkAttachment {
	return swarm.NetworkAttachment{Network: n, Addresses: []string{cidr}}
}

// task is a running task of service on node.
func task(id, service string, slot int, node string, nets ...swarm.NetworkAttachment) swarm.Task {
	return swarm.Task{ID: id, ServiceID: service, Slot: slot, NodeID: node, NetworksAttachments: nets,
		Status: swarm.TaskStatus{State: swarm.TaskStateRunning}}
}

func node(id, hostname, addr string) swarm.Node {
	return swarm.Node{ID: id, Description: swarm.NodeDescription{Hostname: hostname},
		Status: swarm.NodeStatus{Addr: addr, State: swarm.NodeStateReady}}
}

// fakeTCP answers each target as told; others answer ok. It records every
// target it was asked about.
type fakeTCP struct {
	mu      sync.Mutex
	results map[string]probes.Cause
	probed  []string
}

func (f *fakeTCP) Probe(_ context.Context, spec probes.Spec) probes.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probed = append(f.probed, spec.Target)
	if c, ok := f.results[spec.Target]; ok && c != probes.CauseOK {
		return probes.Result{Cause: c, Message: "connect " + spec.Target + ": " + string(c)}
	}
	return probes.Result{Reachable: true, Cause: probes.CauseOK}
}

func (f *fakeTCP) targets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(slices.Values(f.probed))
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

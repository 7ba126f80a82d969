package swarm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/swarmlink/swarmlink/internal/dockerx"
)

// Snapshot is what a manager's agent reads of the Swarm for the agents on
// workers, which cannot list services, tasks or nodes: the services, the
// running tasks and the nodes, trimmed to what the sources and probers use.
// Trimming keeps it small (a service's task template, with its environment,
// never leaves the manager) and leaves out every label but swarmlink's.
type Snapshot struct {
	Manager  string          `json:"manager"` // the agent that read it
	Taken    time.Time       `json:"taken"`
	Services []swarm.Service `json:"services"`
	Tasks    []swarm.Task    `json:"tasks"` // running
	Nodes    []swarm.Node    `json:"nodes"`
	// DataPathPort is the Swarm's VXLAN port (a worker's engine does not
	// say it); 0 when the manager's engine did not either.
	DataPathPort int `json:"data_path_port,omitempty"`
}

// TakeSnapshot reads the Swarm through api, a manager's engine. On a worker
// the error wraps ErrNotManager.
func TakeSnapshot(ctx context.Context, api ClusterReader, self string, now time.Time) (Snapshot, error) {
	r, err := readSwarm(ctx, api)
	if err != nil {
		return Snapshot{}, err
	}
	s := Snapshot{Manager: self, Taken: now.UTC()}
	if c := r.info.Swarm.Cluster; c != nil {
		s.DataPathPort = int(c.DataPathPort)
	}
	for _, svc := range r.services {
		s.Services = append(s.Services, trimService(svc))
	}
	for _, t := range r.tasks {
		s.Tasks = append(s.Tasks, trimTask(t))
	}
	for _, n := range r.nodes {
		s.Nodes = append(s.Nodes, trimNode(n))
	}
	return s, nil
}

func trimService(svc swarm.Service) swarm.Service {
	out := swarm.Service{ID: svc.ID, Endpoint: svc.Endpoint}
	out.Spec.Name = svc.Spec.Name
	out.Spec.EndpointSpec = svc.Spec.EndpointSpec
	out.Spec.Labels = maps.Collect(func(yield func(string, string) bool) {
		for k, v := range svc.Spec.Labels {
			if strings.HasPrefix(k, "swarmlink.") && !yield(k, v) {
				return
			}
		}
	})
	return out
}

func trimTask(t swarm.Task) swarm.Task {
	out := swarm.Task{ID: t.ID, ServiceID: t.ServiceID, Slot: t.Slot, NodeID: t.NodeID, DesiredState: t.DesiredState}
	out.Status.State, out.Status.PortStatus = t.Status.State, t.Status.PortStatus
	for _, a := range t.NetworksAttachments {
		var n swarm.NetworkAttachment
		n.Network.ID, n.Network.Spec.Name, n.Network.Spec.Ingress = a.Network.ID, a.Network.Spec.Name, a.Network.Spec.Ingress
		n.Addresses = a.Addresses
		out.NetworksAttachments = append(out.NetworksAttachments, n)
	}
	return out
}

func trimNode(n swarm.Node) swarm.Node {
	out := swarm.Node{ID: n.ID, ManagerStatus: n.ManagerStatus}
	out.Description.Hostname = n.Description.Hostname
	out.Status.State, out.Status.Addr = n.Status.State, n.Status.Addr
	out.Spec.Availability, out.Spec.Role = n.Spec.Availability, n.Spec.Role
	return out
}

// ErrNoSnapshot is returned (wrapped) by a Relay on a worker that has no
// manager's snapshot yet.
var ErrNoSnapshot = errors.New("no manager's agent has sent a snapshot of the swarm yet")

// Relay is the ClusterReader of the swarm sources and probers: on a manager
// it reads the local engine; on a worker, which cannot list services, tasks
// or nodes, it answers those from the last snapshot a manager's agent sent
// (Set), with the local engine's Info (this node, its address) marked able
// to list. So the agent on every node makes, from its own host, the checks
// a manager's agent makes from its. Safe for concurrent use.
type Relay struct {
	local ClusterReader

	mu     sync.Mutex
	worker bool // the local engine last said it is not a manager
	snap   *Snapshot
}

var _ ClusterReader = (*Relay)(nil)

// NewRelay returns a Relay over the local engine, with no snapshot yet.
func NewRelay(local ClusterReader) *Relay { return &Relay{local: local} }

// Set replaces the snapshot.
func (r *Relay) Set(s Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snap = &s
}

// Snapshot is the last snapshot set, if any.
func (r *Relay) Snapshot() (Snapshot, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.snap == nil {
		return Snapshot{}, false
	}
	return *r.snap, true
}

// Worker says whether the local engine last said it is not a manager.
func (r *Relay) Worker() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.worker
}

func (r *Relay) setWorker(w bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.worker = w
}

// relayed is a list call: local on a manager, from the snapshot on a
// worker (learnt from Info, or from the local call's refusal).
func relayed[T any](ctx context.Context, r *Relay, local func(context.Context) ([]T, error),
	snap func(Snapshot) []T) ([]T, error) {
	if !r.Worker() {
		out, err := local(ctx)
		if !dockerx.IsNotManager(err) {
			return out, err
		}
		r.setWorker(true)
	}
	s, ok := r.Snapshot()
	if !ok {
		// As a worker's engine answers: the sources then make no checks
		// and report no error until a snapshot arrives.
		return nil, fmt.Errorf("this node is a swarm worker: %w (%w)", ErrNotManager, ErrNoSnapshot)
	}
	return snap(s), nil
}

// Info is the local engine's. On a worker with a snapshot, it says the
// node can list (ControlAvailable), the snapshot standing in.
func (r *Relay) Info(ctx context.Context) (system.Info, error) {
	info, err := r.local.Info(ctx)
	if err != nil {
		return info, err
	}
	worker := !info.Swarm.ControlAvailable && info.Swarm.LocalNodeState == swarm.LocalNodeStateActive
	r.setWorker(worker)
	if _, ok := r.Snapshot(); worker && ok {
		info.Swarm.ControlAvailable = true
	}
	return info, nil
}

// ServiceList lists the services.
func (r *Relay) ServiceList(ctx context.Context, o swarm.ServiceListOptions) ([]swarm.Service, error) {
	return relayed(ctx, r, func(ctx context.Context) ([]swarm.Service, error) { return r.local.ServiceList(ctx, o) },
		func(s Snapshot) []swarm.Service { return slices.Clone(s.Services) })
}

// NodeList lists the nodes.
func (r *Relay) NodeList(ctx context.Context, o swarm.NodeListOptions) ([]swarm.Node, error) {
	return relayed(ctx, r, func(ctx context.Context) ([]swarm.Node, error) { return r.local.NodeList(ctx, o) },
		func(s Snapshot) []swarm.Node { return slices.Clone(s.Nodes) })
}

// TaskList lists tasks; from a snapshot, its running tasks of the services
// the "service" filter names (all without it): the snapshot holds only
// tasks desired and running, which is what the sources and probers ask.
func (r *Relay) TaskList(ctx context.Context, o swarm.TaskListOptions) ([]swarm.Task, error) {
	return relayed(ctx, r, func(ctx context.Context) ([]swarm.Task, error) { return r.local.TaskList(ctx, o) },
		func(s Snapshot) []swarm.Task {
			want := o.Filters.Get("service")
			var out []swarm.Task
			for _, t := range s.Tasks {
				if len(want) == 0 || slices.Contains(want, t.ServiceID) {
					out = append(out, t)
				}
			}
			return out
		})
}

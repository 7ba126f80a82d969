package swarm

import (
	"context"
	"net"
	"net/netip"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/swarmlink/swarmlink/internal/dockerx"
)

// ErrNotManager is returned (wrapped) when the engine is a worker or is in
// no swarm: only managers can list services, tasks and nodes.
var ErrNotManager = dockerx.ErrNotManager

// ServiceLister is the Docker call the label source makes on a manager.
type ServiceLister interface {
	ServiceList(ctx context.Context, options swarm.ServiceListOptions) ([]swarm.Service, error)
}

// ContainerLister is the Docker call the label source makes for the plain
// containers of this host.
type ContainerLister interface {
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
}

// TaskLister is the Docker call the swarm probers make to read a service's
// running tasks at probe time.
type TaskLister interface {
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
}

// ClusterReader is every Docker call the swarm source makes; the Docker
// SDK's *client.Client satisfies it.
type ClusterReader interface {
	ServiceLister
	TaskLister
	Info(ctx context.Context) (system.Info, error)
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
}

// notManager is dockerx.Wrap: op's error, recognising a worker's answer.
var notManager = dockerx.Wrap

// runningTasks lists the tasks of service (all services when "") that are
// running now.
func runningTasks(ctx context.Context, api TaskLister, service string) ([]swarm.Task, error) {
	f := filters.NewArgs(filters.Arg("desired-state", "running"))
	if service != "" {
		f.Add("service", service)
	}
	tasks, err := api.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return nil, notManager("listing tasks", err)
	}
	out := tasks[:0]
	for _, t := range tasks {
		if t.Status.State == swarm.TaskStateRunning {
			out = append(out, t)
		}
	}
	return out, nil
}

// taskAddr is a task's address on the network with ID network.
func taskAddr(t swarm.Task, network string) (netip.Addr, bool) {
	for _, a := range t.NetworksAttachments {
		if a.Network.ID != network || len(a.Addresses) == 0 {
			continue
		}
		if p, err := netip.ParsePrefix(a.Addresses[0]); err == nil {
			return p.Addr(), true
		}
	}
	return netip.Addr{}, false
}

// InterfaceAddrs lists this host's (or container's) non-loopback addresses:
// the default way to learn which overlay networks the agent is attached to.
func InterfaceAddrs() []netip.Addr {
	var out []netip.Addr
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out
}

// nodeAddr is a node's address. Some engines report 0.0.0.0 for a
// manager's Status.Addr; its manager address (ip:2377) is then the source.
func nodeAddr(n swarm.Node) string {
	addr := n.Status.Addr
	if (addr == "" || addr == "0.0.0.0") && n.ManagerStatus != nil {
		if host, _, err := net.SplitHostPort(n.ManagerStatus.Addr); err == nil {
			return host
		}
	}
	if addr == "0.0.0.0" {
		return ""
	}
	return addr
}

package mesh

import (
	"cmp"
	"context"
	"net"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlink/swarmlink/internal/dockerx"
)

// ErrNotManager is returned (wrapped) by DockerNodes when the engine is not
// a swarm manager: workers cannot list nodes, so the caller falls back to
// other discoverers.
var ErrNotManager = dockerx.ErrNotManager

// NodeLister is the one Docker client call DockerNodes needs; the Docker
// SDK's *client.Client satisfies it.
type NodeLister interface {
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
}

// DockerNodes discovers the swarm's nodes through the Docker API of a
// manager: the hostname is the peer name, the node's address the underlay
// address. Drained nodes run no agent and get State "drain".
type DockerNodes struct {
	Client NodeLister
}

var _ Discoverer = DockerNodes{}

// Peers lists the nodes. On a worker (or outside a swarm) the error wraps
// ErrNotManager.
func (d DockerNodes) Peers(ctx context.Context) ([]Peer, error) {
	nodes, err := d.Client.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, dockerx.Wrap("listing swarm nodes", err)
	}
	out := make([]Peer, 0, len(nodes))
	for _, n := range nodes {
		p := Peer{
			Name:         cmp.Or(n.Description.Hostname, n.ID),
			NodeID:       n.ID,
			UnderlayAddr: nodeAddr(n),
			Role:         string(n.Spec.Role),
			State:        string(n.Status.State),
		}
		if n.Spec.Availability == swarm.NodeAvailabilityDrain {
			p.State = StateDrain
		}
		out = append(out, p)
	}
	return out, nil
}

// nodeAddr is the node's address. Some engines report 0.0.0.0 for a
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

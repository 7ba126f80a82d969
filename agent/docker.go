package agent

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
)

// dockerAPI is the part of the Docker client the agent uses.
type dockerAPI interface {
	Info(ctx context.Context) (system.Info, error)
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
}

// hostFacts is what the local Docker engine says about this node.
type hostFacts struct {
	NodeID   string
	NodeAddr string // underlay address the node advertises in the swarm
	Hostname string
	Manager  bool
	DataPort int // the Swarm's VXLAN data-path port (managers know it); 0 = unknown
}

// dialDocker returns a client for the engine in DOCKER_HOST (default the
// local socket), negotiating the API version so that any engine from API
// 1.41 on works; nil when there is no socket to talk to.
func dialDocker() (*client.Client, error) {
	if os.Getenv("DOCKER_HOST") == "" {
		if _, err := os.Stat("/var/run/docker.sock"); err != nil {
			return nil, nil
		}
	}
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return c, nil
}

// facts asks the engine about this node, within 5 s.
func facts(ctx context.Context, d dockerAPI) (hostFacts, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := d.Info(ctx)
	if err != nil {
		return hostFacts{}, fmt.Errorf("docker info: %w", err)
	}
	f := hostFacts{NodeID: info.Swarm.NodeID, NodeAddr: info.Swarm.NodeAddr, Hostname: info.Name,
		Manager: info.Swarm.ControlAvailable}
	if c := info.Swarm.Cluster; c != nil {
		f.DataPort = int(c.DataPathPort)
	}
	return f, nil
}

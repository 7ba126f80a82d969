package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

const swarmPort = ":2377"

// initSwarm makes m the manager of a new Swarm advertised on its underlay
// address. The CLI fills the defaults of the cluster spec for us.
func initSwarm(ctx context.Context, m *Node) error {
	_, err := runEnv(ctx, []string{"DOCKER_HOST=" + m.Host}, "docker", "swarm", "init",
		"--advertise-addr", m.Addr, "--listen-addr", m.Addr+swarmPort)
	if err != nil {
		return fmt.Errorf("swarm init on %s: %w", m.Name, err)
	}
	return nil
}

// joinSwarm joins n to m's Swarm as a worker.
func joinSwarm(ctx context.Context, m, n *Node) error {
	sw, err := m.Client.SwarmInspect(ctx)
	if err != nil {
		return fmt.Errorf("reading join token from %s: %w", m.Name, err)
	}
	err = n.Client.SwarmJoin(ctx, swarm.JoinRequest{
		ListenAddr:    n.Addr + swarmPort,
		AdvertiseAddr: n.Addr,
		RemoteAddrs:   []string{m.Addr + swarmPort},
		JoinToken:     sw.JoinTokens.Worker,
	})
	if err != nil {
		return fmt.Errorf("joining %s to the swarm: %w", n.Name, err)
	}
	return nil
}

// waitNodesReady waits until the manager sees every node Ready.
func waitNodesReady(ctx context.Context, m *Node, want int) error {
	return Poll(ctx, 60*time.Second, func() (bool, error) {
		nodes, err := m.Client.NodeList(ctx, swarm.NodeListOptions{})
		if err != nil {
			return false, fmt.Errorf("listing swarm nodes: %w", err)
		}
		ready := 0
		for _, sn := range nodes {
			if sn.Status.State == swarm.NodeStateReady {
				ready++
			}
		}
		return ready == want, nil
	})
}

// Poll calls cond every 250ms until it reports done, or fails with its last
// error (or the timeout) once timeout passes. Errors from cond are retried.
func Poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%w (last error: %w)", ctx.Err(), last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// StackFile is the stack file, relative to the repository root.
const StackFile = "charts/swarm/stack.yml"

// AgentService is the stack's agent service (<stack>_agent).
func (c *Cluster) AgentService() string { return c.Stack + "_agent" }

// OverlayNetwork is the stack's attachable overlay network (<stack>_swarmlink).
func (c *Cluster) OverlayNetwork() string { return c.Stack + "_swarmlink" }

// DeployStack deploys the stack file as is with `docker stack deploy` on the
// manager (a CLI feature: it talks to the manager's socket). Image
// resolution is off: there is no registry to resolve against. With
// Options.Config, the stack's SWARMLINK_CONFIG_FILE names that config.
func (c *Cluster) DeployStack(ctx context.Context) error {
	env := []string{"DOCKER_HOST=" + c.Manager().Host, "SWARMLINK_IMAGE=" + c.Image}
	if c.config != "" {
		env = append(env, "SWARMLINK_CONFIG_FILE="+c.config)
	}
	_, err := runEnv(ctx, env, "docker", "stack", "deploy", "--resolve-image", "never",
		"-c", filepath.Join(c.Repo, StackFile), c.Stack)
	if err != nil {
		return fmt.Errorf("deploying stack %s: %w", c.Stack, err)
	}
	c.logf("stack %s deployed", c.Stack)
	return nil
}

// Task is one running task of a service.
type Task struct {
	ID          string
	Node        *Node
	ContainerID string
	IP          string // the task's address on the network asked for
}

// ServiceTasks lists the running tasks of service with their address on
// network, as the manager's API reports them.
func (c *Cluster) ServiceTasks(ctx context.Context, service, network string) ([]Task, error) {
	m := c.Manager()
	hosts, err := c.nodeHostnames(ctx)
	if err != nil {
		return nil, err
	}
	f := filters.NewArgs(filters.Arg("service", service), filters.Arg("desired-state", "running"))
	tasks, err := m.Client.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing tasks of %s: %w", service, err)
	}
	var out []Task
	for _, t := range tasks {
		if t.Status.State != swarm.TaskStateRunning {
			continue
		}
		task := Task{ID: t.ID, Node: c.Node(hosts[t.NodeID])}
		if t.Status.ContainerStatus != nil {
			task.ContainerID = t.Status.ContainerStatus.ContainerID
		}
		for _, a := range t.NetworksAttachments {
			if a.Network.Spec.Annotations.Name == network && len(a.Addresses) > 0 {
				task.IP, _, _ = strings.Cut(a.Addresses[0], "/")
			}
		}
		out = append(out, task)
	}
	return out, nil
}

// nodeHostnames maps swarm node IDs to hostnames.
func (c *Cluster) nodeHostnames(ctx context.Context) (map[string]string, error) {
	nodes, err := c.Manager().Client.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing swarm nodes: %w", err)
	}
	out := map[string]string{}
	for _, n := range nodes {
		out[n.ID] = n.Description.Hostname
	}
	return out, nil
}

// AgentContainer inspects the running agent container of the stack on n.
func (c *Cluster) AgentContainer(ctx context.Context, n *Node) (container.InspectResponse, error) {
	f := filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.name="+c.AgentService()),
		filters.Arg("status", "running"))
	list, err := n.Client.ContainerList(ctx, container.ListOptions{Filters: f})
	if err != nil {
		return container.InspectResponse{}, fmt.Errorf("listing agent containers on %s: %w", n.Name, err)
	}
	if len(list) != 1 {
		return container.InspectResponse{}, fmt.Errorf("%s runs %d agent containers, want 1", n.Name, len(list))
	}
	return n.Client.ContainerInspect(ctx, list[0].ID)
}

// WaitAgentsHealthy waits until every node runs exactly one agent container
// and Docker reports it healthy (its own HEALTHCHECK).
func (c *Cluster) WaitAgentsHealthy(ctx context.Context, timeout time.Duration) error {
	err := Poll(ctx, timeout, func() (bool, error) {
		for _, n := range c.Nodes {
			ct, err := c.AgentContainer(ctx, n)
			if err != nil {
				return false, err
			}
			if ct.State.Health == nil || ct.State.Health.Status != "healthy" {
				return false, fmt.Errorf("agent on %s: health %s", n.Name, healthStatus(ct))
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for healthy agents: %w", err)
	}
	return nil
}

func healthStatus(ct container.InspectResponse) string {
	if ct.State == nil || ct.State.Health == nil {
		return "none"
	}
	h := ct.State.Health
	if n := len(h.Log); n > 0 {
		return h.Status + " (last probe: " + strings.TrimSpace(h.Log[n-1].Output) + ")"
	}
	return h.Status
}

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
	. "github.com/onsi/ginkgo/v2"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// containerSpec is what the suite varies between the containers it runs.
type containerSpec struct {
	name    string
	network string            // default "bridge"
	aliases []string          // network aliases (user-defined networks)
	labels  map[string]string // container labels
	cmd     []string          // arguments to /swarmlink
	binds   []string
	publish map[string]string // container port ("2222/tcp") -> host port
}

func createContainer(ctx context.Context, n *cluster.Node, s containerSpec) (string, error) {
	if s.network == "" {
		s.network = "bridge"
	}
	cfg := &container.Config{Image: suite.Image, Cmd: s.cmd, Labels: s.labels,
		ExposedPorts: nat.PortSet{}}
	hc := &container.HostConfig{NetworkMode: container.NetworkMode(s.network), Binds: s.binds,
		PortBindings: nat.PortMap{}}
	for cport, hport := range s.publish {
		p := nat.Port(cport)
		cfg.ExposedPorts[p] = struct{}{}
		hc.PortBindings[p] = []nat.PortBinding{{HostPort: hport}}
	}
	var nc *network.NetworkingConfig
	if len(s.aliases) > 0 {
		nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			s.network: {Aliases: s.aliases}}}
	}
	resp, err := n.Client.ContainerCreate(ctx, cfg, hc, nc, nil, s.name)
	if err != nil {
		return "", fmt.Errorf("creating container %q on %s: %w", s.name, n.Name, err)
	}
	return resp.ID, nil
}

// removeContainer force-removes a container, on a context of its own so it
// also runs after the spec's context is done.
func removeContainer(n *cluster.Node, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = n.Client.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
}

// Agent is a running `swarmlink agent` container.
type Agent struct {
	ID   string
	Node *cluster.Node
	IPs  map[string]string // network name -> address
}

// StartAgent runs `swarmlink agent --listen :port` in a container on n and
// waits until it answers /healthz on its own loopback (docker exec of
// `swarmlink healthcheck`). port 0 means 9470.
func StartAgent(ctx context.Context, n *cluster.Node, s containerSpec, port int) (Agent, error) {
	if port == 0 {
		port = 9470
	}
	listen := fmt.Sprintf(":%d", port)
	s.cmd = []string{"agent", "--listen", listen}
	id, err := createContainer(ctx, n, s)
	if err != nil {
		return Agent{}, err
	}
	if err := n.Client.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		removeContainer(n, id)
		return Agent{}, fmt.Errorf("starting agent %q on %s: %w", s.name, n.Name, err)
	}
	a := Agent{ID: id, Node: n, IPs: map[string]string{}}
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	err = cluster.Poll(ctx, 30*time.Second, func() (bool, error) {
		return dockerExec(ctx, n, id, "/swarmlink", "healthcheck", "--url", url) == nil, nil
	})
	if err != nil {
		removeContainer(n, id)
		return Agent{}, fmt.Errorf("agent %q on %s not healthy: %w", s.name, n.Name, err)
	}
	ct, err := n.Client.ContainerInspect(ctx, id)
	if err != nil {
		removeContainer(n, id)
		return Agent{}, fmt.Errorf("inspecting agent %q: %w", s.name, err)
	}
	for name, ep := range ct.NetworkSettings.Networks {
		a.IPs[name] = ep.IPAddress
	}
	return a, nil
}

// Remove removes the agent's container.
func (a Agent) Remove() { removeContainer(a.Node, a.ID) }

// dockerExec runs a command in a container with the docker CLI.
func dockerExec(ctx context.Context, n *cluster.Node, id string, args ...string) error {
	return dockerCLI(ctx, n, append([]string{"exec", id}, args...)...)
}

// dockerCLI runs the docker CLI against node n.
func dockerCLI(ctx context.Context, n *cluster.Node, args ...string) error {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+n.Host)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker %s on %s: %w: %s", strings.Join(args, " "), n.Name, err, out)
	}
	return nil
}

// dialFromRoot connects to addr:port from the root namespace (the machine
// itself) over the underlay bridge, never without it.
func dialFromRoot(ctx context.Context, addr string, port int) error {
	if err := cluster.UnderlayUp(); err != nil {
		Fail(err.Error())
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, fmt.Sprint(port)))
	if err != nil {
		return err
	}
	return conn.Close()
}

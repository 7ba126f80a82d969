package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"
)

// Node is one Docker host of the cluster: a dockerd in its own network
// namespace, mount namespace and hostname.
type Node struct {
	// Index is the node's number, from 1; node 1 is the Swarm manager.
	Index int
	// Name is the node's hostname (and Swarm node hostname): node1, node2...
	Name string
	// Addr is the node's underlay address (10.99.0.1x).
	Addr string
	// Socket is the path of the engine's API socket as seen from the root
	// namespace; Host is the same as a DOCKER_HOST value.
	Socket, Host string
	// Client talks to the node's engine, with API version negotiation.
	Client *client.Client

	names nodeNames
	cmd   *exec.Cmd
	done  chan struct{} // closed when dockerd exits
}

func newNode(i int) (*Node, error) {
	nm := namesFor(i)
	sock := filepath.Join(nm.Dir, "docker.sock")
	cli, err := client.NewClientWithOpts(client.WithHost("unix://"+sock),
		client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", nm.Hostname, err)
	}
	return &Node{Index: i, Name: nm.Hostname, Addr: nm.Addr, Socket: sock,
		Host: "unix://" + sock, Client: cli, names: nm}, nil
}

// NS is the name of the node's network namespace (pinned under /var/run/netns).
func (n *Node) NS() string { return n.names.NS }

// Dir is the node's state directory.
func (n *Node) Dir() string { return n.names.Dir }

// Running reports whether the node's engine process is alive.
func (n *Node) Running() bool {
	if n.done == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// Pid is the engine's process id, or 0 when it is not running.
func (n *Node) Pid() int {
	if !n.Running() {
		return 0
	}
	return n.cmd.Process.Pid
}

// Command prepares a command that runs "on the node": in its network, mount
// and UTS namespaces, so it sees the node's address, hostname and
// /etc/resolv.conf (127.0.0.1, like the engine). The engine must be running.
func (n *Node) Command(ctx context.Context, name string, args ...string) (*exec.Cmd, error) {
	pid := n.Pid()
	if pid == 0 {
		return nil, fmt.Errorf("node %s: engine not running", n.Name)
	}
	p := "/proc/" + strconv.Itoa(pid) + "/ns/"
	full := append([]string{"--net=" + netnsPath(n.names.NS), "--mount=" + p + "mnt",
		"--uts=" + p + "uts", name}, args...)
	return exec.CommandContext(ctx, "nsenter", full...), nil
}

// startEngine starts the node's dockerd and waits until its API answers.
//
// dockerd runs in the node's network namespace and in a mount namespace of
// its own (unshare --mount) where /run is a fresh tmpfs and /etc/resolv.conf
// says 127.0.0.1: the node then has its own /var/run/docker.sock (which the
// stack bind-mounts, as on a real host), its mounts vanish with its
// processes, and neither it nor its containers send DNS off the machine.
// It is started with exec.Command, not CommandContext: it must outlive ctx.
func (n *Node) startEngine(ctx context.Context) error {
	if n.Running() {
		return nil
	}
	cmd, log, err := n.engineCmd()
	if err != nil {
		return err
	}
	err = cmd.Start()
	log.Close() // the child has its own copy
	if err != nil {
		return fmt.Errorf("starting dockerd on %s: %w", n.Name, err)
	}
	n.cmd, n.done = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(cmd, n.done)
	return n.waitReady(ctx)
}

func (n *Node) engineCmd() (*exec.Cmd, *os.File, error) {
	d := n.names.Dir
	resolv := filepath.Join(d, "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 127.0.0.1\n"), 0o644); err != nil {
		return nil, nil, fmt.Errorf("writing %s: %w", resolv, err)
	}
	log, err := os.OpenFile(filepath.Join(d, "dockerd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening dockerd log: %w", err)
	}
	dockerd := strings.Join([]string{"dockerd", "--data-root", d + "/data", "--exec-root", d + "/exec",
		"-H", n.Host, "-H", "unix:///run/docker.sock", "--pidfile", d + "/dockerd.pid",
		"--bip", n.names.BIP, "--dns", "127.0.0.1", "--cgroup-parent", n.names.Cgroup}, " ")
	script := fmt.Sprintf("hostname %s && mount -t tmpfs tmpfs /run && mount --bind %s /etc/resolv.conf && exec %s",
		n.Name, resolv, dockerd)
	cmd := exec.Command("nsenter", "--net="+netnsPath(n.names.NS),
		"unshare", "--uts", "--mount", "--propagation", "private", "sh", "-c", script)
	// The engine must never pull: there is no registry, and a swarm task
	// otherwise waits for a pull to time out before it starts.
	cmd.Env = append(os.Environ(), "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1")
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: a terminal's ^C reaches the test, which then
	// tears the engines down in order, not the engines directly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, log, nil
}

// waitReady polls the engine's API until it answers, the process exits or
// the engine start timeout passes.
func (n *Node) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := n.Client.Ping(ctx); err == nil {
			return nil
		}
		select {
		case <-n.done:
			return fmt.Errorf("dockerd on %s exited: %s", n.Name, n.LogTail(20))
		case <-ctx.Done():
			return fmt.Errorf("dockerd on %s not ready: %w: %s", n.Name, ctx.Err(), n.LogTail(20))
		case <-tick.C:
		}
	}
}

// stopEngine stops dockerd with SIGTERM (it stops its containers first) and
// falls back to SIGKILL after grace. Stopping a stopped engine is a no-op.
func (n *Node) stopEngine(ctx context.Context, grace time.Duration) error {
	if !n.Running() {
		return nil
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-n.done:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	_ = n.cmd.Process.Kill()
	select {
	case <-n.done:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("dockerd on " + n.Name + " did not exit after SIGKILL")
	}
}

// saveLog copies the engine's log to dir/<name>-dockerd.log; "" skips it.
func (n *Node) saveLog(dir string) error {
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(n.names.Dir, "dockerd.log"))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, n.Name+"-dockerd.log"), b, 0o644)
	}
	if err != nil {
		return fmt.Errorf("saving %s's engine log: %w", n.Name, err)
	}
	return nil
}

// LogTail returns the last lines of the node's dockerd log, for errors.
func (n *Node) LogTail(lines int) string {
	b, err := os.ReadFile(filepath.Join(n.names.Dir, "dockerd.log"))
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

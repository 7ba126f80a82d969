// Command democluster brings up swarmlink's local demo cluster — three Docker
// engines in network namespaces, one Swarm, the swarmlink stack deployed as
// a global service with alerting on, Debian's Alertmanager on the underlay —
// prints where each node's UI and API answer, and leaves it running.
// `democluster break <fault> <node>` injects a fault to watch, `heal` undoes
// every fault, and `down` tears it all down and checks nothing is left.
//
// It reuses the e2e harness (test/cluster) and needs root on Linux with
// dockerd, iptables, ip, nsenter and unshare (hack/deps.sh installs them).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/swarmlink/swarmlink/test/cluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := "up"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	var err error
	switch {
	case cmd == "up":
		err = up(ctx, os.Stdout)
	case cmd == "down":
		err = down(ctx, os.Stdout)
	case cmd == "break" && len(os.Args) == 4:
		err = breakLink(ctx, os.Stdout, os.Args[2], os.Args[3])
	case cmd == "heal":
		err = heal(ctx, os.Stdout)
	default:
		err = fmt.Errorf("usage: democluster up | down | heal | break %s node1|node2|node3", faultNames())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "democluster:", err)
		os.Exit(1)
	}
}

// up brings the cluster up, waits for every agent to be healthy and prints
// the addresses. On failure (or ^C) Up has already torn down what it made.
func up(ctx context.Context, out io.Writer) error {
	start := time.Now()
	repo, err := cluster.FindRepo(".")
	if err != nil {
		return err
	}
	cfg, err := demoConfig(repo)
	if err != nil {
		return err
	}
	c, err := cluster.Up(ctx, cluster.Options{Deploy: true, Keep: true, Log: os.Stderr, Repo: repo, Config: cfg})
	if err != nil {
		return err
	}
	if err := startAlertmanager(ctx); err != nil {
		return fmt.Errorf("%w (the cluster is up: make demo-down removes it)", err)
	}
	if err := c.WaitAgentsHealthy(ctx, 3*time.Minute); err != nil {
		return fmt.Errorf("%w (the cluster is still up: make demo-down removes it)", err)
	}
	fmt.Fprintf(os.Stderr, "democluster: agents healthy after %s; waiting for their mesh to form\n", time.Since(start).Round(time.Second))
	if err := waitMeshFormed(ctx, c); err != nil {
		return fmt.Errorf("the agents' mesh did not form: %w (the cluster is still up: make demo-down removes it)", err)
	}
	fmt.Fprintf(out, "\nswarmlink demo cluster is up (%s): stack %q, image %s, one agent per node\n\n",
		time.Since(start).Round(time.Second), c.Stack, c.Image)
	for _, n := range c.Nodes {
		role := "worker"
		if n == c.Manager() {
			role = "manager"
		}
		fmt.Fprintf(out, "  %-6s %-8s UI/API http://%s:9470/   DOCKER_HOST=%s\n", n.Name, role, n.Addr, n.Host)
	}
	fmt.Fprintf(out, "\n  Alertmanager  %s/\n", amURL())
	fmt.Fprintf(out, "  e.g. DOCKER_HOST=%s docker service ps %s\n", c.Manager().Host, c.AgentService())
	fmt.Fprintf(out, "\n  break a link:  make demo-break FAULT=vxlan-in NODE=node3   (FAULT: %s)\n", faultNames())
	fmt.Fprintf(out, "  watch it:      go run . status --server http://%s:9470 --watch 2s\n", c.Manager().Addr)
	fmt.Fprintf(out, "  heal:          make demo-heal\n  tear down:     make demo-down\n")
	return nil
}

// down removes the demo cluster (or any leftover of a test run) and proves
// nothing is left.
func down(ctx context.Context, out io.Writer) error {
	if err := stopAlertmanager(); err != nil {
		return err
	}
	if err := cluster.WithLock(ctx, func() error { return cluster.Cleanup(ctx) }); err != nil {
		return err
	}
	if err := cluster.LeakCheck(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "swarmlink demo cluster removed; nothing left behind")
	return nil
}

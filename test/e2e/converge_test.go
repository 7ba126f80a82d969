package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// convergeBound is how long a spec waits, before it starts, for the cluster
// to be whole again after whatever ran before it. Specs run in random order
// and several stop engines, drain nodes or kill agents: a restarted node's
// task is back in tasks.agent and reachable within about 10 s of its engine
// answering (test/README.md, "Convergence"); 90 s leaves room for a slow
// machine and still fails a cluster that does not heal.
const convergeBound = 90 * time.Second

// Every spec starts from a converged cluster. Top level, so it also runs
// before the BeforeAll of an Ordered container (Ginkgo runs setup nodes by
// nesting level).
var _ = BeforeEach(func(ctx SpecContext) {
	took, first := waitConverged(ctx)
	if first != nil {
		GinkgoWriter.Printf("converge: cluster whole after %s (bound %s); at first: %v\n", took, convergeBound, first)
		return
	}
	GinkgoWriter.Printf("converge: cluster whole after %s (bound %s)\n", took, convergeBound)
}, NodeTimeout(convergeBound+30*time.Second))

// waitConverged waits up to convergeBound for converged and fails the spec
// if it does not hold by then. It returns how long it waited and the first
// reason the cluster was not whole (nil if it was at once).
func waitConverged(ctx context.Context) (time.Duration, error) {
	GinkgoHelper()
	start := time.Now()
	var first error
	err := cluster.Poll(ctx, convergeBound, func() (bool, error) {
		err := converged(ctx)
		if first == nil {
			first = err
		}
		return err == nil, err
	})
	Expect(err).NotTo(HaveOccurred(), "the cluster did not converge within %s", convergeBound)
	return time.Since(start).Round(time.Millisecond), first
}

// converged says why the cluster is not whole, or nil when every node is
// Ready and active in the Swarm, the stack's agent service runs exactly one
// task per node, every agent container (the task's own, healthy by its
// HEALTHCHECK) resolves tasks.agent and tasks.<stack>_agent to exactly the
// running tasks' IPs and reaches each of them over the overlay, and every
// agent answers /readyz and a /api/v1/status with no source error.
func converged(ctx context.Context) error {
	if err := nodesReady(ctx); err != nil {
		return err
	}
	tasks, err := suite.ServiceTasks(ctx, suite.AgentService(), suite.OverlayNetwork())
	if err != nil {
		return err
	}
	ips, err := onePerNode(tasks)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if err := agentConverged(ctx, t, ips); err != nil {
			return fmt.Errorf("agent on %s: %w", t.Node.Name, err)
		}
	}
	return nil
}

// nodesReady fails unless the manager sees every node Ready and active.
func nodesReady(ctx context.Context) error {
	nodes, err := suite.Manager().Client.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return fmt.Errorf("listing swarm nodes: %w", err)
	}
	ok := map[string]bool{}
	for _, sn := range nodes {
		if sn.Status.State != swarm.NodeStateReady || sn.Spec.Availability != swarm.NodeAvailabilityActive {
			return fmt.Errorf("swarm node %s is %s/%s", sn.Description.Hostname, sn.Status.State, sn.Spec.Availability)
		}
		ok[sn.Description.Hostname] = true
	}
	for _, n := range suite.Nodes {
		if !ok[n.Name] || !n.Running() {
			return fmt.Errorf("%s: not in the swarm or its engine is not running", n.Name)
		}
	}
	return nil
}

// onePerNode checks the agent tasks are one running task per node, each
// with an overlay address, and returns those addresses, sorted.
func onePerNode(tasks []cluster.Task) ([]string, error) {
	seen := map[*cluster.Node]bool{}
	var ips []string
	for _, t := range tasks {
		if t.Node == nil || t.IP == "" || seen[t.Node] {
			return nil, fmt.Errorf("agent tasks are not one per node with an address: %+v", tasks)
		}
		seen[t.Node] = true
		ips = append(ips, t.IP)
	}
	if len(seen) != len(suite.Nodes) {
		return nil, fmt.Errorf("%d running agent tasks for %d nodes: %+v", len(tasks), len(suite.Nodes), tasks)
	}
	slices.Sort(ips)
	return ips, nil
}

// agentConverged checks one agent task's container, its view of the
// overlay (from inside its own network namespace) and its API.
func agentConverged(ctx context.Context, t cluster.Task, ips []string) error {
	ct, err := suite.AgentContainer(ctx, t.Node)
	if err != nil {
		return err
	}
	if ct.ID != t.ContainerID {
		return fmt.Errorf("running container %.12s is not task %s's (%.12s)", ct.ID, t.ID, t.ContainerID)
	}
	if ct.State.Health == nil || ct.State.Health.Status != "healthy" {
		return fmt.Errorf("container not healthy yet: %+v", ct.State.Health)
	}
	ns := "/proc/" + strconv.Itoa(ct.State.Pid) + "/ns/net"
	for _, name := range []string{"tasks.agent", "tasks." + suite.AgentService()} {
		got, err := resolveIn(ctx, ns, name)
		if err != nil {
			return err
		}
		if !slices.Equal(got, ips) {
			return fmt.Errorf("%s resolves to %v, the running tasks are %v", name, got, ips)
		}
	}
	for _, ip := range ips {
		if err := dialIn(ctx, ns, net.JoinHostPort(ip, strconv.Itoa(agentPort))); err != nil {
			return err
		}
	}
	return agentAPIReady(ctx, t.Node)
}

// resolveIn asks the embedded DNS of the network namespace ns for name's
// A records and returns them, sorted.
func resolveIn(ctx context.Context, ns, name string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := cluster.DialIn(ctx, ns, "udp", "127.0.0.11:53")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	m := new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA)
	deadline, _ := ctx.Deadline()
	co := &dns.Conn{Conn: c}
	_ = co.SetDeadline(deadline)
	if err := co.WriteMsg(m); err != nil {
		return nil, fmt.Errorf("asking for %s: %w", name, err)
	}
	r, err := co.ReadMsg()
	if err != nil {
		return nil, fmt.Errorf("asking for %s: %w", name, err)
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	slices.Sort(out)
	return out, nil
}

// dialIn connects to addr over TCP from the network namespace ns.
func dialIn(ctx context.Context, ns, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := cluster.DialIn(ctx, ns, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// agentAPIReady fails unless n's agent is ready and its status names it and
// reports no source error.
func agentAPIReady(ctx context.Context, n *cluster.Node) error {
	if _, err := getBody(ctx, agentURL(n)+"/readyz"); err != nil {
		return err
	}
	var st struct {
		Name         string            `json:"name"`
		SourceErrors map[string]string `json:"source_errors"`
	}
	if err := getJSON(ctx, agentURL(n), "/api/v1/status", &st); err != nil {
		return err
	}
	if st.Name != n.Name {
		return fmt.Errorf("status names %q", st.Name)
	}
	if len(st.SourceErrors) > 0 {
		return errors.New(fmt.Sprint("source errors: ", st.SourceErrors))
	}
	return nil
}

package swarm

import (
	"cmp"
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// Prober runs the composite swarm kinds. Each run looks up its check's
// plan in the Catalog, probes its target while it reads the service's
// running tasks (live when Tasks is set) and probes them, all under the
// run's timeout, and explains the difference in the result's message. The
// result's cause is the target's own. Safe for concurrent use.
type Prober struct {
	Catalog *Catalog
	Tasks   TaskLister    // live tasks at probe time; nil = the plan's
	TCP     probes.Prober // nil = probes.TCP
	DNS     probes.Prober // nil = probes.DNS
}

// Register adds the swarm-vip, swarm-ingress and swarm-dns kinds to r.
func (p *Prober) Register(r probes.Registry) {
	r[KindVIP] = probes.ProberFunc(p.probeVIP)
	r[KindIngress] = probes.ProberFunc(p.probeIngress)
	r[KindDNS] = probes.ProberFunc(p.probeDNS)
}

func (p *Prober) probeVIP(ctx context.Context, spec probes.Spec) probes.Result {
	plan, ok := p.Catalog.Lookup(PlanKey{Kind: KindVIP, Target: spec.Target})
	if !ok {
		return noPlan(spec)
	}
	vip, tasks, note := p.compare(ctx, spec.Target, plan)
	return probes.Result{Reachable: vip.Reachable, Cause: vip.Cause, Message: ExplainVIP(vip, tasks) + note}
}

func (p *Prober) probeIngress(ctx context.Context, spec probes.Spec) probes.Result {
	plan, ok := p.Catalog.Lookup(PlanKey{Kind: KindIngress, Target: spec.Target})
	if !ok {
		return noPlan(spec)
	}
	_, port, _ := net.SplitHostPort(spec.Target)
	published, _ := strconv.Atoi(port)
	in, tasks, note := p.compare(ctx, spec.Target, plan)
	up, _ := split(tasks)
	return probes.Result{Reachable: in.Reachable, Cause: in.Cause, Tasks: len(tasks), TasksUp: len(up),
		Message: ExplainIngress(published, in, tasks) + note}
}

func (p *Prober) probeDNS(ctx context.Context, spec probes.Spec) probes.Result {
	plan, ok := p.Catalog.Lookup(PlanKey{Kind: KindDNS, Target: spec.Target})
	if !ok {
		return noPlan(spec)
	}
	opts := probes.DNSOptions{}
	if spec.DNS != nil {
		opts = *spec.DNS
	}
	opts.Answers, opts.MinAnswers = nil, 0
	lookup := spec
	lookup.Kind, lookup.DNS = probes.KindDNS, &opts
	resolved := make(chan probes.Result, 1)
	go func() { resolved <- orDefault(p.DNS, &probes.DNS{}).Probe(ctx, lookup) }()
	addrs, note := p.addrs(ctx, plan)
	running := make([][]string, 0, len(plan.Networks))
	for _, n := range plan.Networks {
		running = append(running, addrStrings(addrs[n]))
	}
	r := ExplainDNS(spec.Target, <-resolved, running)
	r.Message += note
	return r
}

// compare probes target while it reads the running tasks and probes each
// at the plan's port.
func (p *Prober) compare(ctx context.Context, target string, plan Plan) (Outcome, []Outcome, string) {
	first := make(chan Outcome, 1)
	go func() { first <- p.tcp(ctx, target) }()
	addrs, note := p.addrs(ctx, plan)
	var targets []string
	for _, n := range plan.Networks {
		for _, a := range addrs[n] {
			if t := net.JoinHostPort(a.String(), strconv.Itoa(plan.Port)); !slices.Contains(targets, t) {
				targets = append(targets, t)
			}
		}
	}
	tasks := make([]Outcome, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { tasks[i] = p.tcp(ctx, t) })
	}
	wg.Wait()
	return <-first, tasks, note
}

// addrs returns the running tasks' addresses per network: live from the
// API, bounded to half the time left so the probes keep theirs, or the
// plan's when there is no lister or the API fails (said in note).
func (p *Prober) addrs(ctx context.Context, plan Plan) (map[string][]netip.Addr, string) {
	if p.Tasks == nil {
		return plan.Tasks, ""
	}
	lctx, cancel := context.WithTimeout(ctx, halfLeft(ctx))
	defer cancel()
	tasks, err := runningTasks(lctx, p.Tasks, plan.ServiceID)
	if err != nil {
		return plan.Tasks, " (tasks as of the last refresh: listing them failed: " + err.Error() + ")"
	}
	out := map[string][]netip.Addr{}
	for _, n := range plan.Networks {
		for _, t := range tasks {
			if a, ok := taskAddr(t, n); ok {
				out[n] = append(out[n], a)
			}
		}
	}
	return out, ""
}

func (p *Prober) tcp(ctx context.Context, target string) Outcome {
	spec := probes.Spec{Name: "tcp", Kind: probes.KindTCP, Target: target, Expect: probes.ExpectReachable}
	r := orDefault(p.TCP, &probes.TCP{}).Probe(ctx, spec)
	return Outcome{Target: target, Reachable: r.Reachable, Cause: cmp.Or(r.Cause, probes.CauseError)}
}

func orDefault(p, def probes.Prober) probes.Prober {
	if p == nil {
		return def
	}
	return p
}

func noPlan(spec probes.Spec) probes.Result {
	return probes.Result{Cause: probes.CauseError,
		Message: "no plan for " + string(spec.Kind) + " " + spec.Target + ": its service is gone or not listed yet"}
}

func halfLeft(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl) / 2
	}
	return 5 * time.Second
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	slices.Sort(out)
	return out
}

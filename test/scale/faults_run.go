package scale

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// faults injects node2's inbound mesh port drop and node3 -> node4 (dropped
// at node3) together, on distinct nodes, and reads node1's diagnosis for
// both; once both are healed and the verdict is healthy, it cuts the last
// node off alone and watches the webhook for the host alert. Together, not
// one after the other, to keep a run within three minutes.
func faults(ctx context.Context, o Options, r *Result, agents []*Agent, hook *Hook) {
	bound := faultBound(o)
	base := agents[0].URL
	specs := []faultSpec{
		{"inbound mesh UDP+TCP dropped at node2", "node-inbound",
			func(ctx context.Context) (Heal, error) { return DropInbound(ctx, 2) },
			func(f Finding) bool { return f.Kind == "node-inbound" && f.Node == "node2" }},
		{"node3 -> node4 dropped at node3", "one-way",
			func(ctx context.Context) (Heal, error) { return DropOneWay(ctx, 3, 4) },
			func(f Finding) bool { return f.Kind == "one-way" && f.From == "node3" && f.To == "node4" }},
	}
	if o.Faults == "all" || o.Faults == "links" {
		r.Faults = together(ctx, base, bound, specs)
	}
	if o.Faults == "all" || o.Faults == "host" {
		o.logf("cutting %s", nodeName(len(agents)))
		r.HostAlert = hostAlert(ctx, o, bound, len(agents), hook)
	}
}

// faultBound is how long a fault's finding or alert may take: two results
// per link (F=2), each link probed once per cover (every round in full mesh,
// every ceil((K-1)/subset_k) rounds in subset mode), plus four intervals
// (for a -settle of up to two, and two of views) and 15 s of slack; at most
// o.MaxWait, which keeps a run within its budget.
func faultBound(o Options) time.Duration {
	b := 2*time.Duration(coverRounds(o))*o.Interval + 4*o.Interval + 15*time.Second
	return min(b, o.MaxWait)
}

// alertBudget is the bound on the cut's host alert, with the
// agents' alerting.failing_after (F = 2): F × interval + timeout + 2 s.
func alertBudget(o Options) time.Duration { return 2*o.Interval + o.Timeout + 2*time.Second }

// coverRounds is how many rounds it takes until every link is probed: one
// in full mesh, ceil((K-1)/subset_k) in subset mode.
func coverRounds(o Options) int {
	if o.SubsetK > 0 && o.SubsetK < o.K-1 {
		return (o.K - 1 + o.SubsetK - 1) / o.SubsetK
	}
	return 1
}

// healthyBound is how long a fresh cluster may take to a healthy verdict:
// every link probed once (a cover of rounds) after three intervals of start
// and views, and 15 s of slack; at most ten minutes, or o.MaxWait when
// longer (K=200 at subset_k 20 and 120 s covers in 20 minutes).
func healthyBound(o Options) time.Duration {
	return min(time.Duration(coverRounds(o)+3)*o.Interval+15*time.Second, max(10*time.Minute, o.MaxWait))
}

// faultSpec is one fault and the finding that shows it.
type faultSpec struct {
	name, expect string
	inject       func(context.Context) (Heal, error)
	match        func(Finding) bool
}

// together injects every spec, waits up to bound until base's matrix shows
// each expected finding, heals them all and waits for a healthy verdict.
func together(ctx context.Context, base string, bound time.Duration, specs []faultSpec) []FaultResult {
	frs := make([]FaultResult, len(specs))
	var heals []Heal
	defer func() {
		for _, h := range heals {
			h(context.Background())
		}
	}()
	for i, s := range specs {
		frs[i] = FaultResult{Fault: s.name, Expect: s.expect, AfterS: -1, HealedS: -1}
		h, err := s.inject(ctx)
		if err != nil {
			frs[i].Findings = []Finding{{Kind: "inject failed", Cause: err.Error()}}
			continue
		}
		heals = append(heals, h)
	}
	t0 := time.Now()
	for left := len(specs); left > 0 && time.Since(t0) < bound && ctx.Err() == nil; pause(ctx, time.Second) {
		m, _, _, err := matrix(ctx, base)
		if err != nil {
			continue
		}
		for i, s := range specs {
			if !frs[i].Seen {
				frs[i].Findings = m.Findings
				if slices.ContainsFunc(m.Findings, s.match) {
					frs[i].Seen, frs[i].AfterS = true, time.Since(t0).Seconds()
					left--
				}
			}
		}
	}
	for _, h := range heals {
		h(ctx)
	}
	t1 := time.Now()
	if waitVerdict(ctx, base, "healthy", bound) {
		for i := range frs {
			frs[i].HealedS = time.Since(t1).Seconds()
		}
	}
	return frs
}

// hostAlert cuts the last node off and waits for its SwarmlinkHostUnreachable
// at the webhook, then watches two more intervals for duplicates.
func hostAlert(ctx context.Context, o Options, bound time.Duration, k int, hook *Hook) HostAlert {
	node := nodeName(k)
	h := HostAlert{Node: node, AfterS: -1}
	heal, err := CutNode(ctx, k)
	if err != nil {
		h.Others = []string{"inject failed: " + err.Error()}
		return h
	}
	defer heal(context.Background())
	t0 := time.Now()
	before, _ := hook.Received()
	watchEnd := t0.Add(bound)
	for time.Now().Before(watchEnd) && ctx.Err() == nil {
		got, _ := hook.Received()
		if h.AfterS < 0 {
			for _, g := range got[len(before):] {
				if isHostAlert(g, node) {
					h.AfterS = g.At.Sub(t0).Seconds()
					watchEnd = g.At.Add(2*o.Interval + 5*time.Second)
					break
				}
			}
		}
		pause(ctx, 250*time.Millisecond)
	}
	h.WatchedS = time.Since(t0).Seconds()
	got, _ := hook.Received()
	for _, g := range got[len(before):] {
		if isHostAlert(g, node) {
			h.Firing++
			h.Senders = append(h.Senders, g.Sender)
		} else {
			h.Others = append(h.Others, fmt.Sprintf("%s %s %s->%s by %s", g.Alert.Name, g.Alert.Status,
				g.Alert.Source, g.Alert.Destination, g.Sender))
		}
	}
	heal(ctx) // no wait for the heal: teardown follows
	return h
}

func isHostAlert(g Received, node string) bool {
	return g.Alert.Name == "SwarmlinkHostUnreachable" && g.Alert.Status == "firing" &&
		(g.Alert.Destination == node || g.Alert.Node == node)
}

// screenshot renders the matrix page of base's UI with Debian's chromium,
// if installed, and returns the file or why there is none.
func screenshot(ctx context.Context, base, file string) string {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		return "skipped: chromium not installed"
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	profile := filepath.Join(StateDir, "chromium")
	// Chromium raises some of its processes' priority (nice -8), which root
	// may; without CAP_SYS_NICE it stays at nice 19 with the agents.
	c := exec.CommandContext(ctx, "setpriv", "--bounding-set=-sys_nice", "nice", "-n", "19", bin, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+profile, "--virtual-time-budget=15000", "--screenshot="+file,
		"--window-size=1600,1600", base+"/#matrix")
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Sprintf("failed: %v: %.300s", err, out)
	}
	if _, err := os.Stat(file); err != nil {
		return "failed: no file"
	}
	return file
}

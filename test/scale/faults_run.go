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

// faults injects the three faults one after another, each healed before the
// next: node2's inbound mesh port dropped, node3 -> node4 dropped at node3,
// and the last node cut off (the host alert). node1's diagnosis is read for
// the first two, the webhook for the third.
func faults(ctx context.Context, o Options, r *Result, agents []*Agent, hook *Hook) {
	bound := 6*o.Interval + 15*time.Second
	base := agents[0].URL
	r.Faults = append(r.Faults, fault(ctx, base, bound, "inbound mesh UDP+TCP dropped at node2", "node-inbound",
		func(ctx context.Context) (Heal, error) { return DropInbound(ctx, 2) },
		func(f Finding) bool { return f.Kind == "node-inbound" && f.Node == "node2" }))
	r.Faults = append(r.Faults, fault(ctx, base, bound, "node3 -> node4 dropped at node3", "one-way",
		func(ctx context.Context) (Heal, error) { return DropOneWay(ctx, 3, 4) },
		func(f Finding) bool { return f.Kind == "one-way" && f.From == "node3" && f.To == "node4" }))
	r.HostAlert = hostAlert(ctx, o, base, bound, len(agents), hook)
}

// fault injects one fault, waits up to bound for the expected finding in
// base's matrix, heals it and waits for a healthy verdict again.
func fault(ctx context.Context, base string, bound time.Duration, name, expect string,
	inject func(context.Context) (Heal, error), match func(Finding) bool) FaultResult {
	fr := FaultResult{Fault: name, Expect: expect, AfterS: -1, HealedS: -1}
	heal, err := inject(ctx)
	if err != nil {
		fr.Findings = []Finding{{Kind: "inject failed", Cause: err.Error()}}
		return fr
	}
	defer heal(context.Background())
	t0 := time.Now()
	for time.Since(t0) < bound && ctx.Err() == nil {
		m, _, _, err := matrix(ctx, base)
		if err == nil {
			fr.Findings = m.Findings
			if slices.ContainsFunc(m.Findings, match) {
				fr.Seen, fr.AfterS = true, time.Since(t0).Seconds()
				break
			}
		}
		pause(ctx, time.Second)
	}
	heal(ctx)
	t1 := time.Now()
	if waitVerdict(ctx, base, "healthy", bound) {
		fr.HealedS = time.Since(t1).Seconds()
	}
	return fr
}

// hostAlert cuts the last node off and waits for its SwarmlinkHostUnreachable
// at the webhook, then watches two more intervals for duplicates.
func hostAlert(ctx context.Context, o Options, base string, bound time.Duration, k int, hook *Hook) HostAlert {
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
	heal(ctx)
	waitVerdict(ctx, base, "healthy", bound)
	return h
}

func isHostAlert(g Received, node string) bool {
	return g.Alert.Name == "SwarmlinkHostUnreachable" && g.Alert.Status == "firing" &&
		(g.Alert.Destination == node || g.Alert.Node == node)
}

// screenshot renders base's UI with Debian's chromium, if installed, and
// returns the file or why there is none.
func screenshot(ctx context.Context, base, file string) string {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		return "skipped: chromium not installed"
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	profile := filepath.Join(StateDir, "chromium")
	c := exec.CommandContext(ctx, "nice", "-n", "19", bin, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+profile, "--virtual-time-budget=15000", "--screenshot="+file,
		"--window-size=1600,1200", base+"/")
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Sprintf("failed: %v: %.300s", err, out)
	}
	if _, err := os.Stat(file); err != nil {
		return "failed: no file"
	}
	return file
}

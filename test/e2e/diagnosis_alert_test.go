package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// amWatch records every alert Alertmanager shows active after a fault, in
// the order they first appeared.
type amWatch struct {
	t0    time.Time
	seen  map[string]amSeen
	order []string
	polls int
}

// amSeen is one alert (by label set) and when it was first seen.
type amSeen struct {
	alert AMAlert
	after time.Duration // after the fault
	poll  int
}

func newAMWatch(t0 time.Time) *amWatch { return &amWatch{t0: t0, seen: map[string]amSeen{}} }

// labelsKey is an alert's identity in Alertmanager: its whole label set.
func labelsKey(l map[string]string) string {
	var kv []string
	for k, v := range l {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// poll reads Alertmanager's active alerts once and returns them.
func (w *amWatch) poll(ctx context.Context) []AMAlert {
	active, err := amActive(ctx)
	if err != nil {
		return nil
	}
	w.polls++
	for _, a := range active {
		k := labelsKey(a.Labels)
		if _, ok := w.seen[k]; !ok {
			w.seen[k] = amSeen{alert: a, after: time.Since(w.t0).Round(time.Millisecond), poll: w.polls}
			w.order = append(w.order, k)
			printf("Alertmanager: %s active %s after the fault (labels %v)", a, w.seen[k].after, a.Labels)
		}
	}
	return active
}

// first is the alert seen first (of those seen in the same poll, the one
// that started first), if any.
func (w *amWatch) first() (amSeen, bool) {
	var out []amSeen
	for _, k := range w.order {
		s := w.seen[k]
		if len(out) > 0 && s.poll != out[0].poll {
			break
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return amSeen{}, false
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].alert.StartsAt.Before(out[j].alert.StartsAt) })
	return out[0], true
}

// expectFirst waits up to timeout after the fault for a first alert, and
// says whether it is the alert of one of d's findings with its cause.
func (w *amWatch) expectFirst(ctx context.Context, d Diagnosis, timeout time.Duration) error {
	for len(w.order) == 0 && time.Since(w.t0) < timeout {
		w.poll(ctx)
		if !sleepCtx(ctx, 250*time.Millisecond) {
			break
		}
	}
	s, ok := w.first()
	if !ok {
		return fmt.Errorf("no alert reached Alertmanager within %s of the fault (findings %v)", timeout, d.Keys())
	}
	printf("first alert in Alertmanager: %s, %s after the fault (budget %s)", s.alert, s.after, alertBudget)
	f, ok := findingFor(s.alert.Labels, d)
	if !ok {
		return fmt.Errorf("the first alert %s (labels %v) is no finding's of %s", s.alert, s.alert.Labels, d.Brief())
	}
	if s.alert.Labels["cause"] != f.Cause {
		return fmt.Errorf("the first alert %s has cause %q, its finding %s says %q", s.alert, s.alert.Labels["cause"], f.Key(), f.Cause)
	}
	return nil
}

// unexplained lists every alert seen that is no finding's of node1's
// diagnosis (the diagnoses when they were right; nil: not checked).
func (w *amWatch) unexplained(ds map[string]Diagnosis) error {
	if ds == nil {
		return nil
	}
	d := ds[suite.Nodes[0].Name]
	var bad []string
	for _, k := range w.order {
		if _, ok := findingFor(w.seen[k].alert.Labels, d); !ok {
			bad = append(bad, fmt.Sprintf("%s (labels %v, %s after the fault)", w.seen[k].alert, w.seen[k].alert.Labels, w.seen[k].after))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("alerts that are no finding's %v: %s", d.Keys(), strings.Join(bad, "; "))
	}
	return nil
}

// waitResolved waits until Alertmanager holds no active alert.
func (w *amWatch) waitResolved(ctx context.Context, timeout time.Duration) error {
	start := time.Now()
	for time.Since(start) < timeout {
		if active, err := amActive(ctx); err == nil && len(active) == 0 {
			printf("Alertmanager: no active alert %s after the heal", time.Since(start).Round(time.Millisecond))
			return nil
		}
		if !sleepCtx(ctx, 250*time.Millisecond) {
			break
		}
	}
	active, _ := amActive(ctx)
	return fmt.Errorf("alerts still active %s after the heal: %v", timeout, active)
}

// findingFor is the finding of d an Alertmanager alert is about: its
// alertname is the finding kind's, its node/source/destination labels name
// the finding's node or direction, and its path is the finding's.
func findingFor(l map[string]string, d Diagnosis) (Finding, bool) {
	for _, f := range d.Findings {
		if alertFor[f.Kind] != l["alertname"] {
			continue
		}
		if l["path"] != f.Path && !(f.Path == "" && (l["path"] == "" || l["path"] == "all")) {
			continue
		}
		names := []string{l["node"], l["source"], l["destination"]}
		switch {
		case f.From != "" && f.To != "" && l["source"] == f.From && l["destination"] == f.To:
			return f, true
		case f.Node != "" && slices.Contains(names, f.Node):
			return f, true
		}
	}
	return Finding{}, false
}

// runCut cuts n off the underlay: the others must say host-down n, n must
// say it is cut off; one SwarmlinkHostUnreachable fires, stays firing (no
// resolve, no second firing) for 60 s, and resolves after the heal, with
// nothing else firing after it.
func runCut(ctx context.Context, n *cluster.Node) {
	var p problems
	name := "cut " + n.Name
	t0 := time.Now()
	injectAll(ctx, cluster.CutNode)(n)
	am := newAMWatch(t0)
	hostDown := FindingKey{Kind: "host-down", Node: n.Name}
	broken := func(c Cell) bool { return c.From == n.Name || c.To == n.Name }
	checkFor := func(asked *cluster.Node) faultCase {
		if asked == n {
			return faultCase{want: cutOff(n.Name), broken: broken,
				verdicts: []string{"failing", "degraded", "unknown", "pending", "healthy"}}
		}
		return faultCase{want: exactlyTolerating([]string{"view-missing"}, hostDown), broken: broken,
			cause: "host-down", verdicts: []string{"failing"}}
	}
	facts := factsEach(n, func(o *cluster.Node) []linkFact {
		return []linkFact{
			{node: o, peer: n, path: "overlay", dir: "outbound", state: "failing"},
			{node: o, peer: n, path: "published", dir: "outbound", state: "failing"},
		}
	})
	took, ds := waitDiagnoses(ctx, &p, t0, name, checkFor, am, facts)
	other := suite.Nodes[0]
	want := Diagnosis{Findings: []Finding{{Kind: "host-down", Node: n.Name, Cause: "host-down"}}}
	if ds != nil {
		holdDiagnoses(ctx, &p, name, checkFor, am)
		for _, asked := range suite.Nodes {
			p.add(expectStatusSays(ctx, asked, ds[asked.Name]))
		}
		want = ds[other.Name]
	}
	if took > diagnosisBound {
		p.addf("%s: diagnosed right on every node after %s, bound %s", name, took, diagnosisBound)
	}
	p.add(am.expectFirst(ctx, want, alertBudget+alertSettle+15*time.Second))
	host, ok := am.hostAlert(ctx, n.Name, alertBudget+alertSettle+15*time.Second)
	if ok {
		holdHostAlert(ctx, &p, am, host, t0)
	} else {
		p.addf("%s: no SwarmlinkHostUnreachable about %s in Alertmanager within %s of the fault", name, n.Name, alertBudget+alertSettle+15*time.Second)
	}
	healAll(ctx)
	watchAfterHeal(ctx, &p, name, host)
	Expect(p).To(BeEmpty())
}

// hostAlert waits up to timeout after the fault for the host alert about
// node, and returns it as first seen.
func (w *amWatch) hostAlert(ctx context.Context, node string, timeout time.Duration) (amSeen, bool) {
	for {
		for _, k := range w.order {
			s := w.seen[k]
			if l := s.alert.Labels; l["alertname"] == nameHostUnreachable && (l["node"] == node || l["destination"] == node) {
				printf("host alert in Alertmanager: %s, %s after the fault", s.alert, s.after)
				return s, true
			}
		}
		if time.Since(w.t0) > timeout || !sleepCtx(ctx, 250*time.Millisecond) {
			return amSeen{}, false
		}
		w.poll(ctx)
	}
}

// cutOff expects n's own diagnosis to say it is cut off: cut_off, and the
// finding cut-off n (view-missing aside).
func cutOff(n string) func(*cluster.Node, Diagnosis) error {
	want := exactlyTolerating([]string{"view-missing"}, FindingKey{Kind: "cut-off", Node: n})
	return func(asked *cluster.Node, d Diagnosis) error {
		if !d.CutOff {
			return fmt.Errorf("cut_off false on the node cut off")
		}
		return want(asked, d)
	}
}

// holdHostAlert checks, every second for 60 s, that Alertmanager holds the
// host alert and nothing else, never resolved nor started again, and the
// webhook got at most one firing message of it per sender.
func holdHostAlert(ctx context.Context, p *problems, am *amWatch, host amSeen, t0 time.Time) {
	key := labelsKey(host.alert.Labels)
	others := map[string]bool{}
	start := time.Now()
	for time.Since(start) < 60*time.Second {
		active := am.poll(ctx)
		var found *AMAlert
		for i, a := range active {
			if labelsKey(a.Labels) == key {
				found = &active[i]
			} else if k := labelsKey(a.Labels); !others[k] {
				others[k] = true
				p.addf("cut: %s active next to the host alert, %s after the fault", a, time.Since(t0).Round(time.Second))
			}
		}
		switch {
		case found == nil:
			p.addf("cut: %s not active %s after the fault, while still cut off", host.alert, time.Since(t0).Round(time.Second))
			return
		case !found.StartsAt.Equal(host.alert.StartsAt):
			p.addf("cut: %s started again at %s (first %s)", host.alert, found.StartsAt, host.alert.StartsAt)
			return
		}
		perSender := map[string]int{}
		for _, m := range hook.messages(t0, "firing") {
			if m.Alert.Name == host.alert.Labels["alertname"] {
				perSender[m.Sender]++
			}
		}
		for sender, c := range perSender {
			if c > 1 {
				p.addf("cut: the webhook got %d firing messages of %s from %s\n%s", c, host.alert, sender, hook.log(t0))
				return
			}
		}
		if !sleepCtx(ctx, time.Second) {
			return
		}
	}
	printf("cut: %s stayed firing, alone, for 60 s (webhook: %s)", host.alert, hook.log(t0))
}

// watchAfterHeal waits until the host alert resolved and every node is
// diagnosed healthy, then for 4 intervals and a settle more, and says so if
// any other alert fires meanwhile.
func watchAfterHeal(ctx context.Context, p *problems, name string, host amSeen) {
	healed := time.Now()
	w := newAMWatch(healed)
	atHeal := map[string]bool{labelsKey(host.alert.Labels): true} // active already: not fired after
	for _, a := range w.poll(ctx) {
		atHeal[labelsKey(a.Labels)] = true
	}
	var calm time.Time
	for time.Since(healed) < 150*time.Second {
		active := w.poll(ctx)
		if len(active) == 0 && calm.IsZero() && diagnosedHealthy(ctx) == nil {
			calm = time.Now()
			printf("%s: host alert resolved and every node healthy %s after the heal", name, time.Since(healed).Round(time.Millisecond))
		}
		if !calm.IsZero() && time.Since(calm) > 4*meshInterval+alertSettle {
			break
		}
		if !sleepCtx(ctx, 500*time.Millisecond) {
			return
		}
	}
	if calm.IsZero() {
		active, _ := amActive(ctx)
		p.addf("%s: 150 s after the heal, alerts %v, diagnosis %v", name, active, diagnosedHealthy(ctx))
	}
	for _, k := range w.order {
		if !atHeal[k] {
			p.addf("%s: %s fired after the heal, %s after it", name, w.seen[k].alert, w.seen[k].after)
		}
	}
}

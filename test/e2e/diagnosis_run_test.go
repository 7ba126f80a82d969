package e2e

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// faultCase is one fault of the diagnosis specs and what every node must
// say about it.
type faultCase struct {
	name   string
	inject func()
	// want checks the findings of the diagnosis the node asked gave.
	want func(asked *cluster.Node, d Diagnosis) error
	// broken says which cells the fault breaks. A working direction's cell
	// is never failing, a broken one's never healthy once diagnosed; strict
	// asks more: broken cells failing, every other cell healthy.
	broken   func(Cell) bool
	strict   bool
	cause    string     // if set, every finding's cause
	verdicts []string   // the verdicts allowed
	facts    []linkFact // what the agents' own links must show meanwhile
	// after runs once the diagnoses were right (ds) or the wait gave up
	// (ds nil).
	after func(p *problems, t0 time.Time, ds map[string]Diagnosis)
}

// check says why d, the diagnosis n gave, is not the one expected.
func (fc faultCase) check(n *cluster.Node, d Diagnosis) error {
	if d.Self != n.Name {
		return fmt.Errorf("self is %q", d.Self)
	}
	if err := fc.want(n, d); err != nil {
		return err
	}
	if !slices.Contains(fc.verdicts, d.Verdict) {
		return fmt.Errorf("verdict %s, want one of %v", d.Verdict, fc.verdicts)
	}
	for _, f := range d.Findings {
		if fc.cause != "" && f.Cause != fc.cause && f.Kind != "view-missing" {
			return fmt.Errorf("finding %s has cause %q, want %q", f.Key(), f.Cause, fc.cause)
		}
	}
	if bad := fc.badCells(d, fc.strict, true); len(bad) > 0 {
		return fmt.Errorf("cells: %s", strings.Join(bad, "; "))
	}
	return nil
}

// badCells lists the cells of d that break the rules: with diagnosed, a
// broken direction's cell must not be healthy (before, it may still be).
func (fc faultCase) badCells(d Diagnosis, strict, diagnosed bool) []string {
	var bad []string
	n := len(suite.Nodes)
	if len(d.Cells) != len(diagPaths)*n*(n-1) {
		bad = append(bad, fmt.Sprintf("%d cells, want %d", len(d.Cells), len(diagPaths)*n*(n-1)))
	}
	for _, c := range d.Cells {
		broken := fc.broken(c)
		var why string
		switch {
		case broken && strict && c.State != "failing":
			why = "broken, want failing"
		case broken && diagnosed && c.State == "healthy":
			why = "broken, never healthy"
		case !broken && strict && c.State != "healthy":
			why = "works, want healthy"
		case !broken && c.State == "failing":
			why = "works, never failing"
		}
		if why != "" {
			bad = append(bad, fmt.Sprintf("%s→%s %s is %s (fwd %s rtt %s large %s cause %s): %s; %q",
				c.From, c.To, c.Path, c.State, c.Forward, c.RoundTrip, c.Large, c.Cause, why, c.Message))
		}
	}
	return bad
}

// exactly expects exactly the findings want (view-missing aside, when
// tolerated by tolerate).
func exactly(want ...FindingKey) func(*cluster.Node, Diagnosis) error {
	return exactlyTolerating(nil, want...)
}

func exactlyTolerating(tolerate []string, want ...FindingKey) func(*cluster.Node, Diagnosis) error {
	sort.Slice(want, func(i, j int) bool { return want[i].String() < want[j].String() })
	return func(_ *cluster.Node, d Diagnosis) error {
		if got := d.Keys(tolerate...); !slices.Equal(got, want) {
			return fmt.Errorf("findings %v, want %v", got, want)
		}
		return nil
	}
}

// lossTo expects loss findings on the overlay into node, each between 10
// and 60 %: one node-wide (node set) or one per sender (to node).
func lossTo(node string) func(*cluster.Node, Diagnosis) error {
	return func(_ *cluster.Node, d Diagnosis) error {
		if len(d.Findings) == 0 {
			return fmt.Errorf("no findings, want loss into %s", node)
		}
		for _, f := range d.Findings {
			intoNode := f.To == node || (f.Node == node && f.From == "")
			if f.Kind != "loss" || f.Path != "overlay" || !intoNode {
				return fmt.Errorf("finding %s, want only loss into %s on overlay", f.Key(), node)
			}
			if f.LossPercent < 10 || f.LossPercent > 60 {
				return fmt.Errorf("finding %s: loss %.1f %%, want 10..60", f.Key(), f.LossPercent)
			}
		}
		return nil
	}
}

// runFault injects fc's fault, waits for every node's diagnosis (and
// status) to be right, checks Alertmanager's first alert, heals and waits
// for healthy. It gathers every problem before failing, for FINDINGS.md.
func runFault(ctx context.Context, fc faultCase) {
	GinkgoHelper()
	var p problems
	// The fault exists once its last rule is in: the bound runs from
	// there, not from the first nsenter (on a loaded machine the iptables
	// calls themselves took a tenth of a second and more).
	began := time.Now()
	fc.inject()
	t0 := time.Now()
	printf("%s: injected in %s", fc.name, t0.Sub(began).Round(time.Millisecond))
	am := newAMWatch(began)
	checkFor := func(*cluster.Node) faultCase { return fc }
	took, ds := waitDiagnoses(ctx, &p, t0, fc.name, checkFor, am, fc.facts)
	if ds != nil {
		holdDiagnoses(ctx, &p, fc.name, checkFor, am)
		for _, n := range suite.Nodes {
			p.add(expectStatusSays(ctx, n, ds[n.Name]))
		}
		p.add(am.expectFirst(ctx, ds[suite.Nodes[0].Name], alertBudget+alertSettle+10*time.Second))
	}
	if fc.after != nil {
		fc.after(&p, t0, ds)
	}
	p.add(am.unexplained(ds))
	healAll(ctx)
	healed := eventuallyDiagnosedHealthy(ctx, 90*time.Second)
	printf("%s: every node healthy with no findings %s after the heal", fc.name, healed)
	p.add(am.waitResolved(ctx, 60*time.Second))
	if took > diagnosisBound {
		p.addf("%s: diagnosed right on every node after %s, bound %s", fc.name, took, diagnosisBound)
	}
	Expect(p).To(BeEmpty())
}

// waitDiagnoses polls every node's diagnosis until each passes its check,
// up to diagnosisBound plus 20 s (to measure a slow one), and returns how
// long after t0 they all first held and the diagnoses then (nil if never).
// Meanwhile it checks the fault's lower-level facts (the agents' own links)
// until they all hold once, and says so if they never do. A working
// direction's cell found failing at any time is a problem.
func waitDiagnoses(ctx context.Context, p *problems, t0 time.Time, name string,
	checkFor func(*cluster.Node) faultCase, am *amWatch, facts []linkFact) (time.Duration, map[string]Diagnosis) {
	deadline := t0.Add(diagnosisBound + 20*time.Second)
	var took time.Duration
	var right map[string]Diagnosis
	var last map[string]string
	factsHeld, factErrs := len(facts) == 0, []string(nil)
	never, firstOK, saidWrong := map[string]bool{}, map[string]time.Time{}, map[string]string{}
	for time.Now().Before(deadline) && (right == nil || !factsHeld) {
		am.poll(ctx)
		if !factsHeld {
			if factErrs = factErrors(ctx, facts); len(factErrs) == 0 {
				factsHeld = true
				printf("%s: the agents' links show the fault (%d facts) %s after it", name, len(facts), time.Since(t0).Round(time.Millisecond))
			}
		}
		if right != nil {
			sleepCtx(ctx, 250*time.Millisecond)
			continue
		}
		asked := time.Now()
		ds, errs := askAll(ctx, checkFor)
		for node, err := range errs {
			// Right, then wrong again: the streak starts over. How it gets
			// there is printed, for a slow one.
			delete(firstOK, node)
			if err != saidWrong[node] {
				saidWrong[node] = err
				printf("%s: %s %s after the fault: %s", name, node, time.Since(t0).Round(time.Millisecond), err)
			}
		}
		for node, d := range ds {
			if _, bad := errs[node]; !bad && firstOK[node].IsZero() {
				// When the node generated the answer (the nodes share the
				// machine's clock), not when the poll got round to it.
				firstOK[node] = cmp.Or(d.Generated, asked)
				printf("%s: %s's diagnosis first right as generated %s after the fault (seen %s after)", name, node,
					firstOK[node].Sub(t0).Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
			}
		}
		for node, d := range ds {
			for _, b := range checkFor(nodeByName(node)).badCells(d, false, false) {
				cell, _, _ := strings.Cut(b, " is ")
				if strings.Contains(b, "never failing") && !never[node+cell] {
					never[node+cell] = true
					p.addf("%s: %s, %s after the fault, asked on %s", name, b, time.Since(t0).Round(time.Millisecond), node)
					dumpLargeEvidence(ctx, b)
				}
			}
		}
		if len(errs) == 0 {
			for _, at := range firstOK {
				took = max(took, at.Sub(t0).Round(time.Millisecond))
			}
			right = ds
			printf("%s: every node's diagnosis right %s after the fault as generated (seen %s after; bound %s)",
				name, took, time.Since(t0).Round(time.Millisecond), diagnosisBound)
			for _, d := range ds {
				printf("  %s", d.Brief())
			}
			continue
		}
		last = errs
		if !sleepCtx(ctx, 250*time.Millisecond) {
			break
		}
	}
	if !factsHeld {
		p.addf("%s: lower-level facts in /api/v1/links never all held within %s of the fault:\n  %s",
			name, time.Since(t0).Round(time.Second), strings.Join(factErrs, "\n  "))
	}
	if right != nil {
		return took, right
	}
	for node, err := range last {
		p.addf("%s: asked on %s %s after the fault: %v", name, node, time.Since(t0).Round(time.Millisecond), err)
	}
	ds, _ := askAll(ctx, checkFor)
	for _, d := range ds {
		printf("  last: %s", d.Brief())
	}
	return time.Since(t0), nil
}

// holdDiagnoses checks the right diagnoses stay right for two intervals.
func holdDiagnoses(ctx context.Context, p *problems, name string, checkFor func(*cluster.Node) faultCase, am *amWatch) {
	start := time.Now()
	for time.Since(start) < 2*meshInterval {
		am.poll(ctx)
		_, errs := askAll(ctx, checkFor)
		for node, err := range errs {
			p.addf("%s: right, then %s later wrong on %s: %v", name, time.Since(start).Round(time.Millisecond), node, err)
			return
		}
		if !sleepCtx(ctx, 500*time.Millisecond) {
			return
		}
	}
}

// askAll asks every node for its diagnosis and checks it; errs holds the
// nodes whose answer (or asking) is wrong.
func askAll(ctx context.Context, checkFor func(*cluster.Node) faultCase) (map[string]Diagnosis, map[string]string) {
	ds, errs := map[string]Diagnosis{}, map[string]string{}
	for _, n := range suite.Nodes {
		d, err := diagnosis(ctx, n)
		if err != nil {
			errs[n.Name] = err.Error()
			continue
		}
		ds[n.Name] = d
		if err := checkFor(n).check(n, d); err != nil {
			errs[n.Name] = err.Error() + "\n      " + d.Brief()
		}
	}
	return ds, errs
}

// expectStatusSays runs `swarmlink status --format json` on n and checks it
// prints the findings of n's diagnosis d, and exits with the code owed.
func expectStatusSays(ctx context.Context, n *cluster.Node, d Diagnosis) error {
	s, exit, err := statusJSON(ctx, n)
	if err != nil {
		return fmt.Errorf("status on %s: %w", n.Name, err)
	}
	if !slices.Equal(s.Keys(), d.Keys()) || s.Verdict != d.Verdict {
		return fmt.Errorf("status on %s says %s %v, the API said %s %v", n.Name, s.Verdict, s.Keys(), d.Verdict, d.Keys())
	}
	if !slices.Contains(statusExit(s), exit) {
		return fmt.Errorf("status on %s exited %d for verdict %s (partial %v), want %v", n.Name, exit, s.Verdict, s.Partial, statusExit(s))
	}
	return nil
}

// expectStatusAgrees asserts status on n prints no findings (want nil) and
// a healthy verdict, exiting 0.
func expectStatusAgrees(ctx context.Context, n *cluster.Node, want []FindingKey) {
	GinkgoHelper()
	s, exit, err := statusJSON(ctx, n)
	Expect(err).NotTo(HaveOccurred())
	Expect(s.Self).To(Equal(n.Name))
	Expect(s.Keys()).To(Equal(want), "%s", s.Brief())
	Expect(s.Verdict).To(Equal("healthy"), "%s", s.Brief())
	Expect(exit).To(Equal(0), "%s", s.Brief())
}

// eventuallyDiagnosedHealthy waits until every node's diagnosis is healthy
// with no findings and returns how long that took.
func eventuallyDiagnosedHealthy(ctx context.Context, timeout time.Duration) time.Duration {
	GinkgoHelper()
	start := time.Now()
	Eventually(ctx, diagnosedHealthy).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
	return time.Since(start).Round(time.Millisecond)
}

// diagnosedHealthy fails unless every node's diagnosis is whole, healthy,
// with no findings and every cell healthy.
func diagnosedHealthy(ctx context.Context) error { return diagnosedHealthyBut(ctx) }

// diagnosedHealthyBut is diagnosedHealthy with the findings and cells of
// paths left out (and so the verdict, which counts them).
func diagnosedHealthyBut(ctx context.Context, paths ...string) error {
	for _, n := range suite.Nodes {
		d, err := diagnosis(ctx, n)
		if err != nil {
			return err
		}
		findings := slices.DeleteFunc(slices.Clone(d.Findings), func(f Finding) bool { return slices.Contains(paths, f.Path) })
		if len(findings) > 0 || (d.Verdict != "healthy" && len(paths) == 0) || d.Partial || d.CutOff {
			return fmt.Errorf("not healthy: %s", d.Brief())
		}
		for _, c := range d.Cells {
			if c.State != "healthy" && !slices.Contains(paths, c.Path) {
				return fmt.Errorf("%s: cell %+v", n.Name, c)
			}
		}
	}
	return nil
}

// expectMTU checks the measured MTU against the black hole: every mtu
// finding's largest, and the links.View mtu entries that match, within
// mtuTolerance of what blackHoleAt lets through.
func expectMTU(ctx context.Context, p *problems, ds map[string]Diagnosis, match func(MTU) bool) {
	want := blackHoleAt - 1 - cluster.VXLANOverhead - 28 // inner IPv4 20 + UDP 8
	far := func(got int) bool { return got < want-mtuTolerance || got > want+mtuTolerance }
	for node, d := range ds {
		for _, f := range d.Findings {
			printf("MTU: %s's finding %s largest %d B; the black hole at %d B lets %d B through", node, f.Key(), f.Largest, blackHoleAt, want)
			if far(f.Largest) {
				p.addf("MTU: %s's finding %s says largest %d B, want %d ± %d", node, f.Key(), f.Largest, want, mtuTolerance)
			}
		}
	}
	seen := 0
	for _, n := range suite.Nodes {
		v, err := links(ctx, n)
		if err != nil {
			p.add(err)
			continue
		}
		for _, m := range v.MTU {
			if !match(m) {
				continue
			}
			seen++
			printf("MTU: %s's view %s→%s %s largest %d ceiling %d overlay_mtu %d (%d probes, %s)",
				n.Name, m.From, m.To, m.Path, m.Largest, m.Ceiling, m.OverlayMTU, m.Probes, m.Measured.Format(time.RFC3339))
			if far(m.Largest) {
				p.addf("MTU: %s's /api/v1/links mtu %s→%s %s largest %d B, want %d ± %d", n.Name, m.From, m.To, m.Path, m.Largest, want, mtuTolerance)
			}
		}
	}
	if seen < len(suite.Nodes)-1 {
		p.addf("MTU: the views' /api/v1/links mtu entries for the black-holed directions: %d, want %d", seen, len(suite.Nodes)-1)
	}
}

// problems gathers what a spec found wrong, each logged with the time.
type problems []string

func (p *problems) addf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	printf("PROBLEM: %s", s)
	*p = append(*p, time.Now().UTC().Format("15:04:05")+" "+s)
}

func (p *problems) add(err error) {
	if err != nil {
		p.addf("%v", err)
	}
}

func nodeByName(name string) *cluster.Node {
	for _, n := range suite.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// sleepCtx sleeps d or until ctx is done; false if ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

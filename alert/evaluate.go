package alert

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/links"
)

// tracked is the lifetime of one firing alert, as kept in the StateBucket.
type tracked struct {
	Alert      Alert     `json:"alert"`       // status, startsAt, labels
	LastSent   time.Time `json:"last_sent"`   // last time it was queued for Alertmanager
	Notified   bool      `json:"notified"`    // the "firing" messages are queued: never queue them again
	NotifiedTo []string  `json:"notified_to"` // the notifiers that get its firing (and so its resolved) message
	restored   bool      // loaded from the store, not yet seen again in a diagnosis
	gone       time.Time // when its finding was last missing from the diagnosis (zero: it is there)
}

// Evaluate renders the diagnosis into alerts and fires, updates and
// resolves them; Start calls it every Tick. Tests call it directly.
//
// A diagnosis without quorum changes nothing: this node cut off, or fewer
// than half of the other nodes' views arrived. What such a node sees is its
// own side only, so it neither raises alerts about the others nor resolves
// theirs, and nothing it queued while cut off is about a fault it could not
// see.
func (e *Engine) Evaluate(ctx context.Context) {
	d := e.diagnose(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	e.last = d
	e.noteCutOff(d, now)
	if e.opts.Diagnose == nil || quorum(d) { // without a cluster view, this agent's own is all there is
		e.reconcile(now, e.unsuppressed(render(d, e.cfg)), d)
	}
	e.refresh(now)
	counts := map[string]int{}
	for _, t := range e.active {
		counts[t.Alert.Name]++
	}
	for _, name := range alertNames() {
		e.m.firing.WithLabelValues(name).Set(float64(counts[name]))
	}
	e.m.queueLength.Set(float64(e.q.length()))
}

func (e *Engine) diagnose(ctx context.Context) links.Diagnosis {
	if e.opts.Diagnose != nil && e.evaluates() {
		return e.opts.Diagnose(ctx)
	}
	states := e.opts.Tracker.States()
	if e.opts.Diagnose != nil { // not an evaluator: its own user checks only
		states = slices.DeleteFunc(states, func(s links.LinkState) bool { return s.Path != links.PathDirect })
	}
	v := links.View{Node: e.opts.Self, Generated: e.clock.Now(), Via: links.ViaSelf, Links: states}
	return links.Diagnose(links.Input{Self: e.opts.Self, Now: e.clock.Now(), Nodes: []string{e.opts.Self},
		Views: map[string]links.View{e.opts.Self: v}, StaleAfter: restoreTimeout})
}

// evaluates: this agent evaluates the cluster's alerts, as one of the
// evaluators or because a shared alert it fired still fires (it resolves
// what it fired).
func (e *Engine) evaluates() bool {
	yes := e.opts.Evaluates == nil || e.opts.Evaluates() || e.FiresShared()
	gauge := 0.0
	if yes {
		gauge = 1
	}
	e.m.evaluator.Set(gauge)
	return yes
}

// FiresShared reports whether a shared alert this agent fired still fires:
// it then evaluates the cluster's alerts (and gathers every view) until
// the alert resolves.
func (e *Engine) FiresShared() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.active {
		if t.Alert.Shared {
			return true
		}
	}
	return false
}

// Evaluator reports whether self is one of the agents that evaluate the
// cluster's alerts: the first n nodes by name whose views arrived, and the
// first n of those whose agents are not fresh (views holds self's own too).
// The node that sends a shared alert to receivers that do not deduplicate
// (designated) is the first node not fresh that the alert is not about, so
// with n ≥ 3 it always evaluates; Alertmanager gets each alert from a few
// agents, not from every one. A node cut off has no views before it and
// evaluates (and, without quorum, fires nothing).
func Evaluator(self string, views map[string]links.ViewInfo, now time.Time, n int) bool {
	all, old := 0, 0
	for name, v := range views {
		if name < self && v.Missing == "" {
			all++
			if !fresh(v, now) {
				old++
			}
		}
	}
	return all < n || (old < n && !fresh(views[self], now))
}

// quorum: not cut off, and at least half of the other nodes' views
// arrived (with a single peer, its view is not needed).
func quorum(d links.Diagnosis) bool {
	if d.CutOff {
		return false
	}
	others, present := 0, 0
	for n, v := range d.Views {
		if n == d.Self {
			continue
		}
		others++
		if v.Missing == "" {
			present++
		}
	}
	return others < 2 || 2*present >= others // with one peer there is no one else to ask
}

// unsuppressed drops alerts about drained or removed nodes. e.mu is held.
func (e *Engine) unsuppressed(found []Alert) []Alert {
	return slices.DeleteFunc(found, func(a Alert) bool {
		return e.suppressed(a.Node) || e.suppressed(a.Source) || e.suppressed(a.Destination)
	})
}

// reconcile diffs the rendered alerts against the firing ones by
// fingerprint. e.mu is held.
func (e *Engine) reconcile(now time.Time, found []Alert, d links.Diagnosis) {
	byFP := make(map[string]Alert, len(found))
	for _, a := range found {
		byFP[a.Fingerprint] = a
	}
	for fp, t := range e.active {
		if a, ok := byFP[fp]; ok {
			t.Alert.Evidence, t.Alert.Summary, t.Alert.Advice, t.restored = a.Evidence, a.Summary, a.Advice, false
			t.Alert.Hosts, t.gone = a.Hosts, time.Time{}
			t.Alert.Description = describe(t.Alert)
			continue
		}
		if t.gone.IsZero() {
			t.gone = now
		}
		if (!t.restored || e.settled(t.Alert, now, d)) && (e.opts.Diagnose == nil || healed(t.Alert, d) ||
			now.Sub(t.gone) >= maxUnhealed) {
			e.resolve(t, now)
		}
	}
	for fp := range e.held {
		if _, ok := byFP[fp]; !ok {
			delete(e.held, fp)
		}
	}
	for _, a := range found {
		if _, firing := e.active[a.Fingerprint]; !firing && e.mayFire(a, now, d) {
			e.fire(a, now, d)
		}
	}
}

// maxUnhealed bounds how long an alert whose finding is gone waits for its
// links to be healthy before it resolves anyway.
const maxUnhealed = 2 * time.Minute

// healed reports that what an alert is about is healthy again, not only
// that its finding is gone: a fault seen half-way (an agent restarting, a
// finding changing its kind) must not resolve an alert and fire it again.
// Its path's cells about its node (or between its two ends) must all be
// healthy; a check's alert, its check passing.
func healed(a Alert, d links.Diagnosis) bool {
	if a.Probe != "" {
		i := slices.IndexFunc(d.Checks, func(s LinkState) bool { return s.Probe == a.Probe })
		return i < 0 || d.Checks[i].Status != LinkFailing
	}
	for _, c := range d.Cells {
		if (a.Path == PathAll || c.Path == a.Path) && about(a, c) && c.State != links.Healthy {
			return false
		}
	}
	return true
}

// about reports a cell an alert is about: one touching its node, or one
// between its two ends.
func about(a Alert, c links.Cell) bool {
	if a.Node != "" {
		return c.From == a.Node || c.To == a.Node
	}
	return (c.From == a.Source && c.To == a.Destination) || (c.From == a.Destination && c.To == a.Source)
}

// mayFire holds a new alert during the grace period, while its evidence is
// recovering, and until it has held for Settle and shows in views of every
// node that were generated after it was first seen: a fault seen half-way
// (one end's links failed, the other's not yet) is not what fires.
func (e *Engine) mayFire(a Alert, now time.Time, d links.Diagnosis) bool {
	if now.Before(e.started.Add(e.cfg.Grace)) || recovering(a) || e.restoredAbout(a) {
		return false
	}
	first, ok := e.held[a.Fingerprint]
	if !ok {
		first, e.held[a.Fingerprint] = now, now
		if e.opts.Regather != nil {
			e.opts.Regather() // fresh views now, rather than at the next gathering
		}
	}
	if e.rejoining(a, now) || freshAgent(a, d, now) || e.hostAlertCovers(a) {
		return false
	}
	waiting := undecided(a, d, e.opts.Diagnose == nil) || (e.opts.Diagnose != nil && a.Name != NameHostUnreachable && aboutMissing(a, d))
	if now.Sub(first) < e.cfg.Settle || (waiting && now.Sub(first) < maxUndecided) {
		return false
	}
	for n, v := range d.Views {
		if n != d.Self && v.Missing == "" && !v.Generated.After(first) {
			return false
		}
	}
	return true
}

// maxUndecided bounds how long a new alert waits for undecided links.
const maxUndecided = 30 * time.Second

// undecided: a direction about the alert's nodes, on its path, is pending (it failed
// its last result, not yet F of N): a host dying fails its links one by
// one, and what the half-failed set looks like is not the fault.
// With the cluster's views only the alert's path counts (a dying host's
// view goes missing, which holds its link alerts on its own); an agent
// alone watches every path.
func undecided(a Alert, d links.Diagnosis, everyPath bool) bool {
	nodes := []string{a.Node, a.Source, a.Destination}
	return slices.ContainsFunc(d.Cells, func(c links.Cell) bool {
		return (everyPath || a.Path == PathAll || c.Path == a.Path) &&
			(slices.Contains(nodes, c.From) || slices.Contains(nodes, c.To)) &&
			(c.Forward == links.Pending || c.RoundTrip == links.Pending)
	})
}

// rejoinGrace is how long alerts about a node wait after its host alert
// resolved: Swarm re-adds a returning node's tasks to the others' overlay
// state only some seconds after a long cut (test/README: 17–38 s after the
// heal), and that convergence is not a new fault. The host alert itself
// resolves only once every cell about the node is healthy, so the grace
// starts when the node first looks whole and covers its relapses.
const rejoinGrace = 30 * time.Second

// noteCutOff starts the rejoin grace of this node itself when it stops
// being cut off: the others' host alert about it resolves, and so must the
// overlay's convergence towards it raise nothing here either. e.mu is held.
func (e *Engine) noteCutOff(d links.Diagnosis, now time.Time) {
	switch {
	case d.CutOff:
		e.wasCutOff = true
	case e.wasCutOff:
		e.wasCutOff, e.rejoined[e.opts.Self] = false, now
	}
}

// hostAlertCovers reports a new alert about a node whose host alert still
// fires: the host alert stands for all of that node's faults until what it
// is about is healthy, so a node coming back (its view present again, its
// links not yet recovered) raises nothing new. e.mu is held.
func (e *Engine) hostAlertCovers(a Alert) bool {
	if a.Name == NameHostUnreachable {
		return false
	}
	for _, t := range e.active {
		if t.Alert.Name == NameHostUnreachable && slices.Contains([]string{a.Node, a.Source, a.Destination}, t.Alert.Node) {
			return true
		}
	}
	return false
}

// rejoining reports an alert about a node whose host alert resolved within
// rejoinGrace. e.mu is held.
func (e *Engine) rejoining(a Alert, now time.Time) bool {
	for _, n := range []string{a.Node, a.Source, a.Destination} {
		if at, ok := e.rejoined[n]; ok {
			if now.Sub(at) < rejoinGrace {
				return true
			}
			delete(e.rejoined, n)
		}
	}
	return false
}

// freshAgent reports an alert about a node whose agent started within ten
// of its mesh intervals (at least 20 s): its arrivals have no window yet
// (they settle for six), and its peers are still finding its new task.
// (This node's own start is the engine's grace period.)
func freshAgent(a Alert, d links.Diagnosis, now time.Time) bool {
	for _, n := range []string{a.Node, a.Source, a.Destination} {
		if v, ok := d.Views[n]; ok && fresh(v, now) {
			return true
		}
	}
	return false
}

// fresh: the view's agent started within ten of its intervals (≥ 20 s).
func fresh(v links.ViewInfo, now time.Time) bool {
	return !v.Started.IsZero() && now.Sub(v.Started) < max(10*v.Interval, 20*time.Second)
}

// aboutMissing: the alert is about a node whose view is missing. Such a
// node may be going down: what its half-known links look like is not yet
// the fault, unless it is the host alert itself.
func aboutMissing(a Alert, d links.Diagnosis) bool {
	for _, n := range []string{a.Node, a.Source, a.Destination} {
		if v, ok := d.Views[n]; ok && v.Missing != "" {
			return true
		}
	}
	return false
}

// recovering reports a fault that is going away: every failing link of the
// evidence passed its last result.
func recovering(a Alert) bool {
	failing := slices.ContainsFunc(a.Evidence, func(s LinkState) bool { return s.Status == LinkFailing })
	return failing && !slices.ContainsFunc(a.Evidence, func(s LinkState) bool { return s.Status == LinkFailing && s.OKRun == 0 })
}

// restoredAbout reports a restored alert about the same node or pair: it
// stands for the fault until the diagnosis sees it again or settles it.
func (e *Engine) restoredAbout(a Alert) bool {
	for _, t := range e.active {
		if t.restored && t.Alert.Peer == a.Peer {
			return true
		}
	}
	return false
}

// settled reports whether a restored alert that the diagnosis no longer
// shows may be resolved: the restore timeout passed, or every cell about
// its nodes is known again.
func (e *Engine) settled(a Alert, now time.Time, d links.Diagnosis) bool {
	if now.Sub(e.started) >= restoreTimeout {
		return true
	}
	if a.Node == "" && a.Destination == "" { // cluster-wide (a path, a port): settled once its path's cells are known
		return !slices.ContainsFunc(d.Cells, func(c links.Cell) bool {
			return c.Path == a.Path && (c.State == links.Unknown || c.State == links.Pending)
		})
	}
	nodes := []string{a.Node, a.Source, a.Destination}
	known := false
	for _, c := range d.Cells {
		if slices.Contains(nodes, c.From) || slices.Contains(nodes, c.To) {
			if c.State == links.Unknown || c.State == links.Pending {
				return false
			}
			known = true
		}
	}
	for _, s := range d.Checks {
		if a.Probe != "" && s.Probe == a.Probe {
			return s.Confirmed
		}
	}
	return known
}

// fire starts a's lifetime: the state is stored, then the firing messages
// are queued, then the state is marked notified, so that a crash at any
// point neither loses the alert nor queues its firing message twice.
func (e *Engine) fire(a Alert, now time.Time, d links.Diagnosis) {
	delete(e.held, a.Fingerprint)
	a.Status, a.StartsAt, a.EndsAt = StatusFiring, now, time.Time{}
	a.Labels = labels(a, e.opts.Cluster)
	a.GeneratorURL = e.generatorURL(a)
	a.Reporter = e.opts.Self
	t := &tracked{Alert: a, LastSent: now}
	for _, n := range e.opts.Notifiers {
		if deduplicates(n) || !a.Shared || designated(a, d, now) {
			t.NotifiedTo = append(t.NotifiedTo, n.Name())
		}
	}
	e.active[a.Fingerprint] = t
	e.save(t)
	e.enqueueFiring(t, now)
	e.log.Info("alert firing", zap.String("alertname", a.Name), zap.String("source", a.Source),
		zap.String("destination", a.Destination), zap.String("path", a.Path), zap.String("cause", a.Cause))
}

// designated reports whether this node sends shared alert a to receivers
// that do not deduplicate: the first node, by name, whose view arrived,
// whose agent is not fresh (it may hold new alerts) and that the alert is
// not about; when every agent is fresh (a cluster started together within
// ten intervals), the first of them. Every node renders the same
// diagnosis, so exactly one sends it. (At K=200, interval 120 s, a node
// cut 12 minutes after the start reached a webhook from each of the three
// evaluators.)
func designated(a Alert, d links.Diagnosis, now time.Time) bool {
	first := ""
	for _, n := range d.Nodes {
		if v := d.Views[n]; v.Missing != "" || n == a.Node || n == a.Source || n == a.Destination {
			continue
		} else if !fresh(v, now) {
			return n == d.Self
		}
		first = cmp.Or(first, n)
	}
	return first == "" || first == d.Self
}

func (e *Engine) enqueueFiring(t *tracked, now time.Time) {
	for _, name := range t.NotifiedTo {
		if !e.q.has(name, t.Alert.Fingerprint, StatusFiring) {
			e.enqueue(name, t.Alert, now)
		}
	}
	t.Notified = true
	e.save(t)
}

// resolve ends t: the resolved message goes to Alertmanager and to every
// notifier that got the firing one.
func (e *Engine) resolve(t *tracked, now time.Time) {
	t.Alert.Status, t.Alert.EndsAt = StatusResolved, now
	for _, n := range e.opts.Notifiers {
		if deduplicates(n) || slices.Contains(t.NotifiedTo, n.Name()) {
			e.enqueue(n.Name(), t.Alert, now)
		}
	}
	delete(e.active, t.Alert.Fingerprint)
	if t.Alert.Name == NameHostUnreachable {
		e.rejoined[t.Alert.Node] = now
	}
	if err := e.opts.State.Delete(t.Alert.Fingerprint); err != nil {
		e.log.Error("deleting resolved alert state", zap.Error(err))
	}
	e.log.Info("alert resolved", zap.String("alertname", t.Alert.Name), zap.String("source", t.Alert.Source),
		zap.String("destination", t.Alert.Destination), zap.String("path", t.Alert.Path),
		zap.Duration("lasted", now.Sub(t.Alert.StartsAt)))
}

// refresh re-queues firing alerts for Alertmanager every ResendInterval
// (unless one is still waiting), so they never time out there.
func (e *Engine) refresh(now time.Time) {
	for _, t := range e.active {
		if now.Sub(t.LastSent) < e.cfg.ResendInterval {
			continue
		}
		for _, n := range e.opts.Notifiers {
			if deduplicates(n) && !e.q.has(n.Name(), t.Alert.Fingerprint, StatusFiring) {
				e.enqueue(n.Name(), t.Alert, now)
			}
		}
		t.LastSent = now
		e.save(t)
	}
}

func (e *Engine) enqueue(notifier string, a Alert, now time.Time) {
	if err := e.q.add(notifier, a, now); err != nil {
		e.log.Error("queueing notification; it is kept in memory only", zap.Error(err))
	}
	select {
	case e.kicks[notifier] <- struct{}{}:
	default:
	}
}

func (e *Engine) save(t *tracked) {
	if err := e.opts.State.Put(t.Alert.Fingerprint, t); err != nil {
		e.log.Error("storing alert state", zap.String("fingerprint", t.Alert.Fingerprint), zap.Error(err))
	}
}

// restore loads the firing alerts of a previous run. Their firing messages
// are queued only where the previous run did not get to it.
func (e *Engine) restore() error {
	var firing []*tracked
	err := e.opts.State.ForEach(func(key string, raw json.RawMessage) error {
		t := &tracked{}
		if err := json.Unmarshal(raw, t); err != nil {
			return fmt.Errorf("decoding alert state %s: %w", key, err)
		}
		if t.Alert.Status == StatusFiring {
			t.restored = true
			firing = append(firing, t)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("loading alert states: %w", err)
	}
	for _, t := range firing {
		e.active[t.Alert.Fingerprint] = t
		if !t.Notified {
			e.enqueueFiring(t, e.clock.Now())
		}
	}
	if len(firing) > 0 {
		e.log.Info("restored firing alerts", zap.Int("alerts", len(firing)))
	}
	return nil
}

func (e *Engine) generatorURL(a Alert) string {
	if e.cfg.ExternalURL == "" {
		return ""
	}
	return strings.TrimRight(e.cfg.ExternalURL, "/") + "/#alerts/" + a.Fingerprint
}

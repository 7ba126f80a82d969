package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// tracked is the lifetime of one firing alert, as kept in the StateBucket.
type tracked struct {
	Alert      Alert     `json:"alert"`       // status, startsAt, labels
	LastSent   time.Time `json:"last_sent"`   // last time it was queued for Alertmanager
	Notified   bool      `json:"notified"`    // the "firing" messages are queued: never queue them again
	NotifiedTo []string  `json:"notified_to"` // the notifiers that get its firing (and so its resolved) message
	restored   bool      // loaded from the store, not yet seen again by Localise
}

// Evaluate localises the current link states and fires, updates and
// resolves alerts; Start calls it every Tick. Tests call it directly.
func (e *Engine) Evaluate(ctx context.Context) {
	cluster := e.clusterStates(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	cluster = e.unsuppressed(cluster)
	found := Localise(Input{Self: e.opts.Self, Local: e.localStates(), Cluster: cluster})
	e.reconcile(now, found, cluster)
	e.refresh(now)
	for key, at := range e.retired {
		if now.Sub(at) > retireMemory {
			delete(e.retired, key)
		}
	}
	counts := map[string]int{}
	for _, t := range e.active {
		counts[t.Alert.Name]++
	}
	for _, name := range alertNames() {
		e.m.firing.WithLabelValues(name).Set(float64(counts[name]))
	}
	e.m.queueLength.Set(float64(e.q.length()))
}

// reconcile diffs the localised alerts against the firing ones by
// fingerprint. e.mu is held.
func (e *Engine) reconcile(now time.Time, found []Alert, cluster []LinkState) {
	byFP := make(map[string]Alert, len(found))
	for _, a := range found {
		byFP[a.Fingerprint] = a
	}
	for fp, t := range e.active {
		if a, ok := byFP[fp]; ok {
			t.Alert.Evidence, t.restored = a.Evidence, false
			t.Alert.Description = describe(t.Alert)
		} else if !t.restored || e.settled(t.Alert, now) {
			e.resolve(t, now)
		}
	}
	for fp := range e.held {
		if _, ok := byFP[fp]; !ok {
			delete(e.held, fp)
		}
	}
	for _, a := range found {
		if _, firing := e.active[a.Fingerprint]; !firing && e.mayFire(a, now, cluster) {
			e.fire(a, now, cluster)
		}
	}
}

// mayFire holds a new alert during the grace period, and while other links
// to the same peer are still deciding (up to Settle): this agent's, and when
// all of those fail, the other agents' (in the cluster view), so that a host
// going down is one host alert rather than a link alert that turns into one.
func (e *Engine) mayFire(a Alert, now time.Time, cluster []LinkState) bool {
	if now.Before(e.started.Add(e.cfg.Grace)) || recovering(a) || staleInbound(a) || e.restoredFor(a.Peer) {
		return false
	}
	first, ok := e.held[a.Fingerprint]
	if !ok {
		first, e.held[a.Fingerprint] = now, now
	}
	if a.Path == PathDirect || now.Sub(first) >= e.cfg.Settle {
		return true
	}
	local := e.meshLinks(a.Peer)
	if slices.ContainsFunc(local, func(l *link) bool { return undecided(l.state) }) {
		return false
	}
	// Every link here says the peer is gone: whether that is one host alert
	// depends on the other agents, so wait until they have decided too, in
	// a view fetched after this alert was found (an older one may still
	// show them healthy).
	if !slices.ContainsFunc(local, func(l *link) bool { return l.state.Status != LinkFailing }) {
		if e.opts.ClusterView != nil && !e.fetchErr && e.fetched.Before(first) {
			return false
		}
		return !slices.ContainsFunc(involving(cluster, a.Peer, e.opts.Self), undecided)
	}
	return true
}

func undecided(s LinkState) bool { return s.Status == LinkPending || s.Status == LinkUnknown }

// recovering reports a fault that is going away: every failing link of the
// evidence passed its last result. Links recover one by one (the small echo
// before the large one, outbound before inbound), and what the half-healed
// set looks like on the way (an "MTU", a "one-way") is not a new fault.
func recovering(a Alert) bool {
	return !slices.ContainsFunc(a.Evidence, func(s LinkState) bool { return isFailing(s) && s.OKRun == 0 })
}

// settled reports whether a restored alert may be resolved: its peer is
// retired or suppressed, every one of its links has an established state,
// or the links never came back.
func (e *Engine) settled(a Alert, now time.Time) bool {
	if now.Sub(e.started) >= restoreTimeout || e.suppressed(a.Peer) {
		return true
	}
	if _, retired := e.retired["peer/"+a.Peer]; retired {
		return true
	}
	links := e.meshLinks(a.Peer)
	if a.Path == PathDirect {
		links = nil
		if l, ok := e.links[linkKey(a.Destination, PathDirect, a.Probe, DirectionOutbound)]; ok {
			links = []*link{l}
		}
	}
	return len(links) > 0 && !slices.ContainsFunc(links, func(l *link) bool { return !l.confirmed() }) &&
		e.evidenceBack(a)
}

// staleInbound reports an alert that rests on a healthy inbound link last
// judged before its newest failing link turned failing. Inbound links are
// judged once per sweep, outbound ones at every probe: when a whole path
// dies, the outbound side may fail first, and a one-way verdict must wait
// for the next sweep to say whether the peer's probes still arrive.
func staleInbound(a Alert) bool {
	var turned time.Time
	for _, s := range a.Evidence {
		if isFailing(s) && s.Since.After(turned) {
			turned = s.Since
		}
	}
	return slices.ContainsFunc(a.Evidence, func(s LinkState) bool {
		return s.Direction == DirectionInbound && isHealthy(s) && s.Last.Before(turned)
	})
}

// restoredFor reports a restored alert about peer whose links have not
// reported again: it stands for the peer's fault until they do, and what the
// half-known links look like meanwhile is no new fault.
func (e *Engine) restoredFor(peer string) bool {
	for _, t := range e.active {
		if t.restored && t.Alert.Peer == peer {
			return true
		}
	}
	return false
}

// evidenceBack reports whether every link of this agent's that a restored
// alert rested on reports again: a one-way alert rests on the inbound link
// too, which after a restart comes back only once the peer finds us again.
func (e *Engine) evidenceBack(a Alert) bool {
	for _, s := range a.Evidence {
		if _, ok := e.links[linkKey(s.Peer, s.Path, s.Probe, s.Direction)]; s.Agent == e.opts.Self && !ok {
			return false
		}
	}
	return true
}

// meshLinks returns the mesh links to or from peer ("*": every peer).
func (e *Engine) meshLinks(peer string) []*link {
	var out []*link
	for _, l := range e.links {
		if l.state.Path != PathDirect && (peer == "*" || l.state.Peer == peer) {
			out = append(out, l)
		}
	}
	return out
}

// fire starts a's lifetime: the state is stored, then the firing messages
// are queued, then the state is marked notified, so that a crash at any
// point neither loses the alert nor queues its firing message twice.
func (e *Engine) fire(a Alert, now time.Time, cluster []LinkState) {
	delete(e.held, a.Fingerprint)
	a.Status, a.StartsAt, a.EndsAt = StatusFiring, now, time.Time{}
	a.Labels = labels(a, e.opts.Cluster)
	a.GeneratorURL = e.generatorURL(a)
	a.Reporter = e.opts.Self
	t := &tracked{Alert: a, LastSent: now}
	for _, n := range e.opts.Notifiers {
		if deduplicates(n) || !a.Shared || designated(a, e.opts.Self, cluster) {
			t.NotifiedTo = append(t.NotifiedTo, n.Name())
		}
	}
	e.active[a.Fingerprint] = t
	e.save(t)
	e.enqueueFiring(t, now)
	e.log.Info("alert firing", zap.String("alertname", a.Name), zap.String("source", a.Source),
		zap.String("destination", a.Destination), zap.String("path", a.Path), zap.String("cause", a.Cause))
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

// designated reports whether self sends shared alert a to receivers that do
// not deduplicate: the alphabetically first agent reporting the host failing
// in the cluster view does. Without a cluster view, every agent does.
func designated(a Alert, self string, cluster []LinkState) bool {
	if cluster == nil {
		return true
	}
	first := ""
	if self != a.Destination {
		first = self
	}
	for _, s := range cluster {
		if s.Peer == a.Destination && s.Agent != a.Destination && s.Status == LinkFailing &&
			(first == "" || s.Agent < first) {
			first = s.Agent
		}
	}
	return first == "" || first == self
}

func (e *Engine) generatorURL(a Alert) string {
	if e.cfg.ExternalURL == "" {
		return ""
	}
	return strings.TrimRight(e.cfg.ExternalURL, "/") + "/#alerts/" + a.Fingerprint
}

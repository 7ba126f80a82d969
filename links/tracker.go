package links

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Hysteresis is the F-of-N / R rule of one link: failing once FailingAfter
// of the last Window results failed; healthy again after RecoverAfter
// consecutive successes.
type Hysteresis struct {
	FailingAfter, Window, RecoverAfter int
}

// Sample is one result on one link, as the agent that holds it saw it.
type Sample struct {
	Agent, Peer, Path, Probe string
	Role                     Role
	Direction                Direction
	Passed                   bool
	Cause, Message, Leg      string
	LossPercent              float64 // -1: the probe does not measure loss
	Sent                     int     // packets LossPercent is measured on; 0: unknown
	Tasks, TasksUp           int     // composite swarm probes: task IPs probed beside the target, and answering
	At                       time.Time
}

// Key of the sample's link.
func (s Sample) Key() Key {
	return Key{Peer: s.Peer, Path: s.Path, Probe: s.Probe, Direction: s.Direction}
}

// TrackerOptions configure a Tracker.
type TrackerOptions struct {
	For          func(path, probe string) Hysteresis // required
	DegradedLoss float64                             // percent; a working link losing this much is degraded; default 10
	// OnChange, when set, is told of every status change (the status the
	// link had, and its state now), under the tracker's lock: it must not
	// block (the agent asks for fresh views).
	OnChange func(was State, now LinkState)
}

// Tracker holds the hysteresis state of every link of one agent: the one
// state machine that history, metrics, the matrix and the alert engine all
// read. It is safe for concurrent use.
type Tracker struct {
	opts TrackerOptions

	mu      sync.Mutex
	links   map[Key]*tracked
	retired map[Key]time.Time // results that started before are stragglers
	gen     uint64            // bumped by every change to links
	snap    []LinkState       // States at snapGen, sorted
	snapGen uint64
}

type tracked struct {
	h       Hysteresis
	window  []bool
	loss    []float64 // loss percents of the window's results that measure it
	sent    []int     // the packets each of loss was measured on
	failing bool
	state   LinkState
}

// NewTracker returns an empty tracker.
func NewTracker(opts TrackerOptions) *Tracker {
	opts.DegradedLoss = cmp.Or(opts.DegradedLoss, 10)
	return &Tracker{opts: opts, links: map[Key]*tracked{}, retired: map[Key]time.Time{}}
}

// Observe feeds one result. The sender's record of one-way beacons is left
// out: a dropped packet leaves no trace at the sender, so it would pass
// while the link is dead. Only the receiver's arrival record judges them.
func (t *Tracker) Observe(s Sample) {
	if s.Role == RoleOneWay && s.Direction == Outbound {
		return
	}
	k := s.Key()
	t.mu.Lock()
	defer t.mu.Unlock()
	if at, ok := t.retired[k]; ok {
		if s.At.Before(at) {
			return
		}
		delete(t.retired, k)
	}
	l, ok := t.links[k]
	if !ok {
		l = &tracked{h: t.opts.For(s.Path, s.Probe), state: LinkState{Agent: s.Agent, Peer: s.Peer, Path: s.Path,
			Probe: s.Probe, Role: s.Role, Direction: s.Direction, Status: Unknown, Phase: PhaseActive}}
		t.links[k] = l
	}
	was := l.state.Status
	t.gen++
	if l.observe(s, t.opts.DegradedLoss) && t.opts.OnChange != nil {
		t.opts.OnChange(was, l.state)
	}
}

// observe adds one result and reports whether the status changed.
func (l *tracked) observe(s Sample, degradedLoss float64) bool {
	l.window = appendBounded(l.window, s.Passed, l.h.Window)
	if s.LossPercent >= 0 && s.Passed { // a failed run's 100 % is the failure, not partial loss
		l.loss = appendBounded(l.loss, s.LossPercent, l.h.Window)
		l.sent = appendBounded(l.sent, s.Sent, l.h.Window)
	}
	if s.Passed {
		l.state.OKRun, l.state.FailedFrom = l.state.OKRun+1, time.Time{}
	} else {
		l.state.OKRun = 0
		if l.state.FailedFrom.IsZero() {
			l.state.FailedFrom = s.At
		}
	}
	switch {
	case l.failing && l.state.OKRun >= l.h.RecoverAfter:
		l.failing = false
		l.window = l.window[len(l.window)-min(l.state.OKRun, len(l.window)):]
		l.loss, l.sent = nil, nil // what it lost while failing, or while it healed, is not loss now
	case !l.failing && count(l.window, false) >= l.h.FailingAfter:
		l.failing = true
	}
	st := &l.state
	st.Cause, st.Message, st.Last, st.Phase, st.Samples = s.Cause, s.Message, s.At, PhaseActive, len(l.window)
	st.Tasks, st.TasksUp = s.Tasks, s.TasksUp
	if !s.Passed {
		st.Leg = s.Leg
	}
	st.LossPercent, st.MeasuresLoss = l.lossPercent(), st.MeasuresLoss || s.LossPercent >= 0
	changed := false
	if next := l.status(s.Passed, degradedLoss); next != st.Status {
		st.Status, st.Since, changed = next, s.At, true
	}
	st.Confirmed = l.failing || st.OKRun >= l.h.RecoverAfter
	return changed
}

func (l *tracked) status(lastOK bool, degradedLoss float64) State {
	switch {
	case l.failing:
		return Failing
	case len(l.loss) >= 2 && l.lossPercent() >= degradedLoss:
		return Degraded
	case !lastOK:
		return Pending
	}
	return Healthy
}

// RecentPackets is how many packets the last two loss-measuring results
// must have counted for their loss alone to judge a link. A loss that just
// began is diluted by the clean results before it over the whole window
// (at 30 % over a window of three it reads 10 % until the window is full
// of it); the last two runs show it at once. Forty packets keep that
// estimate from reading one or two lost packets as loss: 20 beacons a run
// (mesh.MinBeacons) qualify, three echoes a run do not.
const RecentPackets = 40

// lossPercent is the link's loss: the mean over the window, or the last
// two runs' pooled loss when they counted RecentPackets and lost more.
func (l *tracked) lossPercent() float64 {
	m := mean(l.loss)
	n := len(l.loss)
	if n < 2 || l.sent[n-1]+l.sent[n-2] < RecentPackets {
		return m
	}
	a, b := l.sent[n-2], l.sent[n-1]
	recent := (l.loss[n-2]*float64(a) + l.loss[n-1]*float64(b)) / float64(a+b)
	return max(m, recent)
}

// Pause marks the links with peer in direction dir as paused (subset
// rotation: not probed this round; its probes to this agent not due) or
// active again. A paused link keeps its last state. The two directions
// rotate apart: an agent probes a peer in other rounds than the peer probes
// it.
func (t *Tracker) Pause(peer string, dir Direction, paused bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	phase := PhaseActive
	if paused {
		phase = PhasePaused
	}
	for _, l := range t.links {
		if l.state.Peer == peer && l.state.Direction == dir && l.state.Phase != phase {
			l.state.Phase = phase
			t.gen++
		}
	}
}

// Troubled is the set of peers with a link in direction dir whose last
// result failed, or that is failing: pending, failing or degraded.
func (t *Tracker) Troubled(dir Direction) map[string]bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]bool{}
	for _, l := range t.links {
		if st := l.state.Status; l.state.Direction == dir && (st == Pending || st == Failing || st == Degraded) {
			out[l.state.Peer] = true
		}
	}
	return out
}

// Forget removes one link at time at: its state is dropped, and results
// that started before at are ignored as stragglers. When it was the last
// outbound link to its peer, the peer's inbound links go too.
func (t *Tracker) Forget(k Key, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.retire(k, at)
	if k.Direction != Outbound {
		return
	}
	for lk := range t.links {
		if lk.Peer == k.Peer && lk.Direction == Outbound {
			return
		}
	}
	for lk := range t.links {
		if lk.Peer == k.Peer {
			t.retire(lk, at)
		}
	}
}

// ForgetInbound removes the inbound links from peer over path.
func (t *Tracker) ForgetInbound(peer, path string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for lk := range t.links {
		if lk.Peer == peer && lk.Path == path && lk.Direction == Inbound {
			t.retire(lk, at)
		}
	}
}

func (t *Tracker) retire(k Key, at time.Time) {
	delete(t.links, k)
	t.gen++
	t.retired[k] = at
	for rk, rat := range t.retired {
		if at.Sub(rat) > time.Hour { // stragglers arrive within a probe timeout
			delete(t.retired, rk)
		}
	}
}

// States returns every link's state, sorted by key: a copy of a snapshot
// made again only after a change. Every view served and every diagnosis
// asks for it; at 200 peers (some 1600 links) sorting them each time under
// the lock held dozens of view requests waiting on it.
func (t *Tracker) States() []LinkState {
	t.mu.Lock()
	if t.snap == nil || t.snapGen != t.gen {
		t.snap = make([]LinkState, 0, len(t.links))
		for _, l := range t.links {
			t.snap = append(t.snap, l.state)
		}
		SortStates(t.snap)
		t.snapGen = t.gen
	}
	snap := t.snap
	t.mu.Unlock()
	return slices.Clone(snap)
}

// SortStates sorts by agent, peer, path, probe and direction.
func SortStates(s []LinkState) {
	slices.SortFunc(s, compareStates)
}

// compareStates is SortStates' order.
func compareStates(a, b LinkState) int {
	return cmp.Or(cmp.Compare(a.Agent, b.Agent), compareKeys(a.Key(), b.Key()))
}

func appendBounded[T any](s []T, v T, n int) []T {
	s = append(s, v)
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

func count(w []bool, v bool) int {
	n := 0
	for _, x := range w {
		if x == v {
			n++
		}
	}
	return n
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

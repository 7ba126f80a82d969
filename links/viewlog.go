package links

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Delta says what part of its agent's states a View carries. A full view
// carries them all; a delta only those that changed after revision Since
// (and those whose last result is not fresh), the keys Removed since then,
// and the new Phases of states whose phase alone changed: its holder
// applies it to the view it holds at (Epoch, Since) with View.Apply.
type Delta struct {
	Epoch   uint64        `json:"epoch"`
	Rev     uint64        `json:"rev"`             // the revision the view is at
	Since   uint64        `json:"since,omitempty"` // a delta's base revision; 0 in a full view
	Full    bool          `json:"full,omitempty"`
	Removed []Key         `json:"removed,omitempty"`
	Phases  []PhaseChange `json:"phases,omitempty"` // sorted by key
}

// PhaseChange is a state whose phase alone changed. Subset rotation pauses
// and resumes every link to k peers each interval, and a whole state is
// three times the size of its key. A pause carries the state's last result
// time: while active, a state a delta leaves out is held as fresh as the
// delta (View.Apply), and paused that time would stay, after the last
// result (K=200: observers whose last echo to node200 passed before its cut
// read, at the evaluators, as having passed after, and held its host down
// off for minutes).
type PhaseChange struct {
	Key
	Phase CheckPhase `json:"phase"`
	Last  time.Time  `json:"last,omitzero"` // of a pause
}

// Position is where a holder's copy of a peer's view stands: what it asks
// the next delta from.
type Position struct {
	Epoch uint64 `json:"epoch"`
	Rev   uint64 `json:"rev"`
	// Phases: the holder applies Delta.Phases (an agent from before them
	// gets the whole state instead).
	Phases bool `json:"phases,omitempty"`
}

// ViewLog numbers the changes of one agent's link states, so that a peer
// already holding its view is sent only what changed: with N peers every
// agent fetches N views of N links each per interval, O(N³) bytes for the
// cluster if every view were whole, where a healthy mesh changes nothing.
//
// A change is a change of anything but the time of the last result and
// the detail that moves with every success (the run of successes past
// maxOKRun, a healthy link's message). A state's last-result time travels
// only when it is older than the freshness the caller gives: a holder
// takes every other state as fresh as the delta (View.Apply), so a link
// whose results stop still goes stale in every diagnosis.
type ViewLog struct {
	mu      sync.Mutex
	epoch   uint64
	rev     uint64
	floor   uint64         // revisions at or before it lost their tombstones
	last    []logged       // the states last served, sorted, each with the revision of its last change
	spare   []logged       // last's previous buffer, reused
	removed map[Key]uint64 // tombstones: key → revision of its removal
}

type logged struct {
	norm     LinkState
	rev      uint64 // of its last change but of the phase alone
	phaseRev uint64 // of its last change of the phase alone; 0: none since rev
}

// maxOKRun is where a link's run of successes stops counting as a change.
const maxOKRun = 10

// NewViewLog starts a log at epoch (distinct for every run of the agent:
// its start time in nanoseconds does).
func NewViewLog(epoch uint64) *ViewLog {
	return &ViewLog{epoch: epoch, removed: map[Key]uint64{}}
}

// Serve records states (one agent's, sorted by SortStates, as of gen) and
// returns what a holder at from gets: a delta when from is a position of
// this log that it can still answer, else every state. fresh is how old a
// last result may be and still be left out of a delta.
func (l *ViewLog) Serve(states []LinkState, from *Position, gen time.Time, fresh time.Duration) ([]LinkState, Delta) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.record(states)
	d := Delta{Epoch: l.epoch, Rev: l.rev}
	if from == nil || from.Epoch != l.epoch || from.Rev > l.rev || from.Rev < l.floor {
		d.Full = true
		return states, d
	}
	d.Since = from.Rev
	out := make([]LinkState, 0, 8)
	for i, s := range states {
		switch e := l.last[i]; {
		case e.rev > from.Rev || notFresh(s, gen, fresh):
			out = append(out, s)
		case e.phaseRev > from.Rev && from.Phases:
			pc := PhaseChange{Key: s.Key(), Phase: s.Phase}
			if s.Phase == PhasePaused {
				pc.Last = s.Last
			}
			d.Phases = append(d.Phases, pc)
		case e.phaseRev > from.Rev:
			out = append(out, s)
		}
	}
	for k, rev := range l.removed {
		if rev > from.Rev {
			d.Removed = append(d.Removed, k)
		}
	}
	slices.SortFunc(d.Removed, compareKeys)
	return out, d
}

// notFresh reports a timed state whose last result is older than fresh
// at gen: its own last-result time travels, for the staleness rule.
func notFresh(s LinkState, gen time.Time, fresh time.Duration) bool {
	return timed(s) && gen.Sub(s.Last) > fresh
}

// timed reports a state the staleness rule judges by its last result's
// time: an active one that has had a result.
func timed(s LinkState) bool { return s.Phase != PhasePaused && !s.Last.IsZero() }

// record gives every changed, new and removed state a revision, walking
// the sorted states beside the sorted ones last recorded (no hashing: at
// 200 peers a view holds thousands of states, served 200 times an
// interval). Afterwards l.last[i] is states[i]'s.
func (l *ViewLog) record(states []LinkState) {
	next, i := l.spare[:0], 0
	for _, s := range states {
		for i < len(l.last) && compareStates(l.last[i].norm, s) < 0 {
			l.remove(l.last[i].norm.Key())
			i++
		}
		n := normalized(s)
		switch {
		case i < len(l.last) && compareStates(l.last[i].norm, s) == 0:
			e := l.last[i]
			if e.norm != n {
				l.rev++
				if was := e.norm; was.Phase != n.Phase && withPhase(was, n.Phase) == n {
					e.norm, e.phaseRev = n, l.rev
				} else {
					e = logged{norm: n, rev: l.rev}
				}
			}
			next = append(next, e)
			i++
		default:
			l.rev++
			next = append(next, logged{norm: n, rev: l.rev})
			delete(l.removed, s.Key())
		}
	}
	for ; i < len(l.last); i++ {
		l.remove(l.last[i].norm.Key())
	}
	l.spare, l.last = l.last, next
	l.prune()
}

func (l *ViewLog) remove(k Key) {
	l.rev++
	l.removed[k] = l.rev
}

// prune keeps at most as many tombstones as live states (and 64), the
// newest: a holder older than the newest one dropped gets a full view.
func (l *ViewLog) prune() {
	excess := len(l.removed) - max(len(l.last), 64)
	if excess <= 0 {
		return
	}
	revs := make([]uint64, 0, len(l.removed))
	for _, rev := range l.removed {
		revs = append(revs, rev)
	}
	slices.Sort(revs)
	l.floor = max(l.floor, revs[excess-1])
	for k, rev := range l.removed {
		if rev <= l.floor {
			delete(l.removed, k)
		}
	}
}

func withPhase(s LinkState, p CheckPhase) LinkState {
	s.Phase = p
	return s
}

// normalized is s without what changes with every result.
func normalized(s LinkState) LinkState {
	s.Last = time.Time{}
	s.OKRun = min(s.OKRun, maxOKRun)
	if s.Status == Healthy {
		s.Message = ""
	}
	return s
}

// ErrDeltaBase is what Apply returns for a delta that does not start from
// the view it is applied to: the holder asks for a full view again.
var ErrDeltaBase = errors.New("delta does not start from the view held")

// Apply returns the view d (a delta or a full view, as the peer served it)
// makes of held, the view its holder had. A state the delta leaves out is
// held's (in its new phase, if the delta names one), as fresh as the delta
// (it was fresh when the peer served it).
func (d View) Apply(held View) (View, error) {
	if d.Delta == nil || d.Delta.Full {
		return d, nil
	}
	if held.Delta == nil || held.Delta.Epoch != d.Delta.Epoch || held.Delta.Rev != d.Delta.Since {
		return View{}, fmt.Errorf("%w: delta from %d, held %s", ErrDeltaBase, d.Delta.Since, held.Delta.position())
	}
	merged := make([]LinkState, 0, len(held.Links)+len(d.Links))
	changed, removed, phases := d.Links, d.Delta.Removed, d.Delta.Phases
	for _, s := range held.Links {
		for len(changed) > 0 && compareStates(changed[0], s) < 0 {
			merged, changed = append(merged, changed[0]), changed[1:]
		}
		for len(removed) > 0 && compareKeys(removed[0], s.Key()) < 0 {
			removed = removed[1:]
		}
		for len(phases) > 0 && compareKeys(phases[0].Key, s.Key()) < 0 {
			phases = phases[1:]
		}
		if len(phases) > 0 && compareKeys(phases[0].Key, s.Key()) == 0 {
			s.Phase, s.Last = phases[0].Phase, cmp.Or(phases[0].Last, s.Last)
			phases = phases[1:]
		}
		switch {
		case len(changed) > 0 && compareStates(changed[0], s) == 0:
			merged, changed = append(merged, changed[0]), changed[1:]
		case len(removed) > 0 && compareKeys(removed[0], s.Key()) == 0:
			removed = removed[1:]
		default:
			if timed(s) {
				s.Last = d.Generated
			}
			merged = append(merged, s)
		}
	}
	merged = append(merged, changed...)
	d.Links = merged
	d.Delta = &Delta{Epoch: d.Delta.Epoch, Rev: d.Delta.Rev}
	return d, nil
}

// Position is where a holder of v stands, nil for a view served whole by
// an agent that keeps no log.
func (v View) Position() *Position {
	if v.Delta == nil {
		return nil
	}
	return &Position{Epoch: v.Delta.Epoch, Rev: v.Delta.Rev, Phases: true}
}

func (d *Delta) position() string {
	if d == nil {
		return "no position"
	}
	return fmt.Sprintf("epoch %d rev %d", d.Epoch, d.Rev)
}

// compareKeys orders keys as SortStates orders one agent's states.
func compareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.Peer, b.Peer), cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Probe, b.Probe), cmp.Compare(a.Direction, b.Direction))
}

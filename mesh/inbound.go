package mesh

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// PeerPath names one expected inbound stream: probes from Peer over Path.
type PeerPath struct {
	Peer string
	Path string
}

// InboundStatus is the inbound state of one expected (peer, path) at a sweep.
type InboundStatus struct {
	Peer     string
	Path     string
	Kind     string    // kind of the last arrival (InboundTCP, InboundUDP, InboundBeacon); "" if none
	LastSeen time.Time // last arrival; zero if none yet
	Arrived  int       // arrivals since the previous sweep
	Missing  bool      // nothing arrived within the grace period
	// Settling: nothing ever arrived for the pair, expected for at most
	// twice the grace period (a new peer, or a new tracker after a
	// restart). That nothing arrived yet says nothing: the sender may not
	// have found this agent yet (after a restart, its new address).
	Settling bool
	// Beacons arrived since the previous sweep, of BeaconsExpected: the
	// sender numbers its beacons per receiver and path, so the gap in
	// their numbers is what was sent. Exact one-way loss is
	// 1 − Beacons/BeaconsExpected; BeaconsExpected is 0 when unknown.
	Beacons, BeaconsExpected int
}

// InboundTracker is how a destination notices probes that should have
// arrived and did not. Feed it the responder's inbound probes (it is an
// InboundSink) and the (peer, path) pairs to expect; Sweep says, per pair,
// whether anything arrived within the grace period (typically 3× the
// longest expected gap between two probes from one peer).
//
// Arrivals from pairs that are not expected are ignored, so memory is bounded
// by the expected set. A pair added by Expect gets a full grace period before
// it can be missing. InboundTracker is safe for concurrent use.
type InboundTracker struct {
	mu    sync.Mutex
	grace time.Duration
	pairs map[PeerPath]*inboundState
}

type inboundState struct {
	since    time.Time // when the pair became expected
	lastSeen time.Time
	kind     string
	arrived  int
	beacons  int    // beacons since the last sweep
	maxSeq   uint64 // highest beacon number seen
	swept    uint64 // maxSeq at the last sweep
	resync   bool   // a sweep saw no beacon: the next one starts the count again
}

// beacon counts one numbered beacon. The first one ever seen starts the
// count; a number well below the last sweep's (or one of the first few) is
// a restarted sender, whose count starts again from it.
func (st *inboundState) beacon(seq uint64) {
	switch {
	case st.maxSeq == 0 && st.swept == 0, st.resync:
		// The first beacon, or the first after a sweep without any: what
		// was sent while nothing arrived is an outage, not loss.
		st.swept, st.resync = seq-1, false
	case seq < st.swept && (st.swept-seq > 64 || seq <= 8): // not a late one: a new sender
		st.swept, st.maxSeq = seq-1, 0
	}
	if seq > st.swept {
		st.beacons++
	}
	st.maxSeq = max(st.maxSeq, seq)
}

// expected is how many beacons were sent since the last sweep, as their
// numbers say; 0 when none arrived.
func (st *inboundState) expected() int {
	if st.maxSeq <= st.swept {
		return 0
	}
	return int(st.maxSeq - st.swept)
}

// NewInboundTracker returns a tracker with the given grace period and no
// expected pairs.
func NewInboundTracker(grace time.Duration) *InboundTracker {
	return &InboundTracker{grace: grace, pairs: map[PeerPath]*inboundState{}}
}

// SetGrace changes the grace period, e.g. when the number of peers (and so
// the subset rotation) changes.
func (t *InboundTracker) SetGrace(grace time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.grace = grace
}

// Expect replaces the expected set: new pairs start their grace period at
// now, pairs still expected keep their state, pairs no longer expected (a
// retired peer) are forgotten.
func (t *InboundTracker) Expect(pairs []PeerPath, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := make(map[PeerPath]*inboundState, len(pairs))
	for _, pp := range pairs {
		if st, ok := t.pairs[pp]; ok {
			next[pp] = st
		} else {
			next[pp] = &inboundState{since: now}
		}
	}
	t.pairs = next
}

// Retire forgets every pair of peer.
func (t *InboundTracker) Retire(peer string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for pp := range t.pairs {
		if pp.Peer == peer {
			delete(t.pairs, pp)
		}
	}
}

// OnInbound records one arrival; it implements InboundSink.
func (t *InboundTracker) OnInbound(in Inbound) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ok := t.pairs[PeerPath{Peer: in.From, Path: in.Path}]
	if !ok {
		return
	}
	st.arrived++
	if in.Kind == InboundBeacon && in.Seq > 0 {
		st.beacon(in.Seq)
	}
	if in.At.After(st.lastSeen) {
		st.lastSeen, st.kind = in.At, in.Kind
	}
}

// Sweep returns the status of every expected pair at now, sorted by peer and
// path, and restarts the Arrived counts.
func (t *InboundTracker) Sweep(now time.Time) []InboundStatus { return t.SweepDue(now, nil, nil) }

// SweepDue is Sweep of the pairs whose peer is due (every pair when due is
// nil), and of those whose probes arrived though it was not due, unless it
// is due next (in the round under way: what arrived is that round's). The
// others are left as they are, their counts running on to the sweep that
// judges them: in subset mode a peer probes this agent one round in every
// few, and a sweep judges the peers due in the round just ended, on what
// arrived since the sweep that judged them last. Silence is evidence only
// from a peer that was due; arrivals always are: a peer whose links to
// this agent fail probes it in every round until they pass
// (Source.SetFollowUp), and what it sends then shows that the direction
// works again a round later, not a rotation.
func (t *InboundTracker) SweepDue(now time.Time, due, next func(peer string) bool) []InboundStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]InboundStatus, 0, len(t.pairs))
	for pp, st := range t.pairs {
		if due != nil && !due(pp.Peer) && (st.arrived == 0 || next != nil && next(pp.Peer)) {
			continue
		}
		ref := st.since
		if st.lastSeen.After(ref) {
			ref = st.lastSeen
		}
		out = append(out, InboundStatus{
			Peer: pp.Peer, Path: pp.Path, Kind: st.kind, LastSeen: st.lastSeen,
			Arrived: st.arrived, Missing: now.Sub(ref) > t.grace,
			Settling: st.lastSeen.IsZero() && now.Sub(st.since) <= 2*t.grace,
			Beacons:  st.beacons, BeaconsExpected: st.expected(),
		})
		st.resync = st.beacons == 0
		st.arrived, st.beacons = 0, 0
		st.swept = max(st.swept, st.maxSeq)
	}
	slices.SortFunc(out, func(a, b InboundStatus) int {
		return cmp.Or(cmp.Compare(a.Peer, b.Peer), cmp.Compare(a.Path, b.Path))
	})
	return out
}

package links

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// cell judges one direction from → to of path. The destination's arrival
// record is the direction itself (Forward); the source's echoes (RoundTrip)
// cross both directions, so they convict this one only when nothing says
// the reverse is the broken one. Large echoes convict the direction their
// lost leg travelled.
//
// In subset mode a link is probed one round in every few and keeps its
// last state in between (paused): when the two records disagree about
// failing and one, paused, is older than the other's newest result, the
// newer one stands and the older counts as unknown (see outdated).
func (x *index) cell(from, to, path string) (Cell, cellMeta) {
	fwd := x.about(to, from, path, Inbound, RoleArrival)
	rt := x.about(from, to, path, Outbound, RoleTCP, RoleUDP)
	c := Cell{From: from, To: to, Path: path, Forward: combine(fwd), RoundTrip: combine(rt)}
	switch {
	case outdated(fwd, rt):
		c.Forward = Unknown
	case outdated(rt, fwd):
		c.RoundTrip = Unknown
	}
	large, largeEv := x.large(from, to, path)
	if c.Forward == Degraded || c.RoundTrip == Degraded || x.reverseLossy(from, to, path) {
		// A large echo crosses both directions: loss either way fails it
		// too, and that is the loss, not the MTU.
		large, largeEv = Unknown, nil
	}
	c.Large = large
	switch {
	case c.Forward == Failing:
		c.State = Failing
		c.explain(cmp.Or(failingCause(rt), failingCause(fwd), string(probes.CauseTimeout)), append(fwd, rt...))
	case c.Forward == Unknown && c.RoundTrip == Failing && x.reverseBroken(from, to, path):
		c.State = Unknown
		c.Message = fmt.Sprintf("round trip fails, but %s → %s is broken; this direction is unproven", to, from)
	case c.Forward == Pending && c.RoundTrip == Failing && !x.reverseBroken(from, to, path),
		c.Forward == Unknown && c.RoundTrip == Failing:
		// A pending arrival record failed its last judgment too: in subset
		// mode the destination judges a peer one round in every few, and
		// waiting for it to confirm held a one-way drop for two covers.
		c.State = Failing
		c.explain(failingCause(rt), rt)
	case c.Large == Failing:
		c.State = Failing
		c.explain(string(probes.CauseMTU), largeEv)
	case c.Large == Unknown && len(largeEv) > 0:
		c.State = Unknown
		c.Message = "small packets pass, large ones fail; the MTU measurement has not said which way yet"
	case c.Forward == Degraded || (c.RoundTrip == Degraded && !measuresLoss(fwd)):
		c.State = Degraded
		c.Cause, c.LossPercent = "loss", lossOf(fwd, rt)
		c.Since = earliest(append(fwd, rt...), Degraded)
		c.Message = fmt.Sprintf("%.0f%% of packets %s → %s lost on %s", c.LossPercent, from, to, path)
	case c.Forward == Unknown:
		c.State = c.RoundTrip
	default:
		c.State = c.Forward // the direction works; a failing round trip is the reverse's fault
	}
	if c.State == Unknown && c.Message == "" && (!x.hasView(from) || !x.hasView(to)) {
		c.Message = "no evidence: a view is missing"
	}
	return c, metaOf(x.iv, fwd, rt)
}

func (c *Cell) explain(cause string, ev []LinkState) {
	c.Cause = cause
	c.Since = earliest(ev, Failing)
	for _, s := range ev {
		if s.Status == Failing || s.Role == RoleLarge {
			c.Message = s.Probe + " (seen by " + s.Agent + "): " + s.Message
			return
		}
	}
}

// large is the state of from → to for large packets: from's own large echo
// whose request was lost (or that cannot tell), and to's large echo whose
// reply, travelling from → to, was lost.
func (x *index) large(from, to, path string) (State, []LinkState) {
	own := x.about(from, to, path, Outbound, RoleLarge)
	rev := x.about(to, from, path, Outbound, RoleLarge)
	if len(own) > 0 && x.mtuRuledOut(from, to, path) {
		return Healthy, nil // large packets cross both ways: a failing large echo is loss or a slow peer
	}
	var ev, suspect []LinkState
	for _, s := range own {
		if isMTUFailure(s, x.smallWorks(from, to, path)) && x.leg(s) != probes.LegReply && !x.carried(from, to, path, s) {
			ev, suspect = sortOut(ev, suspect, s, s.Leg == probes.LegRequest || x.limited(from, to, path, s))
		}
	}
	for _, s := range rev {
		if isMTUFailure(s, x.smallWorks(to, from, path)) && x.leg(s) == probes.LegReply && !x.carried(from, to, path, s) {
			ev, suspect = sortOut(ev, suspect, s, s.Leg == probes.LegReply || x.limited(from, to, path, s))
		}
	}
	switch {
	case len(ev) > 0:
		return Failing, ev
	case len(suspect) > 0:
		return Unknown, suspect // small passes, large fails, and nothing says which way yet
	case len(own) == 0:
		return Unknown, nil
	case own[0].Status == Failing: // its reply was lost: from → to carried the request whole
		return Healthy, nil
	}
	return own[0].Status, nil
}

// sortOut files a failed large echo as evidence of an MTU black hole when
// it is confirmed (the prober saw which half was lost, or the direction was
// measured short), as a suspicion otherwise: under load a large echo can
// time out while the MTU is fine.
func sortOut(ev, suspect []LinkState, s LinkState, confirmed bool) ([]LinkState, []LinkState) {
	if confirmed {
		return append(ev, s), suspect
	}
	return ev, append(suspect, s)
}

// limited: a measurement of from → to, taken since the failure of s began,
// shows it short of full-size packets.
func (x *index) limited(from, to, path string, s LinkState) bool {
	m, ok := x.mtu(from, to, path)
	return ok && !full(m) && x.fresh(m, s)
}

// carried: a measurement of from → to begun after the failure of s began
// carried payloads up to its ceiling, the largest datagram the interface
// sends: full-size packets cross that way, so the large echo lost its half
// to loss or a slow peer, not to an MTU black hole. At 200 agents on two
// cores the busiest nodes' large echoes lost their replies to starvation
// ("partial reply") while their measurements carried 1472 B. Begun after,
// not within fresh's window: a full measurement from just before a black
// hole opened held the e2e suite's diagnosis until the next one. Only a
// measurement that reached the ceiling itself rules the MTU out: one
// within mtuSlack of it is full for telling the legs apart.
func (x *index) carried(from, to, path string, s LinkState) bool {
	m, ok := x.mtu(from, to, path)
	return ok && m.Ceiling > 0 && m.Largest >= m.Ceiling && !m.Measured.Before(cmp.Or(s.FailedFrom, s.Since))
}

// fresh: m was taken since the failure of s began. Its first failed result
// is at most a window of results (Samples intervals) before its Since; a
// short measurement from before is an earlier episode's, one that healed.
func (x *index) fresh(m MTU, s LinkState) bool {
	iv := x.in.Views[s.Agent].Interval
	return !m.Measured.Before(s.Since.Add(-time.Duration(max(s.Samples, 1)+1) * iv))
}

// leg is the lost half of a failed large echo: as the prober saw it, or,
// when it could not tell, from the measured MTUs: the direction whose
// largest crossing payload is short of what the other carries.
func (x *index) leg(s LinkState) string {
	if s.Leg != "" {
		return s.Leg
	}
	out, okOut := x.mtu(s.Agent, s.Peer, s.Path)
	back, okBack := x.mtu(s.Peer, s.Agent, s.Path)
	if okOut && okBack && back.Largest+mtuSlack < out.Largest && out.Largest+mtuSlack >= out.Ceiling && x.fresh(back, s) {
		return probes.LegReply
	}
	return ""
}

// mtuSlack is how far apart two measured sizes must be to differ: twice
// the bisection's resolution.
const mtuSlack = 16

// mtuRuledOut: both directions were measured to carry full-size packets
// since the large echoes started failing (or at all), so what fails them
// is not the MTU.
func (x *index) mtuRuledOut(a, b, path string) bool {
	ab, ok1 := x.mtu(a, b, path)
	ba, ok2 := x.mtu(b, a, path)
	return ok1 && ok2 && full(ab) && full(ba)
}

func full(m MTU) bool { return m.Largest+mtuSlack >= m.Ceiling }

func (x *index) mtu(from, to, path string) (MTU, bool) {
	m, ok := x.mtuBy[[3]string{from, to, path}]
	return m, ok
}

// isMTUFailure: a large echo failing with cause mtu, or failing while the
// small echo on the same path works.
func isMTUFailure(s LinkState, smallWorks bool) bool {
	return s.Status == Failing && (s.Cause == string(probes.CauseMTU) || smallWorks)
}

func (x *index) smallWorks(from, to, path string) bool {
	tcp := x.about(from, to, path, Outbound, RoleTCP)
	return len(tcp) > 0 && tcp[0].Status == Healthy
}

// reverseBroken: to's beacons do not arrive at from, so a failing round
// trip from → to → from is explained by the reverse direction.
func (x *index) reverseBroken(from, to, path string) bool {
	return combine(x.about(from, to, path, Inbound, RoleArrival)) == Failing
}

// reverseLossy: from's record of to's beacons says the reverse direction
// loses packets.
func (x *index) reverseLossy(from, to, path string) bool {
	return combine(x.about(from, to, path, Inbound, RoleArrival)) == Degraded
}

// combine is the worst state of a set: failing, degraded, unknown, pending,
// healthy; unknown for none.
func combine(states []LinkState) State {
	if len(states) == 0 {
		return Unknown
	}
	best := Healthy
	for _, s := range states {
		if rank(s.Status) > rank(best) {
			best = s.Status
		}
	}
	return best
}

// rank orders states from best to worst (a switch: at 200 nodes the map
// it was cost a tenth of the diagnosis).
func rank(s State) int {
	switch s {
	case Healthy:
		return 0
	case Pending:
		return 1
	case Unknown:
		return 2
	case Degraded:
		return 3
	case Failing:
		return 4
	}
	return 0
}

// measuresLoss: the arrival record counts this direction's loss itself.
func measuresLoss(fwd []LinkState) bool {
	return slices.ContainsFunc(fwd, func(s LinkState) bool { return s.MeasuresLoss })
}

func failingCause(states []LinkState) string {
	for _, s := range states {
		if s.Status == Failing && s.Cause != "" && s.Cause != string(probes.CauseOK) && s.Cause != "missing" {
			return s.Cause
		}
	}
	return ""
}

func lossOf(fwd, rt []LinkState) float64 {
	for _, group := range [][]LinkState{fwd, rt} {
		if i := slices.IndexFunc(group, func(s LinkState) bool { return s.Status == Degraded }); i >= 0 {
			return group[i].LossPercent
		}
	}
	return 0
}

func earliest(states []LinkState, st State) time.Time {
	var t time.Time
	for _, s := range states {
		if s.Status == st && (t.IsZero() || s.Since.Before(t)) {
			t = s.Since
		}
	}
	return t
}

// outdated: a's states, all paused (subset rotation: not probed since),
// disagree with b's about failing (its last result failed, confirmed or
// not), and b has a result newer than a's
// newest. A link is then probed again only when the rotation comes back to
// it, so what it said before a fault began (or before it healed) is not
// evidence against what the other end has seen since. Without subset mode
// nothing is paused and nothing is outdated.
func outdated(a, b []LinkState) bool {
	failed := func(g []LinkState) bool { st := combine(g); return st == Failing || st == Pending }
	if len(a) == 0 || len(b) == 0 || failed(a) == failed(b) {
		return false
	}
	m := metaOf(0, a)
	return m.paused && m.observed.Before(metaOf(0, b).observed)
}

// cellMeta is how current a cell's evidence is: whether all of it is
// paused (not probed since the rotation moved on), its newest result, and
// its newest result that passed (what could speak against a fault).
type cellMeta struct {
	paused   bool
	observed time.Time
	passed   time.Time
}

// An arrival record is judged a sweep after the round whose arrivals it
// counts, so what passed is taken as iv (the mesh interval) before its
// Last: a node cut in the middle of a round is judged as reaching its
// peers at that round's sweep, after the cut.
func metaOf(iv time.Duration, groups ...[]LinkState) cellMeta {
	m, any := cellMeta{paused: true}, false
	for _, g := range groups {
		for _, s := range g {
			any = true
			m.paused = m.paused && s.Phase == PhasePaused
			m.observed = later(m.observed, s.Last)
			switch {
			case s.Status != Healthy && s.Status != Degraded:
			case s.Role == RoleArrival:
				m.passed = later(m.passed, s.Last.Add(-iv))
			default:
				m.passed = later(m.passed, s.Last)
			}
		}
	}
	m.paused = m.paused && any
	return m
}

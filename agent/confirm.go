package agent

import (
	"time"

	"github.com/swarmlink/swarmlink/links"
)

// A link whose last result failed is pending: its next result, an interval
// later (in subset mode the peers whose links fail are probed every round),
// confirms it failing or clears it. An agent that diagnoses every view
// learns of that result at its next gathering, up to an interval after it:
// at K=200, interval 120 s, the cut node's observers' confirming results
// reached node1 up to two minutes late, and the host alert came 264 s after
// the cut against a budget of F × interval + timeout + 2 s = 245 s. So a
// diagnosis holding a pending link asks for a gathering for when the
// earliest such result is in (triggerWait's floor still bounds how often).

// confirmDue is when the earliest pending link's confirming result is in,
// after now: its last result's start, an interval (the view's, else
// interval), the timeout, and a tenth of the interval (at most 2 s) of
// slack; zero when no link is pending.
func confirmDue(in links.Input, interval, timeout time.Duration, now time.Time) time.Time {
	var due time.Time
	for _, v := range in.Views {
		iv := interval
		if v.Interval > 0 {
			iv = v.Interval
		}
		wait := iv + timeout + min(iv/10, 2*time.Second)
		for _, s := range v.Links {
			if s.Status != links.Pending || s.Last.IsZero() {
				continue
			}
			if at := s.Last.Add(wait); at.After(now) && (due.IsZero() || at.Before(due)) {
				due = at
			}
		}
	}
	return due
}

// gatherAt asks for a gathering at t (Trigger), unless one is already
// asked for no later; zero or past t asks nothing.
func (g *gatherer) gatherAt(t time.Time) {
	now := time.Now()
	if t.IsZero() || !t.After(now) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.wake != nil && g.wakeAt.After(now) && !t.Before(g.wakeAt) {
		return
	}
	if g.wake != nil {
		g.wake.Stop()
	}
	g.wakeAt, g.wake = t, time.AfterFunc(t.Sub(now), g.Trigger)
}

package alert

import "time"

// link is one link's hysteresis state machine. The engine's mutex guards it.
type link struct {
	h       Hysteresis
	window  []bool // the last results, oldest first, at most h.Window; true = passed
	failing bool
	state   LinkState
}

func newLink(agent, peer, path, probe, direction string, h Hysteresis) *link {
	return &link{h: h, state: LinkState{Agent: agent, Peer: peer, Path: path, Probe: probe,
		Direction: direction, Status: LinkUnknown}}
}

// observe adds one result. A healthy link becomes failing once FailingAfter
// of its last Window results failed; a failing one becomes healthy after
// RecoverAfter consecutive successes, and then starts a fresh window so the
// failures that made it fail cannot tip it straight back.
func (l *link) observe(ok bool, cause, message string, at time.Time) {
	l.window = append(l.window, ok)
	if len(l.window) > l.h.Window {
		l.window = l.window[len(l.window)-l.h.Window:]
	}
	if ok {
		l.state.OKRun++
	} else {
		l.state.OKRun = 0
	}
	switch {
	case l.failing && l.state.OKRun >= l.h.RecoverAfter:
		l.failing = false
		l.window = l.window[len(l.window)-min(l.state.OKRun, len(l.window)):]
	case !l.failing && failures(l.window) >= l.h.FailingAfter:
		l.failing = true
	}
	l.state.Cause, l.state.Message, l.state.Last = cause, message, at
	if s := l.status(ok); s != l.state.Status {
		l.state.Status, l.state.Since = s, at
	}
}

func (l *link) status(lastOK bool) Status {
	switch {
	case l.failing:
		return LinkFailing
	case !lastOK:
		return LinkPending
	}
	return LinkHealthy
}

// confirmed reports whether the link's state is established: failing, or
// healthy after RecoverAfter consecutive successes. A restored alert is only
// resolved by confirmed links, never by the first lucky result after a
// restart.
func (l *link) confirmed() bool {
	return l.failing || l.state.OKRun >= l.h.RecoverAfter
}

func failures(w []bool) int {
	n := 0
	for _, ok := range w {
		if !ok {
			n++
		}
	}
	return n
}

package agent

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/swarmlink/swarmlink/mesh"
)

// Which views an agent gathers. Every view is fetched from every peer only
// by the agents that need them all: the alert evaluators, and an agent
// whose diagnosis a client asked for lately. The others fetch, each
// interval, only the views of the head — the first nodes by name before
// their own, enough to know whether they are evaluators — and every view
// once in wholeEvery intervals. At 200 agents every agent fetching and
// serving 199 views each interval was most of the cluster's CPU, and a
// machine that could not keep up timed views out, which made every agent
// an evaluator.

// wholeEvery is how many intervals an agent that is not an evaluator goes
// between gatherings of every view, and interestFor how long a client's
// request for the diagnosis keeps it gathering them every interval.
const (
	wholeEvery  = 10
	interestFor = 10 * time.Minute
)

// wantsAll reports whether the next gathering must ask every peer. The
// first asks the head's only, unless a client asked: at start every agent
// of a cluster gathering every view at once was K² fetches in a minute.
// The whole gatherings of the others are spread over wholeEvery intervals
// (newGatherer starts each at a random point of them).
func (g *gatherer) wantsAll() bool {
	if g.a.mesh == nil {
		return true
	}
	if g.evaluator() {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	return now.Sub(g.asked) < interestFor || now.Sub(g.wholeAt) >= wholeEvery*g.a.cfg.Mesh.Interval
}

// scope is the peers a gathering asks: all of them (drained ones aside),
// or the head: the first 2n by name before this agent's own (n
// evaluators), twice as many as the rule needs, so that a few missing
// views do not make it one.
func (g *gatherer) scope(peers []mesh.Peer, whole bool) []mesh.Peer {
	out := slices.DeleteFunc(slices.Clone(peers), func(p mesh.Peer) bool { return p.Name == "" || p.State == mesh.StateDrain })
	if whole {
		return out
	}
	self := g.a.cfg.Agent.Name
	out = slices.DeleteFunc(out, func(p mesh.Peer) bool { return p.Name >= self })
	slices.SortFunc(out, func(a, b mesh.Peer) int { return strings.Compare(a.Name, b.Name) })
	return out[:min(len(out), 2*g.a.cfg.Alerting.Evaluators)]
}

// ensureWhole is called for a client that asks for the diagnosis: it keeps
// this agent gathering every view for interestFor. An agent that gathers
// every view each interval already (an evaluator, or asked lately) answers
// from what it has: waiting for a gathering held the e2e suite's matrix
// requests 40 s while a cut node's fetches timed out. One that does not
// gathers them now and the client waits (at most the view timeout per
// path, as every fetch runs at once). The gathering outlives a client that
// hangs up: a cancelled fetch would read as a view missing.
func (g *gatherer) ensureWhole(ctx context.Context) {
	already := g.wantsAll()
	g.mu.Lock()
	g.asked = time.Now()
	g.mu.Unlock()
	if already {
		return
	}
	g.wholeMu.Lock() // a head gathering under way ends first
	defer g.wholeMu.Unlock()
	g.mu.Lock()
	stale := time.Since(g.wholeAt) > g.a.cfg.Mesh.Interval
	g.mu.Unlock()
	if stale {
		g.gatherLocked(context.WithoutCancel(ctx), true)
	}
}

package agent

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/swarmlink/swarmlink/mesh"
)

// Which views an agent gathers. Every view is fetched from every peer only
// by the agents that need them all: the alert evaluators, an agent whose
// diagnosis a client asked for lately, and one that resolves a shared
// alert it fired. The others fetch, each interval, only the views of the
// head — the first nodes by name before their own, enough to know whether
// they are evaluators — and of the managers (their views say which nodes
// are drained), and hold no others. At 200 agents every agent fetching and
// serving 199 views each interval was most of the cluster's CPU; holding
// them was most of its memory: a view of 199 peers is about a megabyte
// decoded, so 199 of them in each of 200 agents filled the machine's 24 GiB
// once every agent had gathered them all (every ten intervals, as it was).

// interestFor is how long a client's request for the diagnosis keeps an
// agent gathering every view each interval.
const interestFor = 10 * time.Minute

// wantsAll reports whether the next gathering must ask every peer. The
// first asks the head's only, unless a client asked: at start every agent
// of a cluster gathering every view at once was K² fetches in a minute.
func (g *gatherer) wantsAll() bool {
	if g.a.mesh == nil {
		return true
	}
	if g.evaluator() || (g.firesShared != nil && g.firesShared()) {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return time.Since(g.asked) < interestFor
}

// scope is the peers a gathering asks: all of them (drained ones aside),
// or the head — the first 2n by name before this agent's own (n
// evaluators), twice as many as the rule needs, so that a few missing
// views do not make it one — and the managers.
func (g *gatherer) scope(peers []mesh.Peer, whole bool) []mesh.Peer {
	out := slices.DeleteFunc(slices.Clone(peers), func(p mesh.Peer) bool { return p.Name == "" || p.State == mesh.StateDrain })
	if whole {
		return out
	}
	self := g.a.cfg.Agent.Name
	head := slices.DeleteFunc(slices.Clone(out), func(p mesh.Peer) bool { return p.Name >= self })
	slices.SortFunc(head, func(a, b mesh.Peer) int { return strings.Compare(a.Name, b.Name) })
	head = head[:min(len(head), 2*g.a.cfg.Alerting.Evaluators)]
	for _, p := range out {
		if p.Role == "manager" && !slices.ContainsFunc(head, func(h mesh.Peer) bool { return h.Name == p.Name }) {
			head = append(head, p)
		}
	}
	return head
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
	if !already {
		g.gatherWholeOnce(ctx)
	}
}

// gatherWholeOnce gathers every view now unless a gathering of every view
// began within the interval, and keeps no interest: the next head
// gathering drops the views again. An agent that relays an evaluator's
// diagnosis (diagrelay.go) falls back on it when no evaluator answers.
func (g *gatherer) gatherWholeOnce(ctx context.Context) {
	g.wholeMu.Lock() // a head gathering under way ends first
	defer g.wholeMu.Unlock()
	g.mu.Lock()
	stale := time.Since(g.wholeAt) > g.a.cfg.Mesh.Interval
	g.mu.Unlock()
	if stale {
		g.gatherLocked(context.WithoutCancel(ctx), true)
	}
}

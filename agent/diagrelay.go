package agent

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
)

// An agent that is not an alert evaluator holds the views of the head
// only (see gatherscope.go). Asked for the matrix, it used to gather every
// view at once and diagnose them itself: at 200 nodes that was 199 fetches
// and a second and a half to two before the first answer. It now asks an
// evaluator for its diagnosis instead (one authenticated fetch of the
// packed form, about 0.3 MB at 200 nodes) and relays it, with its own
// checks and the evaluator's name in DiagnosedBy: the same cells and
// findings the evaluators alert on. Only when no evaluator answers does it
// gather every view as before.

// relayed is the last diagnosis relayed from an evaluator.
type relayed struct {
	mu  sync.Mutex // one fetch at a time: concurrent clients share it
	at  time.Time
	got links.Packed
}

// relayedDiagnosis is an evaluator's diagnosis relayed, or false when this
// agent diagnoses the cluster itself (it gathers every view) or no
// evaluator gave one: the caller diagnoses then.
func (a *Agent) relayedDiagnosis(ctx context.Context) (links.Packed, bool) {
	if a.views == nil || a.mesh == nil || a.views.wantsAll() {
		return links.Packed{}, false
	}
	r := &a.relay
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() && time.Since(r.at) < a.diagTTL() {
		return r.got, true
	}
	p, err := a.fetchDiagnosis(ctx)
	if err != nil {
		a.log.Debug("no evaluator's diagnosis to relay: diagnosing here", zap.Error(err))
		return links.Packed{}, false
	}
	p.DiagnosedBy, p.Self = p.Self, a.cfg.Agent.Name
	p.Checks = a.ownChecks()
	r.at, r.got = time.Now(), p
	return p, true
}

// fetchDiagnosis asks the likely evaluators in turn, within the gatherer's
// timeout in all.
func (a *Agent) fetchDiagnosis(ctx context.Context) (links.Packed, error) {
	ctx, cancel := context.WithTimeout(ctx, a.views.timeout)
	defer cancel()
	var errs []error
	for _, p := range a.views.likelyEvaluators() {
		for _, try := range a.views.paths(p) {
			raw, err := a.mesh.prober.FetchDiagnosis(ctx, try.addr, p.Name)
			var d links.Packed
			if err == nil {
				err = json.Unmarshal(raw, &d)
			}
			if err == nil && d.CutOff {
				err = errors.New("it is cut off")
			}
			if err == nil {
				return d, nil
			}
			errs = append(errs, fmt.Errorf("%s over %s: %w", p.Name, try.via, err))
			if errors.Is(err, mesh.ErrNoDiagnosis) || ctx.Err() != nil {
				break // not an evaluator now, or out of time: not over the other path
			}
		}
	}
	return links.Packed{}, cmp.Or(errors.Join(errs...), errors.New("no evaluator known"))
}

// likelyEvaluators are the peers whose views this agent holds that come
// first by name (before its own), as many as there are evaluators: the
// nodes the election makes evaluators (alert.Evaluator).
func (g *gatherer) likelyEvaluators() []mesh.Peer {
	self, n := g.a.cfg.Agent.Name, g.a.cfg.Alerting.Evaluators
	g.mu.Lock()
	var held []string
	for name := range g.views {
		if name < self {
			held = append(held, name)
		}
	}
	g.mu.Unlock()
	slices.Sort(held)
	held = held[:min(len(held), n)]
	var out []mesh.Peer
	for _, p := range g.a.mesh.source.Peers() {
		if slices.Contains(held, p.Name) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b mesh.Peer) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ownChecks are this agent's own checks of targets, as its diagnosis
// gives them.
func (a *Agent) ownChecks() []links.LinkState {
	own := a.ownView()
	return links.Diagnose(links.Input{Self: own.Node, Now: time.Now(), Views: map[string]links.View{own.Node: own},
		Nodes: []string{own.Node}}).Checks
}

// diagnosisJSON is this agent's diagnosis, packed, as served to the agents
// that relay it: only while it diagnoses the whole cluster (it gathers
// every view, and has gathered them within two intervals) and is not cut
// off. Encoded once per diagnosis.
func (a *Agent) diagnosisJSON() []byte {
	if a.views == nil || !a.views.wantsAll() || !a.views.wholeRecently() {
		return nil
	}
	d := a.diagnose()
	if d.CutOff || d.DiagnosedBy != "" {
		return nil
	}
	c := &a.diagServed
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.Equal(d.Generated) {
		b, err := json.Marshal(d.Pack())
		if err != nil {
			a.log.Error("encoding the diagnosis", zap.Error(err))
			return nil
		}
		c.at, c.b = d.Generated, b
	}
	return c.b
}

// servedDiag is the last diagnosis served to peers, encoded.
type servedDiag struct {
	mu sync.Mutex
	at time.Time // its Generated
	b  []byte
}

// wholeRecently reports a gathering of every view begun within two
// intervals and a timeout.
func (g *gatherer) wholeRecently() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.wholeAt.IsZero() && time.Since(g.wholeAt) < 2*max(g.a.cfg.Mesh.Interval, time.Second)+g.timeout
}

// unpacked is p whole, its cells in the order of a diagnosis: by path (in
// p's order), then from, then to.
func unpacked(p links.Packed) links.Diagnosis {
	d := p.Unpack()
	slices.SortStableFunc(d.Cells, func(x, y links.Cell) int {
		return cmp.Or(cmp.Compare(slices.Index(d.Paths, x.Path), slices.Index(d.Paths, y.Path)),
			strings.Compare(x.From, y.From), strings.Compare(x.To, y.To))
	})
	return d
}

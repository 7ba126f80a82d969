package e2e

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// Lower-level facts the diagnosis specs check next to the diagnosis: what
// each fault does to the agents' own links and history.

// linkFact is a lower-level fact a fault must make true in an agent's own
// /api/v1/links: at node, the link with peer on path in dir (one probe of
// it if probe is set) is in state (or, with "!failing", anything else),
// with cause if set.
type linkFact struct {
	node, peer       *cluster.Node
	path, dir, probe string
	state, cause     string
}

func (f linkFact) String() string {
	return fmt.Sprintf("%s: %s %s %s %s", f.node.Name, f.peer.Name, f.path, f.dir, f.probe)
}

// check says why the fact does not hold in v.
func (f linkFact) check(v LinksView) error {
	l, ok := v.Find(f.peer.Name, f.path, f.dir)
	if !ok {
		return fmt.Errorf("%s: no such link", f)
	}
	state, cause := l.State, l.Cause
	if f.probe != "" {
		i := slices.IndexFunc(l.Probes, func(p ProbeState) bool { return p.Name == f.probe })
		if i < 0 {
			return fmt.Errorf("%s: no such probe in %+v", f, l.Probes)
		}
		state, cause = "failing", l.Probes[i].Cause
		if l.Probes[i].Passed {
			state = "healthy"
		}
	}
	switch {
	case f.state == "!failing" && state == "failing", f.state != "!failing" && state != f.state:
		return fmt.Errorf("%s is %s, want %s: %+v", f, state, f.state, l)
	case f.cause != "" && cause != f.cause:
		return fmt.Errorf("%s has cause %s, want %s: %+v", f, cause, f.cause, l)
	}
	return nil
}

// factErrors says which facts do not hold now.
func factErrors(ctx context.Context, facts []linkFact) []string {
	var errs []string
	views := map[*cluster.Node]LinksView{}
	for _, f := range facts {
		v, ok := views[f.node]
		if !ok {
			var err error
			if v, err = links(ctx, f.node); err != nil {
				errs = append(errs, err.Error())
				continue
			}
			views[f.node] = v
		}
		if err := f.check(v); err != nil {
			errs = append(errs, err.Error())
		}
	}
	return errs
}

// factsEach is the fact made for each node but n, by mk.
func factsEach(n *cluster.Node, mk func(other *cluster.Node) []linkFact) []linkFact {
	var out []linkFact
	for _, o := range otherNodes(n) {
		out = append(out, mk(o)...)
	}
	return out
}

// expectLossInHistory checks that, since t0, each other node's traffic to
// n shows loss in the history: an overlay UDP echo that lost replies (its
// message: "k/N answered by n", k < N, or "P% loss"), or n's own record of
// that node's numbered beacons ("…, k of N beacons (P% lost)", P > 0). Nine
// echoes can all pass at 30 % loss (4 % of the time); the beacons are ten a
// run.
func expectLossInHistory(ctx context.Context, p *problems, t0 time.Time, n *cluster.Node) {
	answered := regexp.MustCompile(`(\d+)/(\d+) answered`)
	lossy := func(msg string) bool {
		if m := answered.FindStringSubmatch(msg); m != nil {
			return m[1] != m[2]
		}
		return regexp.MustCompile(`[1-9][0-9.]*% loss`).MatchString(msg)
	}
	for _, o := range otherNodes(n) {
		items, err := history(ctx, o, url.Values{"source": {o.Name}, "destination": {n.Name}, "path": {"overlay"},
			"probe": {"overlay-udp"}, "since": {t0.Format(time.RFC3339Nano)}, "limit": {"200"}})
		if err != nil {
			p.add(err)
			continue
		}
		var msgs []string
		for _, it := range items {
			msgs = append(msgs, it.Message)
		}
		if !slices.ContainsFunc(msgs, lossy) && !beaconsLost(ctx, p, t0, o, n) {
			p.addf("loss: no overlay-udp echo %s → %s and no beacon record at %s reported loss since the fault: %v",
				o.Name, n.Name, n.Name, msgs)
			continue
		}
		printf("loss: %s → %s overlay-udp since the fault: %s", o.Name, n.Name, strings.Join(msgs, " | "))
	}
}

// beaconsLost reports whether n's arrival records of o's overlay beacons
// since t0 counted any lost.
func beaconsLost(ctx context.Context, p *problems, t0 time.Time, o, n *cluster.Node) bool {
	items, err := history(ctx, n, url.Values{"source": {o.Name}, "destination": {n.Name}, "path": {"overlay"},
		"probe": {"overlay-arrival"}, "since": {t0.Format(time.RFC3339Nano)}, "limit": {"200"}})
	if err != nil {
		p.add(err)
		return false
	}
	lost := regexp.MustCompile(`beacons \(([1-9][0-9]*)% lost\)`)
	return slices.ContainsFunc(items, func(it HistoryItem) bool { return lost.MatchString(it.Message) })
}

// dumpLargeEvidence prints, for a cell found failing while it works (bad
// as badCells words it: "from→to path is …"), what every node's own view
// holds about that pair on the path: the large echoes both ways (status,
// leg, since) and the MTU measurements both ways. A flake's log then says
// which record convicted the working direction.
func dumpLargeEvidence(ctx context.Context, bad string) {
	cell, _, _ := strings.Cut(bad, " is ")
	pair, path, _ := strings.Cut(cell, " ")
	from, to, _ := strings.Cut(pair, "→")
	between := func(a, b string) bool { return (a == from && b == to) || (a == to && b == from) }
	for _, n := range suite.Nodes {
		var v struct {
			Links []map[string]any `json:"links"`
			MTU   []MTU            `json:"mtu"`
		}
		if err := getJSON(ctx, agentURL(n), "/api/v1/links", &v); err != nil {
			printf("  evidence on %s: %v", n.Name, err)
			continue
		}
		for _, l := range v.Links {
			if l["role"] == "large" && l["path"] == path && between(fmt.Sprint(l["agent"]), fmt.Sprint(l["peer"])) {
				printf("  evidence on %s: large %v→%v %v leg %q since %v failed_from %v cause %v: %v", n.Name,
					l["agent"], l["peer"], l["status"], l["leg"], l["since"], l["failed_from"], l["cause"], l["message"])
			}
		}
		for _, m := range v.MTU {
			if m.Path == path && between(m.From, m.To) {
				printf("  evidence on %s: mtu %s→%s largest %d ceiling %d measured %s", n.Name,
					m.From, m.To, m.Largest, m.Ceiling, m.Measured.UTC().Format("15:04:05.000"))
			}
		}
	}
}

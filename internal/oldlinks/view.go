// Package oldlinks (being replaced by package links) owns the link view of swarmlink: per peer and path, the
// state of both directions of a link as this agent sees them (outbound from
// its own probes, inbound from what its responder received or missed), and
// the cluster matrix assembled from every agent's view.
package oldlinks

import (
	"sort"
	"time"

	"github.com/swarmlink/swarmlink/controller"
)

// Directions of a link as seen from one agent.
const (
	Outbound = "outbound" // this agent probed the peer
	Inbound  = "inbound"  // the peer's probes arrived here (or did not)
)

// States of a link or a matrix cell.
const (
	Healthy = "healthy"
	Failing = "failing"
	Pending = "pending" // no result yet
	Unknown = "unknown" // the agent that knows did not answer
)

// ProbeState is one probe's last result on a link.
type ProbeState struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Cause   string `json:"cause"`
	Message string `json:"message"`
}

// Link is one direction of one path between this agent and a peer.
type Link struct {
	Peer       string       `json:"peer"`
	Path       string       `json:"path"`
	Direction  string       `json:"direction"`
	State      string       `json:"state"`
	Since      time.Time    `json:"since"`
	Cause      string       `json:"cause,omitempty"`
	Message    string       `json:"message,omitempty"`
	LastResult time.Time    `json:"last_result,omitempty"`
	Probes     []ProbeState `json:"probes,omitempty"`
}

// View is everything one agent knows about its links.
type View struct {
	Node      string    `json:"node"`
	Generated time.Time `json:"generated"`
	Links     []Link    `json:"links"`
}

// InboundState is what the destination knows of one (peer, path).
type InboundState struct {
	Peer     string
	Path     string
	Missing  bool
	LastSeen time.Time
	Since    time.Time // when Missing last changed
}

// causeRank orders causes so that the most telling one names a failing link.
var causeRank = map[string]int{"mtu": 0, "timeout": 1, "refused": 2, "unreachable": 3, "reset": 4, "mismatch": 5}

// Outbound folds the mesh checks (Origin "mesh") into one outbound link per
// (peer, path).
func OutboundLinks(checks []controller.CheckStatus) []Link {
	byKey := map[[2]string]*Link{}
	for _, c := range checks {
		if c.Metadata.Origin != "mesh" {
			continue
		}
		k := [2]string{c.Spec.Link.Destination, c.Spec.Link.Path}
		l, ok := byKey[k]
		if !ok {
			l = &Link{Peer: k[0], Path: k[1], Direction: Outbound, State: Pending}
			byKey[k] = l
		}
		fold(l, c)
	}
	return sorted(byKey)
}

func fold(l *Link, c controller.CheckStatus) {
	r := c.Status.LastResult
	if r == nil {
		return
	}
	l.Probes = append(l.Probes, ProbeState{Name: c.Spec.Spec.Name, Passed: r.Passed, Cause: string(r.Cause), Message: r.Message})
	if r.Started.After(l.LastResult) {
		l.LastResult = r.Started
	}
	since := readySince(c)
	switch {
	case !r.Passed && (l.State != Failing || rank(string(r.Cause)) < rank(l.Cause)):
		l.State, l.Cause, l.Message, l.Since = Failing, string(r.Cause), c.Spec.Spec.Name+": "+r.Message, since
	case r.Passed && l.State == Pending:
		l.State, l.Since = Healthy, since
	case r.Passed && l.State == Healthy && since.After(l.Since):
		l.Since = since
	}
}

func rank(cause string) int {
	if r, ok := causeRank[cause]; ok {
		return r
	}
	return len(causeRank)
}

func readySince(c controller.CheckStatus) time.Time {
	for _, cond := range c.Status.Conditions {
		if cond.Type == controller.ConditionReady {
			return cond.LastTransitionTime
		}
	}
	return time.Time{}
}

// InboundLinks turns the destination's inbound knowledge into links.
func InboundLinks(in []InboundState) []Link {
	out := make([]Link, 0, len(in))
	for _, s := range in {
		l := Link{Peer: s.Peer, Path: s.Path, Direction: Inbound, State: Healthy, Since: s.Since, LastResult: s.LastSeen}
		if s.Missing {
			l.State, l.Cause = Failing, "timeout"
			l.Message = "no probes from " + s.Peer + " arrived over " + s.Path
			if !s.LastSeen.IsZero() {
				l.Message += " since " + s.LastSeen.UTC().Format(time.RFC3339)
			}
		}
		out = append(out, l)
	}
	return out
}

func sorted(m map[[2]string]*Link) []Link {
	out := make([]Link, 0, len(m))
	for _, l := range m {
		sort.Slice(l.Probes, func(i, j int) bool { return l.Probes[i].Name < l.Probes[j].Name })
		out = append(out, *l)
	}
	sortLinks(out)
	return out
}

func sortLinks(ls []Link) {
	sort.Slice(ls, func(i, j int) bool {
		a, b := ls[i], ls[j]
		if a.Peer != b.Peer {
			return a.Peer < b.Peer
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Direction < b.Direction
	})
}

// NewView assembles a node's view from its outbound and inbound links.
func NewView(node string, now time.Time, outbound, inbound []Link) View {
	all := append(append([]Link{}, outbound...), inbound...)
	sortLinks(all)
	return View{Node: node, Generated: now, Links: all}
}

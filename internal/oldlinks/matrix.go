package oldlinks

import (
	"fmt"
	"sort"
	"time"
)

// Degraded marks a matrix cell whose direction works (the destination
// received the probes) but whose round trip fails: the replies, that is the
// opposite direction, are lost.
const Degraded = "degraded"

// Cell is one directed link From → To on one path.
type Cell struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Path      string `json:"path"`
	State     string `json:"state"`
	Forward   string `json:"forward"`   // the destination's inbound view: did From's probes arrive?
	RoundTrip string `json:"roundtrip"` // the source's outbound view: did its echoes come back?
	Cause     string `json:"cause,omitempty"`
	Message   string `json:"message,omitempty"`
}

// Matrix is the directed N×N state of every path, with a cluster verdict.
type Matrix struct {
	Generated  time.Time         `json:"generated"`
	Nodes      []string          `json:"nodes"`
	Paths      []string          `json:"paths"`
	Cells      []Cell            `json:"cells"`
	Unanswered map[string]string `json:"unanswered,omitempty"` // node → why its view is missing
	Verdict    string            `json:"verdict"`              // healthy | degraded | failing
	Broken     []string          `json:"broken,omitempty"`     // one line per failing direction
}

// BuildMatrix combines the views of every agent that answered. nodes lists
// every known node (answered or not); unanswered says why some did not.
func BuildMatrix(now time.Time, nodes []string, views map[string]View, unanswered map[string]string) Matrix {
	m := Matrix{Generated: now, Nodes: append([]string(nil), nodes...), Unanswered: unanswered, Verdict: Healthy}
	sort.Strings(m.Nodes)
	idx := index(views)
	m.Paths = paths(views)
	for _, p := range m.Paths {
		for _, from := range m.Nodes {
			for _, to := range m.Nodes {
				if from != to {
					m.Cells = append(m.Cells, cell(idx, from, to, p))
				}
			}
		}
	}
	m.judge()
	return m
}

type linkKey struct{ node, peer, path, dir string }

func index(views map[string]View) map[linkKey]Link {
	idx := map[linkKey]Link{}
	for node, v := range views {
		for _, l := range v.Links {
			idx[linkKey{node, l.Peer, l.Path, l.Direction}] = l
		}
	}
	return idx
}

func paths(views map[string]View) []string {
	set := map[string]bool{}
	for _, v := range views {
		for _, l := range v.Links {
			set[l.Path] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func cell(idx map[linkKey]Link, from, to, path string) Cell {
	c := Cell{From: from, To: to, Path: path, Forward: Unknown, RoundTrip: Unknown}
	in, hasIn := idx[linkKey{to, from, path, Inbound}]
	out, hasOut := idx[linkKey{from, to, path, Outbound}]
	if hasIn {
		c.Forward = in.State
	}
	if hasOut {
		c.RoundTrip = out.State
	}
	switch {
	case c.Forward == Failing:
		c.State, c.Cause, c.Message = Failing, in.Cause, in.Message
		if c.RoundTrip == Failing {
			c.Cause, c.Message = out.Cause, out.Message
		}
	case c.RoundTrip == Failing && c.Forward == Healthy:
		c.State, c.Cause = Degraded, out.Cause
		c.Message = fmt.Sprintf("%s's probes reach %s, but the replies are lost (%s)", from, to, out.Message)
	case c.RoundTrip == Failing:
		c.State, c.Cause, c.Message = Failing, out.Cause, out.Message
	case c.Forward == Healthy || c.RoundTrip == Healthy:
		c.State = Healthy
	case c.Forward == Pending || c.RoundTrip == Pending:
		c.State = Pending
	default:
		c.State = Unknown
	}
	return c
}

// judge sets the verdict and names every failing direction, saying
// "one-way" when the opposite direction works.
func (m *Matrix) judge() {
	state := map[[3]string]string{}
	for _, c := range m.Cells {
		state[[3]string{c.From, c.To, c.Path}] = c.State
	}
	for _, c := range m.Cells {
		switch c.State {
		case Failing:
			m.Verdict = Failing
			line := fmt.Sprintf("%s → %s (%s): %s — %s", c.From, c.To, c.Path, c.Cause, c.Message)
			if rev := state[[3]string{c.To, c.From, c.Path}]; rev == Healthy || rev == Degraded {
				line += " [one-way: " + c.To + " → " + c.From + " works]"
			}
			m.Broken = append(m.Broken, line)
		case Degraded, Unknown:
			if m.Verdict == Healthy {
				m.Verdict = Degraded
			}
		}
	}
	if len(m.Unanswered) > 0 && m.Verdict == Healthy {
		m.Verdict = Degraded
	}
}

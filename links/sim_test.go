package links_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// The fault simulator: it builds every agent's view the way the real agents
// would record a fault, and the input each node's diagnosis gets (the views
// that can reach it), so that a rule is tested as both ends and a third
// node see it, with the views a fault leaves missing.

var (
	simNodes = []string{"node1", "node2", "node3"}
	simPaths = []string{links.PathOverlay, links.PathPublished}
	simNow   = time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
)

type dir struct{ from, to, path string }

type fault struct {
	drop              map[dir]bool    // every packet from → to on path is lost
	large             map[dir]bool    // large packets from → to are lost
	loss              map[dir]float64 // percent of packets from → to lost
	cut               map[string]bool // nothing reaches or leaves the node
	down              map[string]bool // Swarm reports the node down; its agent is gone
	cause             map[dir]string  // a peer-level failure cause of from's probes to
	noLeg             bool            // probers cannot tell which leg of a large echo was lost
	measured          bool            // views carry measured MTUs
	noView            map[string]bool // the node's view does not arrive, links fine
	roundTripLossOnly bool            // arrivals do not count their loss: only UDP echoes measure it
	slowLarge         map[dir]bool    // large echoes from → to time out (loss, a slow peer); the MTU is fine
}

func (f fault) broken(d dir) bool {
	return f.drop[d] || f.cut[d.from] || f.cut[d.to] || f.down[d.from] || f.down[d.to] || f.cause[d] != "" || f.cause[dir{d.to, d.from, d.path}] != ""
}

func state(agent, peer, path, probe string, role links.Role, d links.Direction, st links.State, cause string) links.LinkState {
	return links.LinkState{Agent: agent, Peer: peer, Path: path, Probe: path + "-" + probe, Role: role, Direction: d,
		Status: st, Cause: cause, Message: cause, Since: simNow.Add(-time.Minute), Last: simNow.Add(-time.Second)}
}

// view is node n's view under the fault.
func (f fault) view(n string) links.View {
	v := links.View{Node: n, Generated: simNow, Interval: 2 * time.Second}
	for _, p := range simNodes {
		if p == n {
			continue
		}
		for _, path := range simPaths {
			v.Links = append(v.Links, f.peerStates(n, p, path)...)
			if f.measured {
				v.MTU = append(v.MTU, f.measure(n, p, path))
			}
		}
	}
	if n == "node1" {
		for _, m := range simNodes {
			st := "ready"
			if f.down[m] {
				st = "down"
			}
			v.Swarm = append(v.Swarm, links.NodeInfo{Name: m, State: st, Availability: "active"})
		}
	}
	links.SortStates(v.Links)
	return v
}

func (f fault) peerStates(n, p, path string) []links.LinkState {
	out, back := dir{n, p, path}, dir{p, n, path}
	rtBroken := f.broken(out) || f.broken(back)
	cause := string(probes.CauseTimeout)
	if c := f.cause[out] + f.cause[back]; c != "" {
		cause = c
	}
	tcp := state(n, p, path, "tcp", links.RoleTCP, links.Outbound, links.Healthy, "ok")
	udp := state(n, p, path, "udp", links.RoleUDP, links.Outbound, links.Healthy, "ok")
	large := state(n, p, path, "large", links.RoleLarge, links.Outbound, links.Healthy, "ok")
	arrival := state(n, p, path, "arrival", links.RoleArrival, links.Inbound, links.Healthy, "ok")
	if rtBroken {
		tcp.Status, tcp.Cause, udp.Status, udp.Cause, large.Status, large.Cause = links.Failing, cause, links.Failing, cause, links.Failing, cause
	} else {
		f.largeState(&large, out, back)
	}
	if loss := f.loss[out] + f.loss[back] - f.loss[out]*f.loss[back]/100; loss > 0 && !rtBroken {
		udp.LossPercent = loss
		if loss >= 10 {
			udp.Status = links.Degraded
		}
	}
	if f.broken(back) {
		arrival.Status, arrival.Cause = links.Failing, "missing"
	} else if l := f.loss[back]; !f.roundTripLossOnly { // arrivals that do not count beacons see no loss
		arrival.LossPercent, arrival.MeasuresLoss = l, true
		if l >= 10 {
			arrival.Status = links.Degraded
		}
	}
	return []links.LinkState{tcp, udp, large, arrival}
}

func (f fault) largeState(large *links.LinkState, out, back dir) {
	leg := func(l string) string {
		if f.noLeg {
			return ""
		}
		return l
	}
	switch {
	case f.slowLarge[out] || f.slowLarge[back]:
		large.Status, large.Cause = links.Failing, string(probes.CauseMTU) // the prober's guess: small passed, large timed out
	case f.large[out]:
		large.Status, large.Cause, large.Leg = links.Failing, string(probes.CauseMTU), leg(probes.LegRequest)
	case f.large[back]:
		large.Status, large.Cause, large.Leg = links.Failing, string(probes.CauseMTU), leg(probes.LegReply)
	}
}

func (f fault) measure(n, p, path string) links.MTU {
	m := links.MTU{From: n, To: p, Path: path, Largest: 1414, Ceiling: 1422, OverlayMTU: 1450, Probes: 11, Measured: simNow}
	if f.large[dir{n, p, path}] {
		m.Largest = 922
	}
	return m
}

// reachable: some path carries both directions between a and b.
func (f fault) reachable(a, b string) bool {
	for _, path := range simPaths {
		if !f.broken(dir{a, b, path}) && !f.broken(dir{b, a, path}) {
			return true
		}
	}
	return false
}

// input is what self's diagnosis gets.
func (f fault) input(self string) links.Input {
	in := links.Input{Self: self, Now: simNow, Nodes: simNodes, Views: map[string]links.View{}, Missing: map[string]string{}}
	for _, n := range simNodes {
		switch {
		case n == self:
			in.Views[n] = f.view(n)
		case f.down[n] || f.noView[n] || !f.reachable(self, n):
			in.Missing[n] = "no answer on any path"
		default:
			in.Views[n] = f.view(n)
		}
	}
	// A node's own view has no Swarm list unless it is the manager, and a
	// manager's list reaches only the nodes that got its view.
	return in
}

// want is one expected finding, by its identifying fields.
type want struct{ kind, node, from, to, path string }

func (w want) String() string {
	return fmt.Sprintf("%s node=%s %s→%s %s", w.kind, w.node, w.from, w.to, w.path)
}

func wanted(d links.Diagnosis) []want {
	var out []want
	for _, f := range d.Findings {
		out = append(out, want{f.Kind, f.Node, f.From, f.To, f.Path})
	}
	return out
}

func all(d map[dir]bool, dirs ...dir) map[dir]bool {
	if d == nil {
		d = map[dir]bool{}
	}
	for _, x := range dirs {
		d[x] = true
	}
	return d
}

// into / outOf list the directions into or out of n on path.
func into(n, path string) []dir {
	var out []dir
	for _, o := range simNodes {
		if o != n {
			out = append(out, dir{o, n, path})
		}
	}
	return out
}

func outOf(n, path string) []dir {
	var out []dir
	for _, d := range into(n, path) {
		out = append(out, dir{d.to, d.from, path})
	}
	return out
}

func others(n string) []string {
	return slices.DeleteFunc(slices.Clone(simNodes), func(o string) bool { return o == n })
}

package links

import (
	"cmp"
	"slices"
	"time"
)

// Input is everything the diagnosis looks at: every agent's view that
// arrived, why the others did not, and the node list.
type Input struct {
	Self       string
	Now        time.Time
	Nodes      []string          // every known node, Self included
	Views      map[string]View   // node → its view (Self's own included)
	Missing    map[string]string // node → why its view did not arrive
	StaleAfter time.Duration     // an active state older than this is unknown; default 3 × the largest interval, at least 30 s
}

// Diagnose turns every observation of the cluster into per-direction cells
// and ranked findings. It is pure: the same input gives the same diagnosis,
// so every node that gathered the same views says the same thing.
func Diagnose(in Input) Diagnosis {
	x := newIndex(in)
	n := x.cellCount()
	x.meta = make([]cellMeta, 0, n)
	d := Diagnosis{Generated: in.Now, Self: in.Self, Nodes: x.nodes, Paths: slices.Clone(x.paths), Views: x.viewInfo(),
		Findings: []Finding{}, Cells: make([]Cell, 0, n), Checks: x.checks()}
	for _, p := range x.paths {
		d.Cells = x.everyPair(d.Cells, func(from, to string) (Cell, cellMeta) { return x.cell(from, to, p) })
	}
	for _, p := range []struct {
		on   bool
		path string
		role Role
	}{{x.control, PathControl, RoleControl}, {x.ingress, PathIngress, RoleIngress}} {
		if p.on {
			d.Paths = append(d.Paths, p.path)
			d.Cells = x.everyPair(d.Cells, func(from, to string) (Cell, cellMeta) {
				return x.connectCell(from, to, p.path, p.role), cellMeta{}
			})
		}
	}
	d.Partial = len(x.missing) > 0
	d.Findings = findings(x, d.Cells)
	d.CutOff = slices.ContainsFunc(d.Findings, func(f Finding) bool { return f.Kind == FindingCutOff })
	d.Verdict = verdict(d)
	return d
}

// cellCount is how many cells the diagnosis has: at 200 nodes growing them
// was 40% of its allocations, and a diagnosis is kept until the next, so
// they are made at once and no more.
func (x *index) cellCount() int {
	paths := len(x.paths)
	for _, on := range []bool{x.control, x.ingress} {
		if on {
			paths++
		}
	}
	return len(x.nodes) * (len(x.nodes) - 1) * paths
}

// everyPair appends cell(from, to) for every ordered pair of distinct
// nodes, and its meta to x.meta: the two stay index for index.
func (x *index) everyPair(cells []Cell, cell func(from, to string) (Cell, cellMeta)) []Cell {
	for _, from := range x.nodes {
		for _, to := range x.nodes {
			if from != to {
				c, m := cell(from, to)
				cells, x.meta = append(cells, c), append(x.meta, m)
			}
		}
	}
	return cells
}

// index is the input, keyed for the rules.
type index struct {
	in      Input
	nodes   []string
	paths   []string                 // the mesh's, sorted
	ingress bool                     // some view probes the routing mesh (path ingress)
	control bool                     // some view probes the Swarm control plane (path control)
	states  map[string][]LinkState   // agent → its states in key order (stale ones unknown)
	byLink  map[[3]string]*linkGroup // (agent, peer, path) → its states, sorted: a run of states[agent]
	mtuBy   map[[3]string]MTU        // (from, to, path) → its measurement
	missing map[string]string
	swarm   map[string]NodeInfo
	mtus    []MTU
	vxlan   int           // the data-path port explanations name
	meta    []cellMeta    // per cell, in the diagnosis's order: how current its evidence is
	iv      time.Duration // the largest mesh interval of the views
}

func newIndex(in Input) *index {
	x := &index{in: in, states: map[string][]LinkState{}, missing: map[string]string{}, swarm: swarmInfo(in.Views),
		byLink: map[[3]string]*linkGroup{}, mtuBy: map[[3]string]MTU{}}
	stale := staleAfter(in)
	set := map[string]bool{}
	for _, n := range in.Nodes {
		set[n] = true
	}
	paths := map[string]bool{}
	for node, v := range in.Views {
		set[node] = true
		states := viewStates(v.Links, in.Now, stale)
		for i, s := range states {
			switch s.Path {
			case PathDirect:
			case PathIngress:
				x.ingress, set[s.Peer] = true, true
			case PathControl:
				x.control, set[s.Peer] = true, true
			default:
				paths[s.Path], set[s.Peer] = true, true
			}
			if i == 0 || s.Peer != states[i-1].Peer || s.Path != states[i-1].Path {
				j := i + 1
				for j < len(states) && states[j].Peer == s.Peer && states[j].Path == s.Path {
					j++
				}
				x.byLink[[3]string{node, s.Peer, s.Path}] = &linkGroup{all: states[i:j:j]}
			}
		}
		x.states[node] = states
		x.mtus = append(x.mtus, v.MTU...)
		for _, m := range v.MTU {
			x.mtuBy[[3]string{m.From, m.To, m.Path}] = m
		}
		x.vxlan = max(x.vxlan, v.DataPathPort)
	}
	for n, info := range x.swarm {
		if info.State == "down" {
			set[n] = true // a down node stays in the matrix until Swarm forgets it
		}
	}
	for n := range set {
		info, listed := x.swarm[n]
		_, hasView := in.Views[n]
		switch {
		case listed && info.Planned():
			continue // drained on purpose: not part of the matrix
		case len(x.swarm) > 0 && !listed && !hasView:
			continue // the Swarm's node list no longer has it: removed on purpose
		}
		x.nodes = append(x.nodes, n)
		if _, ok := in.Views[n]; !ok {
			x.missing[n] = cmp.Or(in.Missing[n], "no view")
		}
	}
	slices.Sort(x.nodes)
	for p := range paths {
		x.paths = append(x.paths, p)
	}
	slices.Sort(x.paths)
	x.vxlan = cmp.Or(x.vxlan, DefaultDataPathPort)
	for _, v := range in.Views {
		x.iv = max(x.iv, v.Interval)
	}
	return x
}

// viewStates is a view's states in key order (peer, path, probe,
// direction), the active ones older than stale made unknown: the view's own
// slice when it needs neither (a view served by its agent is in that order,
// and in a healthy cluster nothing is stale), else one copy per view. Its
// runs of one (peer, path) are the index's links; nothing writes to them.
// At 200 nodes a copy of every view was a fifth of the diagnosis.
func viewStates(links []LinkState, now time.Time, stale time.Duration) []LinkState {
	isStale := func(s LinkState) bool { return s.Phase != PhasePaused && !s.Last.IsZero() && now.Sub(s.Last) > stale }
	byKey := func(a, b LinkState) int { return cmp.Or(compareKeys(a.Key(), b.Key()), cmp.Compare(a.Agent, b.Agent)) }
	sorted := slices.IsSortedFunc(links, byKey)
	if sorted && !slices.ContainsFunc(links, isStale) {
		return links[:len(links):len(links)]
	}
	states := slices.Clone(links)
	for i := range states {
		if isStale(states[i]) {
			states[i].Status = Unknown
		}
	}
	if !sorted {
		slices.SortStableFunc(states, byKey)
	}
	return states
}

// DefaultDataPathPort is Swarm's VXLAN port unless the swarm was made with
// another (--data-path-port).
const DefaultDataPathPort = 4789

func staleAfter(in Input) time.Duration {
	if in.StaleAfter > 0 {
		return in.StaleAfter
	}
	var iv time.Duration
	for _, v := range in.Views {
		iv = max(iv, v.Interval)
	}
	return max(3*iv, 30*time.Second)
}

// swarmInfo merges the node lists of the views, the newest view winning.
func swarmInfo(views map[string]View) map[string]NodeInfo {
	out, at := map[string]NodeInfo{}, map[string]time.Time{}
	for _, v := range views {
		for _, n := range v.Swarm {
			if v.Generated.After(at[n.Name]) || at[n.Name].IsZero() {
				out[n.Name], at[n.Name] = n, v.Generated
			}
		}
	}
	return out
}

func (x *index) viewInfo() map[string]ViewInfo {
	out := map[string]ViewInfo{}
	for _, n := range x.nodes {
		if v, ok := x.in.Views[n]; ok {
			out[n] = ViewInfo{Via: v.Via, Generated: v.Generated, Started: v.Started, Interval: v.Interval}
		} else {
			out[n] = ViewInfo{Missing: x.missing[n]}
		}
	}
	return out
}

// checks are Self's user checks of targets.
func (x *index) checks() []LinkState {
	out := []LinkState{}
	for _, s := range x.states[x.in.Self] {
		if s.Path == PathDirect {
			out = append(out, s)
		}
	}
	SortStates(out)
	return out
}

// about returns agent's states about peer on path with one of roles, in
// key order. The slice is shared: callers must not write to it (appending
// copies: its capacity is its length).
func (x *index) about(agent, peer, path string, dir Direction, roles ...Role) []LinkState {
	g := x.byLink[[3]string{agent, peer, path}]
	if g == nil {
		return nil
	}
	return g.about(dir, roles)
}

// linkGroup is one agent's states about one peer on one path, with the
// subsets every cell asks for split out once: a cell asks for them about
// eight times, and at 200 nodes filtering a fresh copy each time was half
// of the diagnosis's CPU and most of its allocations.
type linkGroup struct {
	all                            []LinkState
	split                          bool
	arrival, roundTrip, large, tcp []LinkState // inbound arrival; outbound tcp+udp, large, tcp
}

func (g *linkGroup) about(dir Direction, roles []Role) []LinkState {
	if !g.split {
		g.arrival = filterStates(g.all, Inbound, RoleArrival)
		g.roundTrip = filterStates(g.all, Outbound, RoleTCP, RoleUDP)
		g.large = filterStates(g.all, Outbound, RoleLarge)
		g.tcp = filterStates(g.all, Outbound, RoleTCP)
		g.split = true
	}
	switch {
	case dir == Inbound && slices.Equal(roles, []Role{RoleArrival}):
		return g.arrival
	case dir == Outbound && slices.Equal(roles, []Role{RoleTCP, RoleUDP}):
		return g.roundTrip
	case dir == Outbound && slices.Equal(roles, []Role{RoleLarge}):
		return g.large
	case dir == Outbound && slices.Equal(roles, []Role{RoleTCP}):
		return g.tcp
	}
	return filterStates(g.all, dir, roles...)
}

// filterStates is the states of dir with one of roles, in their order,
// with no spare capacity: a run of states itself when they are one (the
// mesh's probes of a path are one per role, so they mostly are), else a
// copy.
func filterStates(states []LinkState, dir Direction, roles ...Role) []LinkState {
	match := func(s *LinkState) bool { return s.Direction == dir && slices.Contains(roles, s.Role) }
	i, n := 0, len(states)
	for i < n && !match(&states[i]) {
		i++
	}
	if i == n {
		return nil
	}
	j := i + 1
	for j < n && match(&states[j]) {
		j++
	}
	k := j
	for k < n && !match(&states[k]) {
		k++
	}
	if k == n {
		return states[i:j:j]
	}
	var out []LinkState
	for i := range states {
		if match(&states[i]) {
			out = append(out, states[i])
		}
	}
	return slices.Clip(out)
}

func (x *index) hasView(n string) bool { _, ok := x.in.Views[n]; return ok }

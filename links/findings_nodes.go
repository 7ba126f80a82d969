package links

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// cutOff: Self reaches none of at least two peers on any path and no other
// view arrived. What it shows of the others is then its own side only, so
// it says that and nothing else.
func (f *finder) cutOff() bool {
	self := f.x.in.Self
	peers := f.others(self)
	if len(peers) < 2 || len(f.x.paths) == 0 { // no path probed yet: no evidence
		return false
	}
	for _, p := range peers {
		if f.x.hasView(p) {
			return false
		}
		for _, path := range f.x.paths {
			if rt := combine(f.x.about(self, p, path, Outbound, RoleTCP, RoleUDP)); rt != Failing {
				return false
			}
		}
	}
	f.add(Finding{Kind: FindingCutOff, Node: self, Cause: FindingCutOff,
		Summary:  fmt.Sprintf("this node (%s) is cut off: it reaches none of its %d peers on any path and no peer's view arrived; what it shows of the others is its own side only", self, len(peers)),
		Advice:   "check this host's network: its links, firewall and routes; the other nodes see it as down",
		Evidence: f.evidence(f.touching(self)...)}, f.touching(self)...)
	return true
}

// hostsDown: Swarm reports the node down, or its view is missing and every
// view that arrived fails to reach it, and hears nothing from it, on every
// path.
func (f *finder) hostsDown() {
	for _, n := range f.others(f.x.in.Self) {
		why, ok := f.hostDown(n)
		if !ok {
			continue
		}
		f.down[n] = true
		cells := f.touching(n)
		f.add(Finding{Kind: FindingHostDown, Node: n, Cause: FindingHostDown, Summary: why,
			Advice:   fmt.Sprintf("check that %s is up and that its host network works; its engine and agent may be down", n),
			Evidence: f.evidence(cells...)}, cells...)
	}
}

func (f *finder) hostDown(n string) (string, bool) {
	if info, ok := f.x.swarm[n]; ok && info.State == "down" && !info.Planned() {
		return fmt.Sprintf("Swarm reports %s down, and its agent's view did not arrive", n), !f.x.hasView(n)
	}
	if f.x.hasView(n) {
		return "", false
	}
	var seen, rest []observer // observers that fail to reach n now; the others not pending
	observers := 0
	for _, o := range f.others(n) {
		if !f.x.hasView(o) {
			continue
		}
		ob := f.observe(o, n)
		if !ob.any {
			continue // never probed n nor heard from it: in subset mode, the first cover after a start
		}
		observers++
		switch {
		case ob.fails:
			seen = append(seen, ob)
		case ob.pending: // its last echo failed, not yet confirmed: see allCells
		default:
			rest = append(rest, ob)
		}
	}
	if len(seen) == 0 {
		return "", false
	}
	var onset time.Time
	for _, ob := range seen {
		onset = sooner(onset, ob.since)
	}
	// The rest speak against the fault only with a result that passed
	// since it began: one paused since (subset rotation), or whose last
	// success came before (a full-mesh prober between two rounds, an
	// arrival record that failed its last judgment) says nothing of it.
	if slices.ContainsFunc(rest, func(ob observer) bool { return !ob.meta.passed.Before(onset) }) {
		return "", false
	}
	if len(seen) == observers {
		return fmt.Sprintf("%s is down or cut off: %s reach%s it on no path, hear nothing from it, and its view did not arrive",
			n, plural(len(seen), "the other node", "all %d other nodes"), plural(len(seen), "es", "")), true
	}
	if len(seen) < min(quorumCells, observers) {
		return "", false
	}
	return fmt.Sprintf("%s is down or cut off: the %d nodes that probed it since it failed reach it on no path and hear nothing from it, "+
		"the other %d have not probed it since (subset rotation) or failed to reach it once so far, and its view did not arrive", n, len(seen), observers-len(seen)), true
}

// observer is what one node with a view says of n (observe).
type observer struct {
	any     bool      // it holds a state about n at all
	fails   bool      // its echoes to n fail and it hears nothing from n, on every path
	pending bool      // not failing, but an echo to n failed its last result
	since   time.Time // when the first of its echoes failed
	meta    cellMeta  // how current what it says of n is
}

// observe is what o says of n.
func (f *finder) observe(o, n string) observer {
	ob := observer{fails: len(f.x.paths) > 0} // no path probed yet (an agent just started): no evidence
	var all []LinkState
	for _, path := range f.x.paths {
		out := f.x.about(o, n, path, Outbound, RoleTCP, RoleUDP)
		in := f.x.about(o, n, path, Inbound, RoleArrival)
		if outdated(in, out) {
			in = nil // o's echoes fail now; what arrived from n was judged before
		}
		all = append(append(all, out...), in...)
		// An arrival record that failed its last judgment (pending) heard
		// nothing either: in subset mode it is judged one round in a few.
		if st := combine(in); combine(out) != Failing || (len(in) > 0 && st != Failing && st != Pending) {
			ob.fails = false
		}
		ob.pending = ob.pending || combine(out) == Pending
		ob.since = sooner(ob.since, firstFailure(out, f.x.iv))
	}
	ob.meta = metaOf(f.x.iv, all)
	ob.any = len(all) > 0
	ob.pending = ob.pending && !ob.fails
	return ob
}

// predates: m, all paused, passed last before a fault's first failure
// (failed): in subset mode it was not probed since the fault began, and
// says nothing about it.
func (x *index) predates(m cellMeta, failed time.Time) bool {
	return m.paused && !failed.IsZero() && m.passed.Before(failed)
}

// firstFailure is when the earliest of the failing states began to fail:
// its FailedFrom, or, from a view without one, an interval before its
// Since (a link turns failing at its second failure, a round later in
// subset mode). Under load a link may fail once long before a fault; it
// then turns failing at its first failure since, and an interval before
// that read as the fault's start made records that passed before the
// fault look newer than it: the cut node200 at K=200 was never host down.
func firstFailure(states []LinkState, iv time.Duration) time.Time {
	var t time.Time
	for _, s := range states {
		if s.Status == Failing {
			t = sooner(t, cmp.Or(s.FailedFrom, s.Since.Add(-iv)))
		}
	}
	return t
}

// failedBefore is a cell's first failure, an interval before its Since.
func (x *index) failedBefore(since time.Time) time.Time {
	if since.IsZero() {
		return since
	}
	return since.Add(-x.iv)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sooner is the earlier of a and b, a zero time being none.
func sooner(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// nodeWide: every other node's cell into (or out of) n on path fails. On the
// published path with the overlay into n working, that is n's published port.
func (f *finder) nodeWide(path string) {
	for _, n := range f.x.nodes {
		if f.down[n] {
			continue
		}
		if into, ok := f.allCells(n, path, true, isBroken); ok {
			f.nodeInbound(n, path, into)
		}
		if from, ok := f.allCells(n, path, false, isBroken); ok {
			f.add(Finding{Kind: FindingNodeOutbound, Node: n, From: n, Path: path, Cause: f.cells[from[0]].Cause,
				Summary: fmt.Sprintf("nothing %s sends over the %s path arrives anywhere: %s%s", n, path, outboundWhy(n, path, f.x.vxlan),
					f.sinceNote(n, from)),
				Advice:   fmt.Sprintf("check %s's outbound firewall rules and its route to the other hosts", n),
				Evidence: f.evidence(from...)}, from...)
		}
	}
}

func (f *finder) nodeInbound(n, path string, cells []int) {
	fd := Finding{Kind: FindingNodeInbound, Node: n, To: n, Path: path, Cause: f.cells[cells[0]].Cause,
		Evidence: f.evidence(cells...)}
	overlayWorks := f.pathWorksInto(n, PathOverlay)
	switch {
	case path == PathPublished && overlayWorks:
		fd.Kind = FindingPublishedPort
		fd.Summary = fmt.Sprintf("%s's published port is unreachable from every node (%s) while its overlay works", n, fd.Cause)
		fd.Advice = fmt.Sprintf("check that %s publishes the mesh port in host mode and that its firewall lets it in", n)
	case path == PathOverlay:
		fd.Summary = fmt.Sprintf("%s receives no overlay traffic from anyone: VXLAN (UDP %d) into %s is dropped%s",
			n, f.x.vxlan, n, worksNote(f.pathWorksInto(n, PathPublished)))
		fd.Advice = fmt.Sprintf("allow UDP %d into %s from the other Swarm nodes (host firewall, cloud security group)", f.x.vxlan, n)
	case path == PathEncrypted:
		fd.Summary = fmt.Sprintf("%s receives nothing from anyone over the encrypted overlay: ESP (IP protocol 50) "+
			"into %s is dropped, or its kernel cannot decrypt it%s", n, n, overlayNote(overlayWorks))
		fd.Advice = fmt.Sprintf("allow IP protocol 50 (ESP) into %s from the other Swarm nodes", n)
	default:
		fd.Summary = fmt.Sprintf("%s receives nothing from anyone on the %s path (%s)", n, path, fd.Cause)
	}
	fd.Summary += f.sinceNote(n, cells)
	f.add(fd, cells...)
}

// sinceNote says, when a node-wide finding stands on fewer cells than n
// has others (subset mode, see current), how many nodes it rests on.
func (f *finder) sinceNote(n string, cells []int) string {
	others := len(f.others(n))
	if len(cells) >= others {
		return ""
	}
	return fmt.Sprintf(" (seen by the %d nodes that probed it since it began; the other %d have not yet, or failed once so far)",
		len(cells), others-len(cells))
}

func outboundWhy(n, path string, vxlan int) string {
	switch path {
	case PathOverlay:
		return fmt.Sprintf("VXLAN (UDP %d) out of %s is dropped", vxlan, n)
	case PathEncrypted:
		return fmt.Sprintf("ESP (IP protocol 50) out of %s is dropped", n)
	}
	return "its packets are dropped on the way out"
}

func overlayNote(works bool) string {
	if works {
		return "; the plain overlay into it works"
	}
	return ""
}

func worksNote(works bool) string {
	if works {
		return "; the published path works"
	}
	return ""
}

// allCells returns the cells into (or out of) n on path when there are at
// least two other nodes and every one of those cells, unexplained, matches,
// but for the outdated: see current.
func (f *finder) allCells(n, path string, into bool, match func(Cell) bool) ([]int, bool) {
	others := f.others(n)
	if len(others) < 2 {
		return nil, false
	}
	var out, paused []int
	pending := 0
	for _, o := range others {
		from, to := n, o
		if into {
			from, to = o, n
		}
		c, i, ok := f.cell(from, to, path)
		switch {
		case ok && c.Finding == "" && match(c):
			out = append(out, i)
		case ok && c.Finding == "" && f.x.meta[i].paused:
			paused = append(paused, i)
		case ok && c.Finding == "" && c.State == Pending:
			// Its last result failed, not yet confirmed: in subset mode the
			// probers meet a node's fault a few each round, and one of them
			// is always at its first failure until the cover is complete.
			// It neither stands for the fault nor speaks against it.
			pending++
		default:
			return nil, false
		}
	}
	return out, f.current(out, paused, pending, len(others))
}

// current says whether the cells that match a node-wide rule (every cell
// into or out of one node) stand for all: in subset mode a cell not probed
// since its node's fault began keeps what it said before (paused), and
// taking that for evidence held a cut node's finding for two rotations,
// then broke it into one link at a time as the rotation came round. A
// paused cell whose newest result that passed is older than the
// fault (an interval before the first matching cell failed) says nothing
// about it, nor does a pending one (see allCells); at least quorumCells
// cells (all, with fewer others) must then match.
func (f *finder) current(matching, paused []int, pending, others int) bool {
	if len(paused) == 0 && pending == 0 {
		return len(matching) > 0
	}
	if len(matching) < min(quorumCells, others) {
		return false
	}
	var onset time.Time
	for _, i := range matching {
		onset = sooner(onset, f.cells[i].Since)
	}
	return !slices.ContainsFunc(paused, func(i int) bool { return !f.x.predates(f.x.meta[i], f.x.failedBefore(onset)) })
}

// quorumCells is how many current cells a node-wide finding needs when
// others are outdated (subset mode): three nodes' probes agreeing.
const quorumCells = 3

func (f *finder) pathWorksInto(n, path string) bool {
	if !slices.Contains(f.x.paths, path) {
		return false
	}
	for _, o := range f.others(n) {
		if c, _, ok := f.cell(o, n, path); !ok || c.State != Healthy {
			return false
		}
	}
	return true
}

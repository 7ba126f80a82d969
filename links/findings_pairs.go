package links

import (
	"fmt"
	"slices"

	"github.com/swarmlink/swarmlink/probes"
)

// mtuNodes: large packets into (or out of) one node fail from every other
// node: the black hole is at that node's side.
func (f *finder) mtuNodes(path string) {
	for _, n := range f.x.nodes {
		for _, into := range []bool{true, false} {
			cells, ok := f.allCells(n, path, into, isMTU)
			if !ok {
				continue
			}
			fd := Finding{Kind: FindingMTUNode, Node: n, Path: path, Cause: string(probes.CauseMTU), Evidence: f.evidence(cells...)}
			dir := "into"
			if fd.To = n; !into {
				dir, fd.To, fd.From = "out of", "", n
			}
			fd.Largest, fd.Advice = f.mtuAdvice(cells)
			fd.Summary = fmt.Sprintf("MTU black hole %s %s on the %s path: small packets pass, large ones are lost%s",
				dir, n, path, largestNote(fd.Largest))
			f.add(fd, cells...)
		}
	}
}

// pairs explains what is left per direction: MTU, one way, or both ways.
func (f *finder) pairs(path string) {
	for _, i := range f.open(path, isMTU) {
		c := f.cells[i]
		fd := Finding{Kind: FindingMTU, From: c.From, To: c.To, Path: path, Cause: c.Cause, Evidence: f.evidence(i)}
		fd.Largest, fd.Advice = f.mtuAdvice([]int{i})
		fd.Summary = fmt.Sprintf("MTU black hole %s → %s on the %s path: small packets pass, large ones are lost%s",
			c.From, c.To, path, largestNote(fd.Largest))
		f.add(fd, i)
	}
	for _, i := range f.open(path, isBroken) {
		c := f.cells[i]
		if c.Finding != "" {
			continue // the reverse of a link-down already added
		}
		rev, j, ok := f.cell(c.To, c.From, path)
		switch {
		case ok && isBroken(rev) && rev.Finding == "":
			a, b := min(c.From, c.To), max(c.From, c.To)
			f.add(Finding{Kind: FindingLinkDown, From: a, To: b, Path: path, Cause: c.Cause,
				Summary:  fmt.Sprintf("%s ↔ %s is down on the %s path in both directions (%s)", a, b, path, c.Cause),
				Evidence: f.evidence(i, j)}, i, j)
		case ok && (rev.State == Healthy || rev.State == Pending || rev.State == Degraded) && !f.x.predates(f.x.meta[j], f.x.failedBefore(c.Since)):
			// The reverse is not claimed: if it is lossy, its loss is a
			// finding of its own. A reverse not probed since this direction
			// failed (subset mode) is not known to work: link-down below.
			f.add(Finding{Kind: FindingOneWay, From: c.From, To: c.To, Path: path, Cause: c.Cause,
				Summary: fmt.Sprintf("%s → %s is broken on the %s path in that direction only (%s); %s → %s %s",
					c.From, c.To, path, c.Cause, c.To, c.From, reverseWorks(rev)),
				Advice:   fmt.Sprintf("look for a rule dropping packets from %s at %s (or on the way out of %s)", c.From, c.To, c.From),
				Evidence: f.evidence(i, j)}, i)
		default:
			f.add(Finding{Kind: FindingLinkDown, From: c.From, To: c.To, Path: path, Cause: c.Cause,
				Summary:  fmt.Sprintf("%s → %s is down on the %s path (%s); the reverse is not known", c.From, c.To, path, c.Cause),
				Evidence: f.evidence(i)}, i)
		}
	}
}

// loss: degraded directions, folded into one finding per node when every
// direction into it loses packets.
func (f *finder) loss(path string) {
	isLoss := func(c Cell) bool { return c.State == Degraded }
	for _, n := range f.x.nodes {
		in, okIn := f.allCells(n, path, true, isLoss)
		out, okOut := f.allCells(n, path, false, isLoss)
		fd := Finding{Kind: FindingLoss, Node: n, Path: path, Cause: "loss"}
		var cells []int
		switch {
		case okIn && okOut:
			cells = append(in, out...)
			fd.Summary = "%.0f%% of packets to and from %s on the %s path are lost, with every node (direction not measured)"
		case okIn:
			cells, fd.To = in, n
			fd.Summary = "%.0f%% of packets into %s on the %s path are lost, from every node"
		case okOut:
			cells, fd.From = out, n
			fd.Summary = "%.0f%% of packets out of %s on the %s path are lost, to every node"
		default:
			continue
		}
		fd.LossPercent = meanLoss(f.cells, cells)
		fd.Summary = fmt.Sprintf(fd.Summary, fd.LossPercent, n, path)
		fd.Advice = fmt.Sprintf("look for congestion, a flapping link or a rate limit on %s's side", n)
		fd.Evidence = f.evidence(cells...)
		f.add(fd, cells...)
	}
	for _, i := range f.open(path, isLoss) {
		c := f.cells[i]
		f.add(Finding{Kind: FindingLoss, From: c.From, To: c.To, Path: path, Cause: "loss", LossPercent: c.LossPercent,
			Summary:  fmt.Sprintf("%.0f%% of packets %s → %s on the %s path are lost", c.LossPercent, c.From, c.To, path),
			Evidence: f.evidence(i)}, i)
	}
}

func reverseWorks(rev Cell) string {
	if rev.State == Degraded {
		return fmt.Sprintf("works, losing %.0f%%", rev.LossPercent)
	}
	return "works"
}

func meanLoss(cells []Cell, idx []int) float64 {
	var sum float64
	for _, i := range idx {
		sum += cells[i].LossPercent
	}
	return sum / float64(len(idx))
}

// peerErrors: a refused key, a clock outside the replay window or a busy
// responder explain the cells they fail, whoever saw them.
func (f *finder) peerErrors() {
	kinds := map[string]string{string(probes.CauseAuth): FindingPeerKey,
		string(probes.CauseClockSkew): FindingClockSkew, string(probes.CauseBusy): FindingBusy}
	var refused []LinkState
	for _, states := range f.x.states {
		for _, s := range states {
			if _, ok := kinds[s.Cause]; ok && s.Status == Failing && s.Path != PathDirect && !f.down[s.Peer] {
				refused = append(refused, s)
			}
		}
	}
	SortStates(refused)
	for _, s := range refused {
		kind := kinds[s.Cause]
		fd := Finding{Kind: kind, From: s.Agent, To: s.Peer, Path: s.Path, Cause: s.Cause, Evidence: []LinkState{s}}
		if slices.ContainsFunc(f.out, func(o Finding) bool { return o.Kind == kind && o.From == fd.From && o.To == fd.To && o.Path == fd.Path }) {
			continue
		}
		fd.Summary = peerErrorSummary(kind, s)
		_, i, _ := f.cell(s.Agent, s.Peer, s.Path)
		_, j, _ := f.cell(s.Peer, s.Agent, s.Path)
		f.add(fd, validIdx(i, j)...)
	}
}

func peerErrorSummary(kind string, s LinkState) string {
	switch kind {
	case FindingPeerKey:
		return fmt.Sprintf("%s and %s do not share the mesh key (%s): %s", s.Agent, s.Peer, s.Path, s.Message)
	case FindingClockSkew:
		return fmt.Sprintf("%s's clock and %s's differ by more than the replay window: %s", s.Peer, s.Agent, s.Message)
	}
	return fmt.Sprintf("%s's responder had no free connection slot for %s (%s): %s", s.Peer, s.Agent, s.Path, s.Message)
}

func validIdx(ids ...int) []int {
	return slices.DeleteFunc(ids, func(i int) bool { return i < 0 })
}

// viewsMissing: a node whose view did not arrive, not otherwise explained.
func (f *finder) viewsMissing() {
	for _, n := range f.x.nodes {
		why, missing := f.x.missing[n]
		if !missing || f.down[n] {
			continue
		}
		f.add(Finding{Kind: FindingViewMissing, Node: n, Cause: "view-missing",
			Summary: fmt.Sprintf("%s's view did not arrive (%s): what it sees is left out, the diagnosis is partial", n, why)})
	}
}

// checksFailed: Self's failing checks of targets.
func (f *finder) checksFailed() {
	for _, s := range f.x.checks() {
		if s.Status != Failing {
			continue
		}
		f.add(Finding{Kind: FindingCheckFailed, From: s.Agent, To: s.Peer, Path: PathDirect, Probe: s.Probe,
			Cause: s.Cause, Since: s.Since, Evidence: []LinkState{s},
			Summary: fmt.Sprintf("check %s from %s to %s fails (%s): %s", s.Probe, s.Agent, s.Peer, s.Cause, s.Message)})
	}
}

// mtuAdvice gives the largest payload measured to cross the cells'
// directions (the largest of them: a measurement errs only low, when a
// probe's answer comes late), and what to set.
func (f *finder) mtuAdvice(cells []int) (int, string) {
	largest, overlay := 0, 0
	for _, i := range cells {
		c := f.cells[i]
		for _, m := range f.x.mtus {
			if m.From == c.From && m.To == c.To && m.Path == c.Path && m.Largest > largest {
				largest, overlay = m.Largest, m.OverlayMTU
			}
		}
	}
	if largest == 0 {
		return 0, "lower the overlay MTU (com.docker.network.driver.mtu) below the underlay's MTU minus 50 B of VXLAN overhead, or fix the underlay MTU"
	}
	packet := largest + 28 // the inner IPv4 and UDP headers
	advice := fmt.Sprintf("largest IP packet that crosses: %d B", packet)
	if overlay > packet {
		advice += fmt.Sprintf("; the overlay MTU %d exceeds it", overlay)
	}
	return largest, advice + fmt.Sprintf("; set com.docker.network.driver.mtu ≤ %d on the overlay network, or fix the underlay MTU", packet)
}

func largestNote(largest int) string {
	if largest == 0 {
		return ""
	}
	return fmt.Sprintf(" (largest payload measured to cross: %d B)", largest)
}

// verdict: failing on any failing cell or finding that is not loss or a
// missing view; degraded on loss; unknown when the evidence is partial.
func verdict(d Diagnosis) State {
	v := Healthy
	worse := func(s State) {
		if rank(s) > rank(v) {
			v = s
		}
	}
	for _, c := range d.Cells {
		switch c.State {
		case Failing, Degraded, Unknown:
			worse(c.State)
		}
	}
	for _, fd := range d.Findings {
		switch fd.Kind {
		case FindingLoss:
			worse(Degraded)
		case FindingViewMissing:
			worse(Unknown)
		default:
			worse(Failing)
		}
	}
	return v
}

package links

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/swarmlink/swarmlink/probes"
)

// finder applies the rules, most sweeping first; a cell explained by one
// finding is not explained again by a narrower one.
type finder struct {
	x     *index
	cells []Cell
	at    map[[3]string]int // from, to, path → index in cells
	out   []Finding
	down  map[string]bool // nodes found down (their cells are explained)
}

func findings(x *index, cells []Cell) []Finding {
	f := &finder{x: x, cells: cells, at: map[[3]string]int{}, down: map[string]bool{}, out: []Finding{}}
	for i, c := range cells {
		f.at[[3]string{c.From, c.To, c.Path}] = i
	}
	if f.cutOff() {
		return f.out
	}
	f.hostsDown()
	f.peerErrors()
	f.gossip()
	f.encrypted()
	f.checksum()
	f.peerTables()
	for _, p := range x.paths {
		f.nodeWide(p)
		f.mtuNodes(p)
		f.pairs(p)
		f.loss(p)
	}
	f.controlPairs()
	f.ingress()
	f.viewsMissing()
	f.subnetOverlap()
	f.checksFailed()
	slices.SortStableFunc(f.out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(severityRank[a.Severity], severityRank[b.Severity]),
			cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)), cmp.Compare(a.ID, b.ID))
	})
	return f.out
}

var severityRank = map[string]int{SeverityCritical: 0, SeverityWarning: 1, SeverityInfo: 2}

var kindOrder = []string{FindingCutOff, FindingHostDown, FindingGossip, FindingManagerPort, FindingEncrypted,
	FindingChecksum, FindingOverlayPeers, FindingNodeInbound, FindingNodeOutbound, FindingMTUNode,
	FindingPublishedPort, FindingMTU, FindingOneWay, FindingLinkDown, FindingIngressMesh, FindingIngressService,
	FindingIngressNode, FindingIngressPair, FindingPeerKey, FindingClockSkew, FindingBusy,
	FindingLoss, FindingControl, FindingSubnetOverlap, FindingCheckFailed, FindingViewMissing}

func kindRank(k string) int { return slices.Index(kindOrder, k) }

// add records a finding and marks the cells it explains.
func (f *finder) add(fd Finding, cells ...int) {
	fd.ID = strings.Join([]string{fd.Kind, fd.Node, fd.From, fd.To, fd.Path, fd.Probe}, "/")
	fd.Severity = severityOf(fd.Kind)
	fd.Hosts = f.hosts(fd.Node, fd.From, fd.To)
	for _, i := range cells {
		if f.cells[i].Finding == "" {
			f.cells[i].Finding = fd.ID
		}
		if s := f.cells[i].Since; !s.IsZero() && (fd.Since.IsZero() || s.Before(fd.Since)) {
			fd.Since = s
		}
	}
	f.out = append(f.out, fd)
}

// hosts is the host evidence of the named nodes that have it.
func (f *finder) hosts(nodes ...string) map[string]HostEvidence {
	var out map[string]HostEvidence
	for _, n := range nodes {
		if v, ok := f.x.in.Views[n]; ok && n != "" && v.Host != nil {
			if out == nil {
				out = map[string]HostEvidence{}
			}
			out[n] = v.Host.Bounded()
		}
	}
	return out
}

func severityOf(kind string) string {
	switch kind {
	case FindingCutOff, FindingHostDown, FindingNodeInbound, FindingNodeOutbound, FindingEncrypted, FindingChecksum, FindingGossip,
		FindingManagerPort, FindingIngressMesh,
		FindingIngressService, FindingIngressNode:
		return SeverityCritical
	case FindingViewMissing:
		return SeverityInfo
	}
	return SeverityWarning
}

// open lists the unexplained cells of path matching keep.
func (f *finder) open(path string, keep func(Cell) bool) []int {
	var out []int
	for i, c := range f.cells {
		if c.Path == path && c.Finding == "" && keep(c) {
			out = append(out, i)
		}
	}
	return out
}

func (f *finder) cell(from, to, path string) (Cell, int, bool) {
	i, ok := f.at[[3]string{from, to, path}]
	if !ok {
		return Cell{}, -1, false
	}
	return f.cells[i], i, true
}

// others are the nodes other than n.
func (f *finder) others(n string) []string {
	return slices.DeleteFunc(slices.Clone(f.x.nodes), func(o string) bool { return o == n })
}

// touching lists every cell to or from n.
func (f *finder) touching(n string) []int {
	var out []int
	for i, c := range f.cells {
		if c.From == n || c.To == n {
			out = append(out, i)
		}
	}
	return out
}

func isBroken(c Cell) bool { return c.State == Failing && c.Cause != string(probes.CauseMTU) }
func isMTU(c Cell) bool    { return c.State == Failing && c.Cause == string(probes.CauseMTU) }

// evidence is what the cells' verdicts rest on, from every view.
func (f *finder) evidence(cells ...int) []LinkState {
	var out []LinkState
	for _, i := range cells {
		c := f.cells[i]
		out = append(out, f.x.about(c.To, c.From, c.Path, Inbound, RoleArrival)...)
		out = append(out, f.x.about(c.From, c.To, c.Path, Outbound, RoleTCP, RoleUDP, RoleLarge)...)
		if c.Cause == string(probes.CauseMTU) { // the destination's large echoes whose replies, from → to, were lost
			for _, s := range f.x.about(c.To, c.From, c.Path, Outbound, RoleLarge) {
				if s.Status == Failing && f.x.leg(s) == probes.LegReply {
					out = append(out, s)
				}
			}
		}
	}
	return slices.DeleteFunc(out, func(s LinkState) bool { return s.Status == Healthy && s.Role == RoleLarge })
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}

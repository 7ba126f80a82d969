package links

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// The Swarm control plane (path control): every agent connects to every
// other node's gossip port and to the managers' cluster port. Gossip
// (memberlist, TCP and UDP 7946) carries the overlay's peer tables: a node
// whose gossip is blocked drops out of them and overlay traffic to and from
// it fails, while the Swarm, over 2377, still lists it ready. Its overlay
// failure is then the gossip's, not VXLAN's.

// Probe names of the control checks (mesh.PathControl + "-" + probe).
const (
	probeGossip  = PathControl + "-gossip"
	probeManager = PathControl + "-manager"
)

// gossip: every other node's connects to n's control ports fail.
func (f *finder) gossip() {
	for _, n := range f.x.nodes {
		if f.down[n] {
			continue
		}
		into, ok := f.allCells(n, PathControl, true, isBroken)
		if !ok {
			continue
		}
		failing := f.controlFailing(n)
		if !slices.Contains(failing, probeGossip) {
			f.managerPort(n, into)
			continue
		}
		cells := append(into, f.brokenTouching(n, PathControl, PathOverlay, PathEncrypted)...)
		out, outOK := f.allCells(n, PathControl, false, isBroken)
		summary := fmt.Sprintf("%s's Swarm gossip port (TCP %d) is unreachable from every node (%s)", n, gossipPort,
			f.cells[into[0]].Cause)
		if outOK {
			summary = fmt.Sprintf("%s's Swarm gossip (TCP %d) fails to and from every node (%s)", n, gossipPort,
				f.cells[into[0]].Cause)
			cells = append(cells, out...)
		}
		summary += ": " + f.peerTableNote(n) + "overlay traffic to and from " + n + " fails while the Swarm may still list it ready"
		f.add(Finding{Kind: FindingGossip, Node: n, Path: PathControl, Cause: f.cells[into[0]].Cause, Summary: summary,
			Advice: fmt.Sprintf("allow TCP and UDP %d between %s and the other Swarm nodes (host firewall, security groups); "+
				"docker network inspect --verbose <overlay> on each node lists the peers it knows", gossipPort, n),
			Evidence: f.controlEvidence(into...)}, cells...)
	}
}

// Swarm's control-plane ports (mesh.GossipPort, mesh.ManagerPort).
const (
	gossipPort  = 7946
	managerPort = 2377
)

func (f *finder) managerPort(n string, into []int) {
	f.add(Finding{Kind: FindingManagerPort, Node: n, Path: PathControl, Cause: f.cells[into[0]].Cause,
		Summary: fmt.Sprintf("manager %s's cluster port (TCP %d) is unreachable from every node (%s): the other nodes "+
			"cannot reach this manager (joins, heartbeats, task updates)", n, managerPort, f.cells[into[0]].Cause),
		Advice:   fmt.Sprintf("allow TCP %d into %s from the other Swarm nodes", managerPort, n),
		Evidence: f.controlEvidence(into...)}, into...)
}

// controlFailing lists the control probes into n that fail from everyone.
func (f *finder) controlFailing(n string) []string {
	var out []string
	for _, probe := range []string{probeGossip, probeManager} {
		all, any := true, false
		for _, o := range f.others(n) {
			for _, s := range f.x.about(o, n, PathControl, Outbound, RoleControl) {
				if s.Probe == probe {
					any, all = true, all && s.Status == Failing
				}
			}
		}
		if any && all {
			out = append(out, probe)
		}
	}
	return out
}

// brokenTouching are the unexplained broken cells into or out of n on paths.
func (f *finder) brokenTouching(n string, paths ...string) []int {
	var out []int
	for _, i := range f.touching(n) {
		c := f.cells[i]
		if c.Finding == "" && isBroken(c) && slices.Contains(paths, c.Path) && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// controlEvidence is the cells' control connects, from every view.
func (f *finder) controlEvidence(cells ...int) []LinkState {
	var out []LinkState
	for _, i := range cells {
		c := f.cells[i]
		out = append(out, f.x.about(c.From, c.To, PathControl, Outbound, RoleControl)...)
	}
	return out
}

// peerTableNote names the nodes whose overlay peer table lacks n, when
// their views say.
func (f *finder) peerTableNote(n string) string {
	var lack []string
	nets := map[string]bool{}
	for _, m := range f.others(n) {
		for _, net := range f.x.missingPeer(m, n) {
			lack, nets[net] = append(lack, m), true
		}
	}
	if len(lack) == 0 {
		return ""
	}
	return fmt.Sprintf("%s is missing from the overlay peer tables of %s (%s), so ", n,
		strings.Join(slices.Compact(lack), ", "), strings.Join(slices.Sorted(maps.Keys(nets)), ", "))
}

// missingPeer lists the overlay networks both m and n are on whose peer
// table, on m, lacks n's node address.
func (x *index) missingPeer(m, n string) []string {
	mv, nv := x.in.Views[m], x.in.Views[n]
	if mv.Host == nil || nv.Host == nil || nv.Host.NodeAddr == "" {
		return nil
	}
	var out []string
	for _, o := range mv.Host.Overlays {
		onBoth := slices.ContainsFunc(nv.Host.Overlays, func(p OverlayNet) bool { return p.Name == o.Name && p.Attached })
		if o.Attached && onBoth && len(o.Peers) > 0 && !slices.Contains(o.Peers, nv.Host.NodeAddr) {
			out = append(out, o.Name)
		}
	}
	return out
}

// peerTables: a pair whose overlay is broken while one's peer table lacks
// the other: the gossip between them, not VXLAN.
func (f *finder) peerTables() {
	for _, m := range f.x.nodes {
		for _, n := range f.others(m) {
			nets := f.x.missingPeer(m, n)
			if len(nets) == 0 || f.down[m] || f.down[n] {
				continue
			}
			var cells []int
			for _, d := range [][2]string{{m, n}, {n, m}} {
				if c, i, ok := f.cell(d[0], d[1], PathOverlay); ok && c.Finding == "" && isBroken(c) {
					cells = append(cells, i)
				}
			}
			if len(cells) == 0 {
				continue
			}
			f.add(Finding{Kind: FindingOverlayPeers, From: m, To: n, Path: PathOverlay, Cause: f.cells[cells[0]].Cause,
				Summary: fmt.Sprintf("%s is missing from %s's overlay peer table (%s): gossip (%d) between them is "+
					"blocked, so overlay traffic between them fails", n, m, strings.Join(nets, ", "), gossipPort),
				Advice:   fmt.Sprintf("allow TCP and UDP %d between %s and %s", gossipPort, m, n),
				Evidence: f.evidence(cells...)}, cells...)
		}
	}
}

// controlPairs: control cells the node-wide rules left. One whose
// direction is broken, and explained, on every mesh path is that fault's.
func (f *finder) controlPairs() {
	for _, i := range f.open(PathControl, isBroken) {
		c := f.cells[i]
		if id := f.meshFault(c.From, c.To); id != "" {
			f.cells[i].Finding = id
			continue
		}
		f.add(Finding{Kind: FindingControl, From: c.From, To: c.To, Path: PathControl, Cause: c.Cause,
			Summary:  fmt.Sprintf("%s cannot reach %s's Swarm control plane (%s): %s", c.From, c.To, c.Cause, c.Message),
			Evidence: f.controlEvidence(i)}, i)
	}
}

// subnetOverlap: an overlay network whose subnet holds a node's address.
// Its containers then reach that node through the overlay, not the host.
func (f *finder) subnetOverlap() {
	addrs := map[string]netip.Addr{}
	for n, v := range f.x.in.Views {
		if v.Host == nil {
			continue
		}
		if a, err := netip.ParseAddr(v.Host.NodeAddr); err == nil {
			addrs[n] = a
		}
	}
	seen := map[string]bool{}
	for _, n := range f.x.nodes {
		v := f.x.in.Views[n]
		if v.Host == nil {
			continue
		}
		for _, o := range v.Host.Overlays {
			if !seen[o.Name] {
				seen[o.Name] = true
				f.overlapOf(o, addrs)
			}
		}
	}
}

func (f *finder) overlapOf(o OverlayNet, addrs map[string]netip.Addr) {
	for _, s := range o.Subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			continue
		}
		var hit []string
		for _, n := range slices.Sorted(maps.Keys(addrs)) {
			if p.Contains(addrs[n]) {
				hit = append(hit, fmt.Sprintf("%s (%s)", n, addrs[n]))
			}
		}
		if len(hit) == 0 {
			continue
		}
		f.add(Finding{Kind: FindingSubnetOverlap, Probe: o.Name, Cause: FindingSubnetOverlap,
			Summary: fmt.Sprintf("overlay network %s's subnet %s holds the address of %s: its containers reach "+
				"those nodes through the overlay, not the hosts' network", o.Name, s, strings.Join(hit, ", ")),
			Advice: "re-create the network with a subnet outside the hosts' addresses and routes (--subnet), or " +
				"set the Swarm's address pool away from them (docker swarm init --default-addr-pool)"})
	}
}

// meshFault is the finding that explains from → to on every mesh path, if
// one does.
func (f *finder) meshFault(from, to string) string {
	id := ""
	for _, p := range f.x.paths {
		c, _, ok := f.cell(from, to, p)
		if !ok || !isBroken(c) || c.Finding == "" {
			return ""
		}
		id = cmp.Or(id, c.Finding)
	}
	return id
}

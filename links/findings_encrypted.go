package links

import (
	"fmt"
	"slices"
)

// encrypted: every direction of the encrypted overlay fails while the plain
// overlay carries every one of them. The encrypted network is the plain
// one's VXLAN inside IPsec ESP: when only the encryption fails, ESP (IP
// protocol 50) is dropped between the nodes or their kernels cannot do it.
func (f *finder) encrypted() {
	cells := f.open(PathEncrypted, func(Cell) bool { return true })
	if len(cells) == 0 {
		return
	}
	for _, i := range cells {
		c := f.cells[i]
		plain, _, ok := f.cell(c.From, c.To, PathOverlay)
		if !isBroken(c) || !ok || plain.State != Healthy {
			return
		}
	}
	cause := f.cells[cells[0]].Cause
	f.add(Finding{Kind: FindingEncrypted, Path: PathEncrypted, Cause: cause,
		Summary: fmt.Sprintf("the encrypted overlay fails in every direction between the %d nodes (%s) while the plain "+
			"overlay carries them all: IPsec ESP (IP protocol 50) is blocked between the nodes, or their kernels "+
			"do not support it (CONFIG_INET_ESP, xfrm)", len(f.x.nodes), cause),
		Advice: "allow IP protocol 50 (ESP) between the Swarm nodes (firewalls, cloud security groups); check the " +
			"kernel: grep -E 'CONFIG_INET_ESP|CONFIG_XFRM' /boot/config-$(uname -r); or leave encryption off on " +
			"networks between these hosts",
		Evidence: f.evidence(cells...)}, cells...)
}

// checksum: TCP and UDP over the overlay out of a node (or in one
// direction) fail while its pings over the same path pass. A VXLAN drop
// would take ICMP with it; what spares ICMP is a fault in the TCP and UDP
// checksums of the encapsulated packets (a broken checksum offload on the
// VXLAN device or the NIC under it), which the receiver then discards.
func (f *finder) checksum() {
	for _, n := range f.x.nodes {
		if out, ok := f.allCells(n, PathOverlay, false, f.spares(PathOverlay)); ok {
			f.add(Finding{Kind: FindingChecksum, Node: n, From: n, Path: PathOverlay, Cause: FindingChecksum,
				Summary: fmt.Sprintf("TCP and UDP that %s sends over the overlay are lost while its pings pass: "+
					"a checksum offload fault on %s (its VXLAN packets carry bad TCP/UDP checksums), not a VXLAN drop", n, n),
				Advice: fmt.Sprintf("on %s, turn off TX checksum offload on the VXLAN path (ethtool -K <iface> "+
					"tx-checksum-ip-generic off, on the overlay's vxlan device and the underlay NIC) and check the NIC driver", n),
				Evidence: f.evidence(out...)}, out...)
		}
	}
	for _, i := range f.open(PathOverlay, f.spares(PathOverlay)) {
		c := f.cells[i]
		f.add(Finding{Kind: FindingChecksum, From: c.From, To: c.To, Path: PathOverlay, Cause: FindingChecksum,
			Summary: fmt.Sprintf("TCP and UDP from %s to %s over the overlay are lost while pings pass: bad checksums "+
				"(an offload fault), not a VXLAN drop", c.From, c.To),
			Evidence: f.evidence(i)}, i)
	}
}

// spares matches a broken cell whose source's pings to the destination on
// path pass while its TCP and UDP echoes fail.
func (f *finder) spares(path string) func(Cell) bool {
	return func(c Cell) bool {
		icmp := f.x.about(c.From, c.To, path, Outbound, RoleICMP)
		rt := f.x.about(c.From, c.To, path, Outbound, RoleTCP, RoleUDP)
		return isBroken(c) && combine(icmp) == Healthy && len(rt) > 0 && combine(rt) == Failing &&
			!slices.ContainsFunc(rt, func(s LinkState) bool { return s.Status != Failing })
	}
}

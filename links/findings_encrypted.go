package links

import "fmt"

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

package links_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

// withEncrypted adds to every view of in its states of the encrypted
// overlay, broken as enc says.
func withEncrypted(in links.Input, enc fault) links.Input {
	for n, v := range in.Views {
		for _, p := range simNodes {
			if p != n {
				v.Links = append(v.Links, enc.peerStates(n, p, links.PathEncrypted)...)
			}
		}
		links.SortStates(v.Links)
		in.Views[n] = v
	}
	return in
}

var _ = Describe("the encrypted overlay", func() {
	It("is ESP, one finding from every node, when it fails everywhere while the plain overlay works", func() {
		var dropped []dir
		for _, n := range simNodes {
			dropped = append(dropped, into(n, links.PathEncrypted)...)
		}
		enc := fault{drop: all(nil, dropped...)}
		for _, self := range simNodes {
			d := links.Diagnose(withEncrypted(fault{}.input(self), enc))
			Expect(d.Paths).To(Equal([]string{links.PathEncrypted, links.PathOverlay, links.PathPublished}))
			Expect(wanted(d)).To(Equal([]want{{kind: links.FindingEncrypted, path: links.PathEncrypted}}), self)
			f := d.Findings[0]
			Expect(f.Severity).To(Equal(links.SeverityCritical))
			Expect(f.Summary).To(Equal("the encrypted overlay fails in every direction between the 3 nodes (timeout) " +
				"while the plain overlay carries them all: IPsec ESP (IP protocol 50) is blocked between the nodes, or " +
				"their kernels do not support it (CONFIG_INET_ESP, xfrm)"))
			Expect(cellOf(d, "node2", "node3", links.PathEncrypted).Finding).To(Equal(f.ID))
			Expect(cellOf(d, "node2", "node3", links.PathOverlay).State).To(Equal(links.Healthy))
		}
	})

	It("is not ESP everywhere when the plain overlay fails too: the node's VXLAN is", func() {
		enc := fault{drop: all(nil, into("node2", links.PathEncrypted)...)}
		d := links.Diagnose(withEncrypted(fault{drop: all(nil, into("node2", links.PathOverlay)...)}.input("node1"), enc))
		for _, f := range d.Findings {
			Expect(f.Kind).NotTo(Equal(links.FindingEncrypted))
		}
	})

	It("names ESP into the one node that receives nothing over it", func() {
		enc := fault{drop: all(nil, into("node2", links.PathEncrypted)...)}
		d := links.Diagnose(withEncrypted(fault{}.input("node1"), enc))
		Expect(wanted(d)).To(Equal([]want{{kind: links.FindingNodeInbound, node: "node2", to: "node2", path: links.PathEncrypted}}))
		Expect(d.Findings[0].Summary).To(Equal("node2 receives nothing from anyone over the encrypted overlay: ESP (IP " +
			"protocol 50) into node2 is dropped, or its kernel cannot decrypt it; the plain overlay into it works"))
	})
})

// withICMP adds every node's pings of every other over the overlay,
// failing from → to where lost says.
func withICMP(in links.Input, lost map[dir]bool) links.Input {
	for n, v := range in.Views {
		for _, p := range simNodes {
			if p == n {
				continue
			}
			s := state(n, p, links.PathOverlay, "icmp", links.RoleICMP, links.Outbound, links.Healthy, "ok")
			if lost[dir{n, p, links.PathOverlay}] || lost[dir{p, n, links.PathOverlay}] {
				s.Status, s.Cause = links.Failing, "timeout"
			}
			v.Links = append(v.Links, s)
		}
		links.SortStates(v.Links)
		in.Views[n] = v
	}
	return in
}

var _ = Describe("pings over the overlay", func() {
	out := outOf("node2", links.PathOverlay)

	It("tell TCP and UDP lost out of a node while its pings pass (checksums) from a VXLAN drop", func() {
		for _, self := range simNodes {
			d := links.Diagnose(withICMP(fault{drop: all(nil, out...)}.input(self), nil))
			Expect(wanted(d)).To(Equal([]want{{kind: links.FindingChecksum, node: "node2", from: "node2", path: links.PathOverlay}}), self)
			Expect(d.Findings[0].Summary).To(Equal("TCP and UDP that node2 sends over the overlay are lost while its pings " +
				"pass: a checksum offload fault on node2 (its VXLAN packets carry bad TCP/UDP checksums), not a VXLAN drop"))
		}
	})

	It("leave a VXLAN drop, pings lost too, to the node-wide rule", func() {
		d := links.Diagnose(withICMP(fault{drop: all(nil, out...)}.input("node1"), all(nil, out...)))
		Expect(wanted(d)).To(Equal([]want{{kind: links.FindingNodeOutbound, node: "node2", from: "node2", path: links.PathOverlay}}))
	})
})

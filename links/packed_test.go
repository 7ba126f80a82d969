package links_test

import (
	"encoding/json"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

// sortedCells orders cells by path, from, to, for comparing sets.
func sortedCells(cs []links.Cell) []links.Cell {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b links.Cell) int {
		return strings.Compare(a.Path+"|"+a.From+"|"+a.To, b.Path+"|"+b.From+"|"+b.To)
	})
	return out
}

var _ = Describe("Packed diagnosis", func() {
	It("keeps whole only the cells that say more than healthy, and unpacks to the same cells", func() {
		f := fault{drop: map[dir]bool{{"node1", "node3", ov}: true}}
		d := links.Diagnose(f.input("node2"))
		Expect(d.Verdict).To(Equal(links.Failing))
		p := d.Pack()
		Expect(p.Cells).NotTo(BeEmpty(), "the broken direction stays whole")
		for _, c := range p.Cells {
			Expect(c.Plain()).To(BeFalse(), "%s→%s %s is plain yet kept whole", c.From, c.To, c.Path)
		}
		Expect(p.Cells).To(ContainElement(HaveField("From", "node1")))
		Expect(p.Healthy).To(HaveLen(len(d.Paths)))
		for _, path := range d.Paths {
			Expect(p.Healthy[path]).To(HaveLen(len(d.Nodes)))
			for i, row := range p.Healthy[path] {
				Expect(row).To(HaveLen(len(d.Nodes)))
				Expect(row[i]).To(Equal(byte('0')), "no cell from a node to itself")
			}
		}
		Expect(sortedCells(p.Unpack().Cells)).To(Equal(sortedCells(d.Cells)))
	})

	It("survives JSON, and a healthy 200-node diagnosis is a small fraction of its full size", func() {
		d := links.Diagnose(benchInput(200))
		Expect(d.Cells).To(HaveLen(2 * 200 * 199))
		full, err := json.Marshal(d)
		Expect(err).NotTo(HaveOccurred())
		packed, err := json.Marshal(d.Pack())
		Expect(err).NotTo(HaveOccurred())
		Expect(len(packed)*10).To(BeNumerically("<", len(full)), "packed %d B, full %d B", len(packed), len(full))
		var back links.Packed
		Expect(json.Unmarshal(packed, &back)).To(Succeed())
		Expect(back.Cells).To(BeEmpty())
		Expect(strings.Count(back.Healthy[ov][5], "1")).To(Equal(199))
		Expect(sortedCells(back.Unpack().Cells)).To(Equal(sortedCells(d.Cells)))
	})

	It("keeps whole a cell whose node or path the diagnosis does not list", func() {
		d := links.Diagnosis{Nodes: []string{"a", "b"}, Paths: []string{ov}, Cells: []links.Cell{
			{From: "a", To: "b", Path: ov, State: links.Healthy, Forward: links.Healthy, RoundTrip: links.Healthy, Large: links.Healthy},
			{From: "a", To: "z", Path: ov, State: links.Healthy, Forward: links.Healthy, RoundTrip: links.Healthy, Large: links.Healthy},
			{From: "b", To: "a", Path: pub, State: links.Healthy, Forward: links.Healthy, RoundTrip: links.Healthy, Large: links.Healthy},
		}}
		p := d.Pack()
		Expect(p.Cells).To(Equal(d.Cells[1:]))
		Expect(p.Healthy).To(Equal(map[string][]string{ov: {"01", "00"}}))
		Expect(sortedCells(p.Unpack().Cells)).To(Equal(sortedCells(d.Cells)))
	})
})

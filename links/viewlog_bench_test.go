package links_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/links"
)

// BenchmarkViewExchange: one peer's view of a healthy N-node cluster (8
// states per peer, every result a second newer, one state in a hundred
// changed each round) served and taken in, as one agent does for each of
// its peers every interval: "whole" encodes and decodes every state (the
// exchange before ViewLog), "delta" serves from a ViewLog and applies
// what it sends. Run:
//
//	go test ./links -run '^$' -bench ViewExchange -benchtime 20x
func BenchmarkViewExchange(b *testing.B) {
	for _, n := range []int{50, 200} {
		base := benchInput(n).Views["node000"]
		b.Run(fmt.Sprintf("nodes=%d/whole", n), func(b *testing.B) { benchExchange(b, base, false) })
		b.Run(fmt.Sprintf("nodes=%d/delta", n), func(b *testing.B) { benchExchange(b, base, true) })
	}
}

func benchExchange(b *testing.B, base links.View, delta bool) {
	view := base
	view.Links = append([]links.LinkState(nil), base.Links...)
	vl := links.NewViewLog(1)
	var held links.View
	var bytes int
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		view.Generated = view.Generated.Add(time.Second)
		for j := range view.Links {
			view.Links[j].Last = view.Generated
			if (i*7+j)%100 == 0 {
				view.Links[j].Message = fmt.Sprintf("changed %d", i) // counts only when not healthy
				view.Links[j].Status = []links.State{links.Healthy, links.Pending}[i%2]
			}
		}
		served := view
		if delta {
			var d links.Delta
			served.Links, d = vl.Serve(view.Links, held.Position(), view.Generated, 2*time.Second)
			served.Delta = &d
		}
		raw, err := json.Marshal(served)
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(raw)
		var got links.View
		if err := json.Unmarshal(raw, &got); err != nil {
			b.Fatal(err)
		}
		if held, err = got.Apply(held); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(bytes)/float64(b.N), "B/view")
}

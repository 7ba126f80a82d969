package links_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/links"
)

// benchInput is a healthy n-node cluster's views, as every node gathers them
// (each in key order, as its agent serves it).
func benchInput(n int) links.Input {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node%03d", i)
	}
	in := links.Input{Self: names[0], Now: simNow, Nodes: names, Views: map[string]links.View{}}
	for _, a := range names {
		v := links.View{Node: a, Generated: simNow, Interval: 10 * time.Second}
		for _, p := range names {
			if p == a {
				continue
			}
			for _, path := range simPaths {
				for _, r := range []links.Role{links.RoleTCP, links.RoleUDP, links.RoleLarge} {
					v.Links = append(v.Links, state(a, p, path, string(r), r, links.Outbound, links.Healthy, "ok"))
				}
				v.Links = append(v.Links, state(a, p, path, "arrival", links.RoleArrival, links.Inbound, links.Healthy, "ok"))
			}
		}
		links.SortStates(v.Links) // as its agent serves it
		in.Views[a] = v
	}
	return in
}

// BenchmarkDiagnose: the diagnosis of a healthy cluster of N nodes (every
// view present, 8 states per peer). Run:
//
//	go test ./links -run '^$' -bench Diagnose -benchtime 3x
func BenchmarkDiagnose(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		in := benchInput(n)
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for range b.N {
				if d := links.Diagnose(in); d.Verdict != links.Healthy {
					b.Fatalf("verdict %s", d.Verdict)
				}
			}
		})
	}
}

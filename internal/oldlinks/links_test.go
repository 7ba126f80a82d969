package oldlinks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/controller"
	links "github.com/swarmlink/swarmlink/internal/oldlinks"
	"github.com/swarmlink/swarmlink/probes"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// world builds every node's view of a full mesh on one path, where broken
// lists directed pairs whose packets are dropped (from → to).
func world(nodes []string, path string, broken map[[2]string]bool) map[string]links.View {
	views := map[string]links.View{}
	for _, me := range nodes {
		var out, in []links.Link
		for _, peer := range nodes {
			if peer == me {
				continue
			}
			rt := !broken[[2]string{me, peer}] && !broken[[2]string{peer, me}]
			out = append(out, link(peer, path, links.Outbound, rt))
			in = append(in, link(peer, path, links.Inbound, !broken[[2]string{peer, me}]))
		}
		views[me] = links.NewView(me, t0, out, in)
	}
	return views
}

func link(peer, path, dir string, ok bool) links.Link {
	l := links.Link{Peer: peer, Path: path, Direction: dir, State: links.Healthy}
	if !ok {
		l.State, l.Cause, l.Message = links.Failing, "timeout", "no answer"
	}
	return l
}

func cellOf(m links.Matrix, from, to string) links.Cell {
	for _, c := range m.Cells {
		if c.From == from && c.To == to {
			return c
		}
	}
	Fail("no cell " + from + "→" + to)
	return links.Cell{}
}

var nodes = []string{"n1", "n2", "n3"}

var _ = Describe("Matrix", func() {
	It("is healthy with N×(N−1) cells per path when everything answers", func() {
		m := links.BuildMatrix(t0, nodes, world(nodes, "overlay", nil), nil)
		Expect(m.Cells).To(HaveLen(6))
		Expect(m.Verdict).To(Equal(links.Healthy))
		Expect(m.Broken).To(BeEmpty())
	})

	It("names the one broken direction and says the other works", func() {
		m := links.BuildMatrix(t0, nodes, world(nodes, "overlay", map[[2]string]bool{{"n2", "n1"}: true}), nil)
		Expect(cellOf(m, "n2", "n1").State).To(Equal(links.Failing))
		Expect(cellOf(m, "n1", "n2").State).To(Equal(links.Degraded), "n1's probes arrive, replies do not")
		Expect(m.Verdict).To(Equal(links.Failing))
		Expect(m.Broken).To(HaveLen(1))
		Expect(m.Broken[0]).To(HavePrefix("n2 → n1 (overlay): timeout"))
		Expect(m.Broken[0]).To(ContainSubstring("one-way: n1 → n2 works"))
	})

	It("shows a node cut off in both directions on every link to it", func() {
		cut := map[[2]string]bool{{"n1", "n3"}: true, {"n3", "n1"}: true, {"n2", "n3"}: true, {"n3", "n2"}: true}
		m := links.BuildMatrix(t0, nodes, world(nodes, "overlay", cut), nil)
		Expect(m.Broken).To(HaveLen(4))
		Expect(cellOf(m, "n1", "n2").State).To(Equal(links.Healthy))
	})

	It("marks unanswered agents and still uses the others' views", func() {
		views := world(nodes, "overlay", nil)
		delete(views, "n3")
		m := links.BuildMatrix(t0, nodes, views, map[string]string{"n3": "no answer"})
		Expect(m.Verdict).To(Equal(links.Degraded))
		Expect(cellOf(m, "n1", "n3").State).To(Equal(links.Healthy), "n1's round trip to n3 works")
		Expect(cellOf(m, "n1", "n3").Forward).To(Equal(links.Unknown))
	})
})

var _ = Describe("OutboundLinks", func() {
	st := func(dest, path, probe string, passed bool, cause probes.Cause) controller.CheckStatus {
		var s controller.CheckStatus
		s.Metadata.Origin = "mesh"
		s.Spec.Link = controller.Link{Source: "n1", Destination: dest, Path: path}
		s.Spec.Spec.Name = probe
		s.Status.LastResult = &probes.Result{Passed: passed, Cause: cause, Message: string(cause), Started: t0}
		s.Status.Conditions = []controller.Condition{{Type: controller.ConditionReady, LastTransitionTime: t0}}
		return s
	}
	It("folds the probes of a path into one link named by the most telling cause", func() {
		ls := links.OutboundLinks([]controller.CheckStatus{
			st("n2", "overlay", "overlay-tcp", true, probes.CauseOK),
			st("n2", "overlay", "overlay-large", false, probes.CauseMTU),
			st("n2", "overlay", "overlay-udp", false, probes.CauseTimeout),
			st("n2", "published", "published-tcp", true, probes.CauseOK),
		})
		Expect(ls).To(HaveLen(2))
		Expect(ls[0]).To(And(HaveField("Path", "overlay"), HaveField("State", links.Failing), HaveField("Cause", "mtu")))
		Expect(ls[0].Probes).To(HaveLen(3))
		Expect(ls[1]).To(And(HaveField("Path", "published"), HaveField("State", links.Healthy)))
	})
})

var _ = Describe("Collector", func() {
	It("collects answering peers and says why the others did not answer", func() {
		ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_ = json.NewEncoder(w).Encode(links.View{Node: "n2"})
		}))
		defer ok.Close()
		slow := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer slow.Close()
		views, failed := links.Collector{Timeout: 200 * time.Millisecond}.Collect(context.Background(),
			[]links.Endpoint{{Node: "n2", URL: ok.URL}, {Node: "n3", URL: slow.URL}})
		Expect(views).To(HaveKey("n2"))
		Expect(failed).To(HaveKeyWithValue("n3", ContainSubstring("no answer")))
	})
})

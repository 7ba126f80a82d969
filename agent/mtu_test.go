package agent

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("mtuMeter", func() {
	const interval = 2 * time.Second
	t0 := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	var t *mtuMeter
	BeforeEach(func() {
		t = &mtuMeter{m: &meshPart{cfg: config.Mesh{Interval: interval}}, healed: map[[2]string]time.Time{}, last: map[[2]string]links.MTU{
			{"node2", "overlay"}:   {To: "node2", Path: "overlay", Largest: 921, Ceiling: 1422, Measured: t0},
			{"node3", "overlay"}:   {To: "node3", Path: "overlay", Largest: 1418, Ceiling: 1422, Measured: t0},
			{"node2", "published"}: {To: "node2", Path: "published", Largest: 900, Ceiling: 1472, Measured: t0}}}
	})
	large := func(peer, path string) controller.Check {
		return controller.Check{Link: controller.Link{Destination: peer, Path: path, Role: links.RoleLarge, Direction: links.Outbound}}
	}

	It("drops a short measurement once a large echo crosses whole, and keeps full ones and failing paths' ones", func() {
		s := mtuSink{t}
		s.Record(context.Background(), large("node2", "published"), probes.Result{Cause: probes.CauseMTU})
		s.Record(context.Background(), large("node3", "overlay"), probes.Result{Cause: probes.CauseOK})
		s.Record(context.Background(), controller.Check{Link: controller.Link{Destination: "node2", Path: "overlay",
			Role: links.RoleTCP, Direction: links.Outbound}}, probes.Result{Cause: probes.CauseOK})
		Expect(t.results()).To(HaveLen(3), "a failing large echo, a full measurement, a small echo: nothing contradicted")

		s.Record(context.Background(), large("node2", "overlay"), probes.Result{Cause: probes.CauseOK})
		Expect(t.results()).To(ConsistOf(
			HaveField("To", "node3"), HaveField("Path", "published")), "the healed path's short reading is gone")
		Expect(t.due("node2", "overlay", t0.Add(time.Second), false)).To(BeTrue(), "and it is measured at the next sweep")
	})

	It("discards a short measurement that began before a large echo crossed whole (it outlived the heal)", func() {
		mtuSink{t}.Record(context.Background(), large("node3", "overlay"), probes.Result{Cause: probes.CauseOK, Started: t0.Add(3 * time.Second)})
		Expect(t.keep(links.MTU{To: "node3", Path: "overlay", Largest: 921, Ceiling: 1422, Measured: t0.Add(time.Second)})).To(BeFalse())
		Expect(t.results()).To(ContainElement(HaveField("Largest", 1418)), "the full reading stays")
		Expect(t.keep(links.MTU{To: "node3", Path: "overlay", Largest: 921, Ceiling: 1422, Measured: t0.Add(4 * time.Second)})).To(BeTrue(),
			"begun after the echo passed: a black hole again")
		Expect(t.keep(links.MTU{To: "node3", Path: "overlay", Largest: 1420, Ceiling: 1422, Measured: t0})).To(BeTrue(), "a full one is always news")
	})

	It("measures a path again every interval while its large echo fails, else every refresh", func() {
		Expect(t.due("node3", "overlay", t0.Add(interval-time.Millisecond), true)).To(BeFalse())
		Expect(t.due("node3", "overlay", t0.Add(interval), true)).To(BeTrue())
		Expect(t.due("node3", "overlay", t0.Add(mtuRefresh-time.Second), false)).To(BeFalse())
		Expect(t.due("node3", "overlay", t0.Add(mtuRefresh), false)).To(BeTrue())
		Expect(t.due("node4", "overlay", t0, false)).To(BeTrue(), "never measured")
	})
})

package agent

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("mtuMeter", func() {
	const interval = 2 * time.Second
	t0 := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	var t *mtuMeter
	BeforeEach(func() {
		t = &mtuMeter{m: &meshPart{cfg: config.Mesh{Interval: interval}, source: mesh.NewSource(mesh.Identity{Name: "node1"}, mesh.SourceConfig{}, nil)}, healed: map[[2]string]time.Time{}, failing: map[[2]string]bool{}, inflight: map[[2]string]bool{}, last: map[[2]string]links.MTU{
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

	It("discards a short measurement that began while a passing large echo was on its way (the heal came in between)", func() {
		mtuSink{t}.Record(context.Background(), large("node3", "overlay"),
			probes.Result{Cause: probes.CauseOK, Started: t0.Add(3 * time.Second), Duration: 900 * time.Millisecond})
		Expect(t.keep(links.MTU{To: "node3", Path: "overlay", Largest: 921, Ceiling: 1422, Measured: t0.Add(3500 * time.Millisecond)})).To(BeFalse())
		Expect(t.keep(links.MTU{To: "node3", Path: "overlay", Largest: 921, Ceiling: 1422, Measured: t0.Add(4 * time.Second)})).To(BeTrue(),
			"begun after the echo ended: a black hole again")
	})

	It("has a path measured once an episode of large-echo failures begins, not again until one crosses whole", func() {
		Expect(t.beginsEpisode("node3", "overlay", t0.Add(-time.Second))).To(BeFalse(), "measured since it began failing")
		Expect(t.beginsEpisode("node3", "overlay", t0.Add(time.Second))).To(BeFalse(), "the episode is on: the sweep measures it")
		t.contradict("node3", "overlay", t0.Add(2*time.Second))
		Expect(t.beginsEpisode("node3", "overlay", t0.Add(3*time.Second))).To(BeTrue(), "a new episode, its reading older")
		Expect(t.beginsEpisode("node4", "overlay", t0)).To(BeTrue(), "never measured")
		Expect(t.claim("node4", "overlay")).To(BeTrue())
		Expect(t.claim("node4", "overlay")).To(BeFalse(), "one measurement of a path at a time")
		t.release("node4", "overlay")
		Expect(t.claim("node4", "overlay")).To(BeTrue())
	})

	It("measures a path again every interval while its large echo fails, else every refresh", func() {
		Expect(t.due("node3", "overlay", t0.Add(interval-time.Millisecond), true)).To(BeFalse())
		Expect(t.due("node3", "overlay", t0.Add(interval), true)).To(BeTrue())
		Expect(t.due("node3", "overlay", t0.Add(mtuRefresh-time.Second), false)).To(BeFalse())
		Expect(t.due("node3", "overlay", t0.Add(mtuRefresh), false)).To(BeTrue())
		Expect(t.due("node4", "overlay", t0, false)).To(BeTrue(), "never measured")
	})
})

var _ = Describe("mtuMeter with a real responder", func() {
	It("measures a path as soon as its large echo fails, before any sweep", func(ctx SpecContext) {
		key := []byte("0123456789abcdef0123456789abcdef")
		r, err := mesh.NewResponder(mesh.ResponderOptions{Addr: "127.0.0.1:0", Key: key, Identity: mesh.Identity{Name: "node2"}}, zap.NewNop(), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Listen(ctx)).To(Succeed())
		rctx, stop := context.WithCancel(ctx)
		DeferCleanup(stop)
		go func() { _ = r.Start(rctx) }()
		self := mesh.Identity{Name: "node1"}
		src := mesh.NewSource(self, mesh.SourceConfig{Interval: time.Minute, Timeout: time.Second}, zap.NewNop(),
			fixedPeers{{Name: "node2", OverlayAddr: "127.0.0.1"}})
		_, err = src.DesiredAt(ctx, time.Now())
		Expect(err).NotTo(HaveOccurred())
		m := &meshPart{cfg: config.Mesh{Interval: time.Minute, Timeout: time.Second, Listen: r.Addr()}, self: self, source: src,
			prober: mesh.NewProber(mesh.ClientOptions{Key: key, Self: "node1"}), log: zap.NewNop()}
		t := newMTUMeter(m, nil)
		failedAt := time.Now()
		check := controller.Check{Link: controller.Link{Destination: "node2", Path: links.PathOverlay, Role: links.RoleLarge, Direction: links.Outbound}}
		mtuSink{t}.Record(ctx, check, probes.Result{Cause: probes.CauseMTU, Started: failedAt})
		Eventually(t.results).WithTimeout(5 * time.Second).Should(ConsistOf(And(
			HaveField("To", "node2"), HaveField("Path", links.PathOverlay), HaveField("Largest", BeNumerically(">", 1000)),
			HaveField("Measured", BeTemporally(">=", failedAt)))))
	}, SpecTimeout(10*time.Second))
})

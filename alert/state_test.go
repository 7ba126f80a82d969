package alert_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
)

func newEngine(cfg alert.Config, clk *fakeClock, notifiers ...alert.Notifier) *alert.Engine {
	e, err := alert.New(alert.Options{Config: cfg, Self: "a", Cluster: "test", Queue: newMemKV(), State: newMemKV(),
		Notifiers: notifiers, Clock: clk, Log: testLogger()})
	Expect(err).NotTo(HaveOccurred())
	return e
}

func linkStatus(e *alert.Engine, dest, path, probe string) alert.Status {
	for _, s := range e.LinkStates() {
		if s.Peer == dest && s.Path == path && s.Probe == probe {
			return s.Status
		}
	}
	return alert.LinkUnknown
}

var _ = Describe("link state machine", func() {
	DescribeTable("hysteresis: failing after F of the last N, healthy after R successes",
		func(cfg alert.Config, probe, results string, want alert.Status) {
			e := newEngine(cfg, newFakeClock(t0))
			c := check("b", "overlay", probe)
			for i, r := range results {
				feed(e, c, 1, r == 'P', t0.Add(time.Duration(i)*time.Second))
			}
			Expect(linkStatus(e, "b", "overlay", probe)).To(Equal(want))
		},
		Entry("no results: unknown", alert.Config{}, "overlay-tcp", "", alert.LinkUnknown),
		Entry("one pass: healthy", alert.Config{}, "overlay-tcp", "P", alert.LinkHealthy),
		Entry("two failures: pending, not failing", alert.Config{}, "overlay-tcp", "FF", alert.LinkPending),
		Entry("three failures: failing", alert.Config{}, "overlay-tcp", "FFF", alert.LinkFailing),
		Entry("3 of 5 scattered: failing", alert.Config{}, "overlay-tcp", "FPFPF", alert.LinkFailing),
		Entry("2 of the last 5: not failing", alert.Config{}, "overlay-tcp", "FPPFPPF", alert.LinkPending),
		Entry("one success after failing: still failing", alert.Config{}, "overlay-tcp", "FFFP", alert.LinkFailing),
		Entry("a failure breaks the recovery run", alert.Config{}, "overlay-tcp", "FFFPFP", alert.LinkFailing),
		Entry("R=2 successes: healthy", alert.Config{}, "overlay-tcp", "FFFPP", alert.LinkHealthy),
		Entry("the window restarts on recovery", alert.Config{}, "overlay-tcp", "FFFPPFF", alert.LinkPending),
		Entry("and fails again after F new failures", alert.Config{}, "overlay-tcp", "FFFPPFFF", alert.LinkFailing),
		Entry("section F=2 N=3", alert.Config{FailingAfter: 2, Window: 3}, "overlay-tcp", "FPF", alert.LinkFailing),
		Entry("section R=3: two successes are not enough", alert.Config{RecoverAfter: 3}, "overlay-tcp", "FFFPP", alert.LinkFailing),
		Entry("rule for the probe: F=1 N=1", alert.Config{Rules: []alert.Rule{{Path: "overlay", Probe: "overlay-udp",
			FailingAfter: 1, Window: 1, RecoverAfter: 1}}}, "overlay-udp", "F", alert.LinkFailing),
		Entry("rule for the probe: R=1", alert.Config{Rules: []alert.Rule{{Probe: "overlay-udp",
			FailingAfter: 1, Window: 1, RecoverAfter: 1}}}, "overlay-udp", "FP", alert.LinkHealthy),
		Entry("a rule for another probe does not apply", alert.Config{Rules: []alert.Rule{{Probe: "overlay-udp",
			FailingAfter: 1, Window: 1}}}, "overlay-tcp", "F", alert.LinkPending),
		Entry("first matching rule wins", alert.Config{Rules: []alert.Rule{{Path: "overlay", FailingAfter: 5},
			{Probe: "overlay-tcp", FailingAfter: 1}}}, "overlay-tcp", "FFF", alert.LinkPending),
	)
})

var _ = Describe("engine", func() {
	var (
		clk *fakeClock
		rec *recorder
		e   *alert.Engine
		ctx = context.Background()
	)
	fireable := func() { clk.Advance(2 * time.Minute) }
	names := func() []string {
		var out []string
		for _, a := range e.Alerts() {
			out = append(out, a.Name+" "+a.Source+"->"+a.Destination+" "+a.Path)
		}
		return out
	}
	BeforeEach(func() {
		clk = newFakeClock(t0)
		rec = &recorder{name: "rec"}
		e = newEngine(alert.Config{}, clk, rec)
	})

	It("fires nothing during the start-up grace period, then fires", func() {
		feed(e, check("db", "direct", "pg"), 3, false, t0)
		clk.Advance(59 * time.Second)
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(BeEmpty())
		clk.Advance(2 * time.Second)
		e.Evaluate(ctx)
		Expect(names()).To(ConsistOf("SwarmlinkCheckFailed a->db direct"))
		e.Deliver(ctx)
		Expect(rec.events()).To(Equal([]string{"firing SwarmlinkCheckFailed db"}))
	})

	It("counts firing alerts and notifications in metrics", func() {
		reg := prometheusRegistry()
		e, err := alert.New(alert.Options{Config: alert.Config{}, Self: "a", Queue: newMemKV(), State: newMemKV(),
			Notifiers: []alert.Notifier{rec}, Clock: clk, Registerer: reg})
		Expect(err).NotTo(HaveOccurred())
		feed(e, check("db", "direct", "pg"), 3, false, t0)
		fireable()
		e.Evaluate(ctx)
		Expect(gauge(reg, "swarmlink_alerts_firing", "SwarmlinkCheckFailed")).To(Equal(1.0))
		Expect(gauge(reg, "swarmlink_notification_queue_length")).To(Equal(1.0))
		e.Deliver(ctx)
		e.Evaluate(ctx)
		Expect(gauge(reg, "swarmlink_notifications_total", "rec", "success")).To(Equal(1.0))
		Expect(gauge(reg, "swarmlink_notification_queue_length")).To(Equal(0.0))
	})

	It("resolves after R successes and sends the resolve once", func() {
		c := check("db", "direct", "pg")
		feed(e, c, 3, false, t0)
		fireable()
		e.Evaluate(ctx)
		feed(e, c, 1, true, t0.Add(time.Minute))
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(HaveLen(1), "one success is not a recovery")
		feed(e, c, 1, true, t0.Add(time.Minute+time.Second))
		e.Evaluate(ctx)
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(e.Alerts()).To(BeEmpty())
		Expect(rec.events()).To(Equal([]string{"firing SwarmlinkCheckFailed db", "resolved SwarmlinkCheckFailed db"}))
	})

	DescribeTable("suppresses links to peers that are not active",
		func(state string, wantAlert bool) {
			e, err := alert.New(alert.Options{Self: "a", Queue: newMemKV(), State: newMemKV(), Clock: clk,
				PeerState: func(string) string { return state }})
			Expect(err).NotTo(HaveOccurred())
			feed(e, check("b", "overlay", "overlay-tcp"), 3, false, t0)
			fireable()
			e.Evaluate(ctx)
			Expect(len(e.Alerts()) == 1).To(Equal(wantAlert))
		},
		Entry("active", "active", true),
		Entry("unknown to the discovery", "", true),
		Entry("draining", "drain", false),
		Entry("down: a failure, not a plan", "down", true),
		Entry("being removed", "removed", false),
	)

	It("resolves a firing alert when its peer starts draining", func() {
		state := "active"
		e, err := alert.New(alert.Options{Self: "a", Queue: newMemKV(), State: newMemKV(), Clock: clk,
			Notifiers: []alert.Notifier{rec}, PeerState: func(string) string { return state }})
		Expect(err).NotTo(HaveOccurred())
		feed(e, check("b", "overlay", "overlay-tcp"), 3, false, t0)
		fireable()
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(HaveLen(1))
		state = "drain"
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(e.Alerts()).To(BeEmpty())
		Expect(rec.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable b", "resolved SwarmlinkHostUnreachable b"}))
	})

	It("resolves the alert of a retired link and never raises a new one from stragglers", func() {
		c := check("b", "overlay", "overlay-tcp")
		feed(e, c, 3, false, t0)
		for range 3 {
			e.Record(ctx, inbound("b", "overlay"), fail(t0, probes.CauseTimeout))
		}
		fireable()
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(HaveLen(1))
		e.Forget(c)
		feed(e, c, 5, false, t0.Add(time.Minute))                             // results that started before Forget
		e.Record(ctx, inbound("b", "overlay"), fail(t0, probes.CauseTimeout)) // so did this
		clk.Advance(time.Hour)
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(e.Alerts()).To(BeEmpty())
		states := e.LinkStates()
		Expect(states).To(BeEmpty(), "the peer's inbound links are retired with its last outbound one")
		Expect(rec.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable b", "resolved SwarmlinkHostUnreachable b"}))
	})

	It("monitors a link again when a new check with its key starts after retirement", func() {
		c := check("b", "overlay", "overlay-tcp")
		e.Forget(c)
		feed(e, c, 3, false, clk.Now().Add(time.Second))
		fireable()
		e.Evaluate(ctx)
		Expect(names()).To(ConsistOf("SwarmlinkHostUnreachable cluster->b all"), "b answers on no path a knows")
	})

	It("holds a link alert while the peer's other links settle, so a dying host is one host alert", func() {
		now := t0
		record := func(c controller.Check, ok bool) { feed(e, c, 1, ok, now); now = now.Add(time.Second) }
		ov, pub := check("b", "overlay", "overlay-tcp"), check("b", "published", "published-tcp")
		fireable()
		for range 3 {
			record(ov, false)
		}
		record(pub, false)
		e.Record(ctx, inbound("b", "overlay"), fail(now, probes.CauseTimeout))
		e.Record(ctx, inbound("b", "overlay"), fail(now, probes.CauseTimeout))
		e.Record(ctx, inbound("b", "overlay"), fail(now, probes.CauseTimeout))
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(BeEmpty(), "published is pending: wait")
		record(pub, false)
		record(pub, false)
		clk.Advance(10 * time.Second)
		e.Evaluate(ctx)
		Expect(names()).To(ConsistOf("SwarmlinkHostUnreachable cluster->b all"))
		e.Deliver(ctx)
		Expect(rec.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable b"}))
	})

	It("ignores the sender's own result of one-way beacons: the overlay data plane down is one data-plane alert", func() {
		now := t0
		fireable()
		oneway := check("b", "overlay", "overlay-oneway")
		oneway.Spec.Peer = &probes.PeerOptions{Transport: "udp", OneWay: true}
		for range alert.DefaultFailingAfter {
			for _, probe := range []string{"overlay-tcp", "overlay-udp", "overlay-large"} {
				feed(e, check("b", "overlay", probe), 1, false, now)
			}
			feed(e, oneway, 1, true, now) // sent, so "passed", though nothing arrives
			feed(e, check("b", "published", "published-tcp"), 1, true, now)
			e.Record(ctx, inbound("b", "overlay"), fail(now, probes.CauseTimeout))
			e.Record(ctx, inbound("b", "published"), pass(now))
			now = now.Add(time.Second)
		}
		clk.Advance(alert.DefaultSettle)
		e.Evaluate(ctx)
		// Alone, a cannot tell whether its own packets reach b: only that
		// b's do not arrive.
		Expect(names()).To(ConsistOf("SwarmlinkLinkDown b->a overlay"))
		states, err := e.LinkStates(), error(nil)
		Expect(err).NotTo(HaveOccurred())
		for _, s := range states {
			Expect(s.Probe + " " + string(s.Direction)).NotTo(Equal("overlay-oneway outbound"))
		}
	})

	It("raises nothing new while a fault heals: links recovering one by one are not an MTU fault", func() {
		tcp, large := check("b", "overlay", "overlay-tcp"), check("b", "overlay", "overlay-large")
		fireable()
		now := clk.Now()
		feed(e, tcp, 3, false, now)
		feed(e, large, 3, false, now)
		e.Evaluate(ctx)
		Expect(names()).To(ConsistOf("SwarmlinkHostUnreachable cluster->b all"))
		feed(e, tcp, 2, true, now.Add(5*time.Second))   // healthy again
		feed(e, large, 1, true, now.Add(5*time.Second)) // one success: still failing
		e.Evaluate(ctx)
		clk.Advance(alert.DefaultSettle)
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(BeEmpty(), "large failing while tcp passes looks like MTU, but both are healing")
		feed(e, large, 1, true, now.Add(7*time.Second))
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(rec.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable b", "resolved SwarmlinkHostUnreachable b"}))
	})

	It("forgets the inbound links of a path no longer expected, and ignores their stragglers", func() {
		fireable()
		now := clk.Now()
		for range 3 {
			e.Record(ctx, inbound("b", "overlay"), fail(now, probes.CauseTimeout))
			e.Record(ctx, inbound("b", "published"), fail(now, probes.CauseTimeout))
		}
		e.Forget(inbound("b", "overlay"))
		e.Record(ctx, inbound("b", "overlay"), fail(now.Add(-time.Second), probes.CauseTimeout)) // a straggler
		states, err := e.LinkStates(), error(nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(states).To(ConsistOf(HaveField("Path", "published")))
	})

	It("fires a held alert once the settle period is over", func() {
		ov, pub := check("b", "overlay", "overlay-tcp"), check("b", "published", "published-tcp")
		fireable()
		feed(e, ov, 3, false, t0)
		feed(e, pub, 1, false, t0)
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(BeEmpty())
		clk.Advance(31 * time.Second)
		e.Evaluate(ctx)
		Expect(names()).To(ConsistOf("SwarmlinkLinkDown a->b overlay"), "held at most 30 s for the undecided links")
	})

	It("re-queues firing alerts for deduplicating notifiers every resend interval, and only for them", func() {
		am := &recorder{name: "am", dedup: true}
		e = newEngine(alert.Config{}, clk, rec, am)
		feed(e, check("db", "direct", "pg"), 3, false, t0)
		fireable()
		e.Evaluate(ctx)
		e.Deliver(ctx)
		for range 3 {
			clk.Advance(alert.DefaultResendInterval)
			e.Evaluate(ctx)
			e.Deliver(ctx)
		}
		Expect(am.events()).To(HaveLen(4))
		clk.Advance(alert.DefaultResendInterval)
		e.Evaluate(ctx)
		clk.Advance(alert.DefaultResendInterval)
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(am.events()).To(HaveLen(5), "a re-send still waiting is not queued twice")
		Expect(rec.events()).To(HaveLen(1))
	})

	It("keeps delivering to live notifiers while another is down, and catches up in order", func() {
		dead := &recorder{name: "dead", err: errDown}
		e = newEngine(alert.Config{}, clk, dead, rec)
		c := check("db", "direct", "pg")
		feed(e, c, 3, false, t0)
		fireable()
		e.Evaluate(ctx)
		e.Deliver(ctx)
		feed(e, c, 2, true, clk.Now())
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(rec.events()).To(HaveLen(2))
		dead.setErr(nil)
		e.Deliver(ctx)
		Expect(dead.events()).To(BeEmpty(), "backing off")
		clk.Advance(10 * time.Second)
		e.Deliver(ctx)
		Expect(dead.events()).To(Equal([]string{"firing SwarmlinkCheckFailed db", "resolved SwarmlinkCheckFailed db"}))
	})
})

package controller_test

import (
	"context"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("Controller", func() {
	var (
		src    *staticSource
		prober *countingProber
		sink   *recordingSink
		clock  *fakeClock
		ctrl   *controller.Controller
		reg    *prometheus.Registry
		ctx    context.Context
	)
	BeforeEach(func() {
		src = &staticSource{}
		prober = &countingProber{runs: map[string]int{}, result: probes.Result{Reachable: true, Cause: probes.CauseOK, Message: "fine"}}
		sink = &recordingSink{}
		clock = newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		reg = prometheus.NewRegistry()
		ctrl = controller.New(controller.Options{Sources: []controller.Source{src},
			Probers: probes.Registry{"fake": prober}, Sink: sink, Clock: clock, Registerer: reg})
		ctx = context.Background()
		DeferCleanup(ctrl.Stop)
	})

	It("starts new checks, stops removed ones, restarts changed ones and leaves the rest alone", func() {
		a, b := check("a", time.Minute), check("b", time.Minute)
		src.set(nil, a, b)
		r := ctrl.Reconcile(ctx)
		Expect(r.Started).To(Equal([]string{"test/a", "test/b"}))
		since := ctrl.Checks()[0].Status.RunningSince

		clock.Advance(time.Second)
		b2 := b
		b2.Spec.Target = "elsewhere"
		src.set(nil, a, b2, check("c", time.Minute))
		r = ctrl.Reconcile(ctx)
		Expect(r.Started).To(Equal([]string{"test/c"}))
		Expect(r.Restarted).To(Equal([]string{"test/b"}))
		Expect(r.Unchanged).To(Equal(1))

		st := ctrl.Checks()
		Expect(st[0].Status.RunningSince).To(Equal(since), "the untouched check keeps its job")
		Expect(st[1].Metadata.Generation).To(BeEquivalentTo(2))
		Expect(st[1].Status.RunningSince).NotTo(Equal(since))

		src.set(nil, b2)
		r = ctrl.Reconcile(ctx)
		Expect(r.Stopped).To(Equal([]string{"test/a", "test/c"}))
		Expect(ctrl.Checks()).To(HaveLen(1))
		Expect(sink.forgotten).To(ConsistOf("test/a", "test/c"))
	})

	It("keeps a failing source's last good checks", func() {
		src.set(nil, check("a", time.Minute))
		ctrl.Reconcile(ctx)
		src.set(errors.New("dns down"))
		r := ctrl.Reconcile(ctx)
		Expect(r.Stopped).To(BeEmpty())
		Expect(ctrl.Checks()).To(HaveLen(1))
		Expect(ctrl.SourceErrors()).To(HaveKeyWithValue("static", "dns down"))
	})

	It("keeps a panicking source's last good checks, counts the panic and keeps reconciling", func() {
		bad := &panickySource{}
		reg = prometheus.NewRegistry()
		ctrl = controller.New(controller.Options{Sources: []controller.Source{src, bad},
			Probers: probes.Registry{"fake": prober}, Sink: sink, Clock: clock, Registerer: reg})
		DeferCleanup(ctrl.Stop)
		src.set(nil, check("a", time.Minute))
		bad.set(false, check("b", time.Minute))
		Expect(ctrl.Reconcile(ctx).Started).To(Equal([]string{"test/a", "test/b"}))

		bad.set(true)
		var r controller.ReconcileResult
		Expect(func() { r = ctrl.Reconcile(ctx) }).NotTo(Panic())
		Expect(r.Stopped).To(BeEmpty())
		Expect(ctrl.Checks()).To(HaveLen(2))
		Expect(ctrl.SourceErrors()).To(HaveKeyWithValue("panicky", "source panicky panicked: source bug"))
		Expect(testutil.ToFloat64(counter(reg, "swarmlink_panics_total"))).To(Equal(1.0))

		By("the loop survives it too, and a later good answer applies")
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- ctrl.Start(runCtx) }()
		Eventually(func() float64 { return testutil.ToFloat64(counter(reg, "swarmlink_panics_total")) }).
			Should(BeNumerically(">=", 2))
		Consistently(done, "100ms").ShouldNot(Receive())
		bad.set(false)
		ctrl.Trigger()
		Eventually(ctrl.SourceErrors).Should(BeEmpty())
		Expect(ctrl.Checks()).To(HaveLen(2))
		cancel()
		Eventually(done).Should(Receive(BeNil()))
	})

	It("runs an interval check at a spread offset, then every interval, and keeps status", func() {
		src.set(nil, check("a", 10*time.Second))
		ctrl.Reconcile(ctx)
		Eventually(clock.Waiters).Should(Equal(1))
		next := ctrl.Checks()[0].Status.NextRun
		Expect(next.Sub(clock.Now())).To(BeNumerically("<", 10*time.Second))
		clock.Advance(10 * time.Second)
		Eventually(func() int { return prober.count("a") }).Should(Equal(1))
		Eventually(clock.Waiters).Should(Equal(1))
		clock.Advance(11 * time.Second)
		Eventually(func() int { return prober.count("a") }).Should(Equal(2))
		Eventually(sink.count).Should(Equal(2))
		st := ctrl.Checks()[0].Status
		Expect(st.Runs).To(BeEquivalentTo(2))
		Expect(st.LastResult.Passed).To(BeTrue())
		Expect(st.Conditions[0]).To(MatchFields2("Ready", "True"))
	})

	It("tracks consecutive failures and conditions", func() {
		prober.result = probes.Result{Reachable: false, Cause: probes.CauseRefused, Message: "refused"}
		src.set(nil, check("a", 10*time.Second))
		ctrl.Reconcile(ctx)
		for i := 1; i <= 3; i++ {
			Eventually(clock.Waiters).Should(Equal(1))
			clock.Advance(11 * time.Second)
			Eventually(func() int64 { return ctrl.Checks()[0].Status.Runs }).Should(BeEquivalentTo(i))
		}
		st := ctrl.Checks()[0].Status
		Expect(st.ConsecutiveFailures).To(Equal(3))
		Expect(st.Conditions[0]).To(MatchFields2("Ready", "False"))
		Expect(st.Conditions[1]).To(MatchFields2("Degraded", "True"))
		Expect(st.Conditions[0].Message).To(ContainSubstring("refused"))
	})

	It("fires a cron check on its schedule in its time zone", func() {
		c := check("nightly", 0)
		c.Cron, c.TimeZone = "0 3 * * *", "Europe/Berlin"
		src.set(nil, c)
		ctrl.Reconcile(ctx)
		Eventually(clock.Waiters).Should(Equal(1))
		// 2026-01-01 00:00 UTC is 01:00 in Berlin: 03:00 Berlin is 02:00 UTC.
		Expect(ctrl.Checks()[0].Status.NextRun).To(BeTemporally("==", time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)))
		clock.Advance(119 * time.Minute)
		Consistently(func() int { return prober.count("nightly") }, "100ms").Should(Equal(0))
		clock.Advance(time.Minute)
		Eventually(func() int { return prober.count("nightly") }).Should(Equal(1))
	})

	It("recovers a panicking probe, counts it and keeps running", func() {
		prober.panic = true
		src.set(nil, check("a", 10*time.Second))
		ctrl.Reconcile(ctx)
		Eventually(clock.Waiters).Should(Equal(1))
		clock.Advance(11 * time.Second)
		Eventually(func() int64 { return ctrl.Checks()[0].Status.Panics }).Should(BeEquivalentTo(1))
		Expect(ctrl.Checks()[0].Status.LastResult.Cause).To(Equal(probes.CauseError))
		Expect(testutil.ToFloat64(counter(reg, "swarmlink_probe_panics_total"))).To(Equal(1.0))
		Eventually(clock.Waiters).Should(Equal(1), "the job goes on")
	})

	It("collapses bursts of triggers", func() {
		src.set(nil, check("a", time.Minute))
		for i := 0; i < 100; i++ {
			ctrl.Trigger()
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = ctrl.Start(runCtx) }()
		Eventually(func() float64 { return testutil.ToFloat64(counter(reg, "swarmlink_reconciles_total")) }).Should(Equal(2.0))
		Consistently(func() float64 { return testutil.ToFloat64(counter(reg, "swarmlink_reconciles_total")) }, "200ms").Should(Equal(2.0))
		cancel()
		<-done
	})

	It("fires named runs on their cron schedule", func() {
		fired := make(chan string, 4)
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			_ = ctrl.RunNamed(runCtx, []controller.NamedRun{{Name: "nightly", Cron: "0 3 * * *", TimeZone: "UTC",
				Run: func(_ context.Context, name string) { fired <- name }}})
		}()
		Eventually(clock.Waiters).Should(Equal(1))
		clock.Advance(3 * time.Hour)
		Eventually(fired).Should(Receive(Equal("nightly")))
		Eventually(clock.Waiters).Should(Equal(1))
		clock.Advance(23 * time.Hour)
		Consistently(fired, "100ms").ShouldNot(Receive())
		clock.Advance(time.Hour)
		Eventually(fired).Should(Receive(Equal("nightly")))
	})
})

// MatchFields2 matches a condition's type and status.
func MatchFields2(typ, status string) OmegaMatcher {
	return And(HaveField("Type", typ), HaveField("Status", status))
}

// counter finds a registered collector by metric name via Gather.
func counter(reg *prometheus.Registry, name string) prometheus.Collector {
	return gathered{reg: reg, name: name}
}

type gathered struct {
	reg  *prometheus.Registry
	name string
}

func (g gathered) Describe(chan<- *prometheus.Desc) {}

func (g gathered) Collect(ch chan<- prometheus.Metric) {
	mfs, _ := g.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == g.name {
			m := mf.GetMetric()[0]
			ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(g.name, "", nil, nil), prometheus.UntypedValue,
				m.GetCounter().GetValue()+m.GetGauge().GetValue())
		}
	}
}

package agent

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// runningStore opens a store in a temporary directory and runs its writer
// until the spec ends; ctx is the writer's.
func runningStore(opts history.Options) (*history.Store, context.Context) {
	GinkgoHelper()
	store, err := history.Open(filepath.Join(GinkgoT().TempDir(), "history.db"), opts, zap.NewNop())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(store.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- store.Start(ctx) }()
	DeferCleanup(func() { cancel(); Eventually(done, "10s").Should(Receive()) })
	return store, ctx
}

var _ = Describe("store faults", func() {
	It("show as Storage=False in the status and in swarmlink_store_errors_total, and clear when writes succeed", func() {
		var broken atomic.Bool
		fault := func(op string) error {
			if broken.Load() && op == history.OpCommit {
				return errors.New("disk full")
			}
			return nil
		}
		store, ctx := runningStore(history.Options{Fault: fault})
		a := &Agent{log: zap.NewNop(), cfg: config.Default(""), store: store,
			ctrl: controller.New(controller.Options{}), started: time.Now()}
		reg := prometheus.NewRegistry()
		reg.MustRegister(newStoreCollector(store))
		storage := func() controller.Condition {
			b, err := json.Marshal(a.status(ctx))
			Expect(err).NotTo(HaveOccurred())
			var st struct{ Conditions []controller.Condition }
			Expect(json.Unmarshal(b, &st)).To(Succeed())
			Expect(st.Conditions).To(HaveLen(1))
			return st.Conditions[0]
		}
		write := func() error {
			Expect(store.Append(ctx, history.Record{Source: "a", Destination: "b", Probe: "p"})).To(Succeed())
			return store.Flush(ctx)
		}
		errorsTotal := func() float64 { return storeErrors(reg, history.OpCommit) }

		Expect(write()).To(Succeed())
		Expect(storage()).To(And(HaveField("Type", "Storage"), HaveField("Status", "True")))

		broken.Store(true)
		before := time.Now()
		Expect(write()).NotTo(Succeed())
		Expect(write()).NotTo(Succeed())
		c := storage()
		Expect(c.Status).To(Equal("False"))
		Expect(c.Reason).To(Equal("WriteFailed"))
		Expect(c.Message).To(Equal("commit: disk full"))
		Expect(c.LastTransitionTime).To(BeTemporally("~", before, time.Second))
		Expect(errorsTotal()).To(Equal(2.0))
		Expect(testutil.GatherAndCount(reg, "swarmlink_store_errors_total")).To(Equal(len(history.Ops)))

		broken.Store(false)
		Expect(write()).To(Succeed())
		Expect(storage().Status).To(Equal("True"))
		Expect(errorsTotal()).To(Equal(2.0), "a counter: it does not go back")
	})
})

// storeErrors is swarmlink_store_errors_total{op} as reg exports it.
func storeErrors(reg *prometheus.Registry, op string) float64 {
	mfs, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, mf := range mfs {
		if mf.GetName() != "swarmlink_store_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == op {
				return m.GetCounter().GetValue()
			}
		}
	}
	Fail("no swarmlink_store_errors_total{op=" + op + "}")
	return 0
}

var _ = Describe("the history sink", func() {
	It("gives the outage a failing result opens this host's evidence, and asks for it only on failures", func() {
		store, ctx := runningStore(history.Options{})
		asked := 0
		ev := &links.HostEvidence{NodeAddr: "10.99.0.11", DataPathPort: 4789}
		sink := historySink{store: store, log: zap.NewNop(), host: func() *links.HostEvidence { asked++; return ev }}
		c := controller.Check{Key: "k", Link: controller.Link{Source: "a", Destination: "b", Path: "overlay",
			Role: links.RoleTCP, Direction: links.Outbound}, Spec: probes.Spec{Name: "overlay-tcp"}}
		sink.Record(ctx, c, probes.Result{Passed: true, Cause: probes.CauseOK, Started: time.Now()})
		Expect(asked).To(BeZero())
		sink.Record(ctx, c, probes.Result{Cause: probes.CauseTimeout, Started: time.Now()})
		Expect(store.Flush(ctx)).To(Succeed())
		ts, err := store.Transitions(ctx, history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(ts).To(HaveLen(1))
		Expect(ts[0].Host).To(Equal(ev))
		Expect(asked).To(Equal(1))
	})
})

package controller_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
)

// The reconcile benchmarks run N checks (N = 100, 1000, 10000) and report
// ns/check besides ns/op: a reconcile that is linear in N has the same
// ns/check at every N, so the figure to read is the ratio of ns/check at
// N=10000 to ns/check at N=100 of the same run.

var benchNs = []int{100, 1000, 10000}

// BenchmarkReconcileUnchanged is the periodic resync: every source returns
// the same N checks the controller already runs.
func BenchmarkReconcileUnchanged(b *testing.B) {
	for _, n := range benchNs {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			src := &benchSource{checks: benchChecks(n)}
			ctrl := benchController(b, src)
			ctx := context.Background()
			if r := ctrl.Reconcile(ctx); len(r.Started) != n {
				b.Fatalf("started %d of %d", len(r.Started), n)
			}
			b.ReportAllocs()
			for b.Loop() {
				if r := ctrl.Reconcile(ctx); r.Unchanged != n {
					b.Fatalf("unchanged %d of %d", r.Unchanged, n)
				}
			}
			reportPerCheck(b, n)
		})
	}
}

// BenchmarkReconcileChanged1Pct is a reconcile where 1% of the N checks
// changed their spec: those jobs are restarted, the rest left alone.
func BenchmarkReconcileChanged1Pct(b *testing.B) {
	for _, n := range benchNs {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			checks := benchChecks(n)
			src := &benchSource{checks: checks}
			ctrl := benchController(b, src)
			ctx := context.Background()
			ctrl.Reconcile(ctx)
			changed := n / 100
			b.ReportAllocs()
			round := 0
			for b.Loop() {
				round++
				for i := range changed {
					checks[i*100].Spec.Target = fmt.Sprintf("127.0.0.1:%d", 1000+round%2)
				}
				if r := ctrl.Reconcile(ctx); len(r.Restarted) != changed {
					b.Fatalf("restarted %d, want %d", len(r.Restarted), changed)
				}
			}
			reportPerCheck(b, n)
		})
	}
}

// BenchmarkChecks is the status snapshot the API serves (/api/v1/checks).
func BenchmarkChecks(b *testing.B) {
	for _, n := range benchNs {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctrl := benchController(b, &benchSource{checks: benchChecks(n)})
			ctrl.Reconcile(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				if got := len(ctrl.Checks()); got != n {
					b.Fatalf("%d checks, want %d", got, n)
				}
			}
			reportPerCheck(b, n)
		})
	}
}

// processCPU is the CPU time (user + system) this process has used. On a
// shared machine it is a steadier figure than the wall time of ns/op.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportPerCheck(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/check")
}

// benchController returns a controller whose jobs never fire (frozenClock),
// stopped when b ends, so that only the reconcile itself is measured.
func benchController(b *testing.B, src controller.Source) *controller.Controller {
	b.Helper()
	ctrl := controller.New(controller.Options{
		Sources: []controller.Source{src},
		Probers: probes.Registry{"fake": probes.ProberFunc(func(context.Context, probes.Spec) probes.Result {
			return probes.Result{Reachable: true, Cause: probes.CauseOK}
		})},
		Clock: frozenClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	})
	b.Cleanup(ctrl.Stop)
	return ctrl
}

// benchSource hands out its slice as is: a real source builds its set
// anew on each call, which is its cost, not the controller's.
type benchSource struct{ checks []controller.Check }

func (s *benchSource) Name() string { return "bench" }

func (s *benchSource) Desired(context.Context) ([]controller.Check, error) { return s.checks, nil }

// benchChecks returns n checks shaped like the mesh source's peer checks.
func benchChecks(n int) []controller.Check {
	out := make([]controller.Check, n)
	for i := range out {
		peer := fmt.Sprintf("node-%d", i)
		out[i] = controller.Check{Key: "mesh/" + peer + "/overlay/tcp", Origin: "mesh",
			Link: controller.Link{Source: "node-0", Destination: peer, Path: "overlay"},
			Spec: probes.Spec{Name: peer + "-overlay-tcp", Kind: "fake", Target: "127.0.0.1:1000",
				Timeout: 5 * time.Second, Expect: probes.ExpectReachable,
				Peer: &probes.PeerOptions{Transport: "tcp", Size: 64, Path: "overlay", Peer: peer}},
			Interval: 30 * time.Second,
			Labels:   map[string]string{"peer": peer, "path": "overlay"},
		}
	}
	return out
}

// frozenClock never advances: After returns a nil channel, which never
// fires, so jobs wait for their context and leave nothing behind.
type frozenClock struct{ t time.Time }

func (c frozenClock) Now() time.Time { return c.t }

func (frozenClock) After(time.Duration) <-chan time.Time { return nil }

// BenchmarkReconcileOneChanged is the common edit: one check of N changed
// its spec. Only that job restarts; the figure to read is ns/op (the whole
// reconcile) at N=10000, which the issue bounds at 10 ms.
func BenchmarkReconcileOneChanged(b *testing.B) {
	for _, n := range benchNs {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			checks := benchChecks(n)
			ctrl := benchController(b, &benchSource{checks: checks})
			ctx := context.Background()
			ctrl.Reconcile(ctx)
			b.ReportAllocs()
			round := 0
			cpu := processCPU()
			for b.Loop() {
				round++
				checks[n/2].Spec.Target = fmt.Sprintf("127.0.0.1:%d", 1000+round%2)
				if r := ctrl.Reconcile(ctx); len(r.Restarted) != 1 {
					b.Fatalf("restarted %d, want 1", len(r.Restarted))
				}
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
			reportPerCheck(b, n)
		})
	}
}

package controller_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/telemetry"
)

// probeInterval is the interval of every check in BenchmarkProbeCPU.
const probeInterval = 10 * time.Second

// BenchmarkProbeCPU runs N TCP checks every 10 s against a loopback
// listener for one whole interval: through the controller (with the metrics
// sink, as an agent runs it), and as two baselines that dial the same N
// targets evenly spread over the interval: "bare", one ticker tick and one
// goroutine per dial, and "pool", the tighter one, a ticker at the
// scheduler's resolution feeding 64 workers (the scheduler's shape without
// heap, status or metrics). It reports CPU per probe (user+system, the
// listener's share included in all), the probes that did not run in the
// interval ("missed"), the p99 lateness (the controller's from its
// histogram's buckets, so an upper bound; the bare loop's exact: on a loaded
// machine its ticker is late too) and VmRSS at the end. Read the ratio
// controller/baseline of cpu-µs/probe of one run; run one case per process
// (-bench 'ProbeCPU/^n=5000$/^controller$') to read its RSS. It takes 10 s
// per case whatever -benchtime says, 20 s for "controller-warm": the
// controller with metrics over its second interval, every check's state
// and series made in the first (an agent runs for days: that is its cost
// per probe; "controller" counts each check's first run, and so the
// making of its series, in every probe).
func BenchmarkProbeCPU(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("n=%d/bare", n), func(b *testing.B) { probeCPU(b, n, bareLoop) })
		b.Run(fmt.Sprintf("n=%d/pool", n), func(b *testing.B) { probeCPU(b, n, poolLoop) })
		b.Run(fmt.Sprintf("n=%d/controller", n), func(b *testing.B) { probeCPU(b, n, controllerLoop(true)) })
		b.Run(fmt.Sprintf("n=%d/controller-nometrics", n), func(b *testing.B) { probeCPU(b, n, controllerLoop(false)) })
		b.Run(fmt.Sprintf("n=%d/controller-warm", n), func(b *testing.B) { probeCPU(b, n, runControllerWarm) })
	}
}

// loopFunc runs n checks against addr for one interval and returns how
// many distinct checks ran, the registry it exported to (or nil) and the
// CPU the process used over the interval. Setting up (building the checks,
// the controller's first reconcile) is left out: over one interval it
// would weigh as much as the runs, over a day nothing.
type loopFunc func(b *testing.B, n int, addr string) (ran int, reg *prometheus.Registry, used time.Duration)

func probeCPU(b *testing.B, n int, loop loopFunc) {
	addr := acceptAndClose(b)
	for b.Loop() {
		ran, reg, used := loop(b, n, addr)
		b.ReportMetric(float64(used.Microseconds())/float64(max(ran, 1)), "cpu-µs/probe")
		b.ReportMetric(float64(n-ran), "missed")
		if reg != nil {
			b.ReportMetric(latenessP99(b, reg).Seconds()*1000, "lateness-p99-ms")
		}
		b.ReportMetric(float64(vmRSS())/1024, "rss-MiB")
	}
}

// bareLoop dials the n targets, one every interval/n from one ticker, each
// dial in its own goroutine so that a slow one does not hold up the rest
// (on a loaded machine a sequential loop falls behind its schedule).
func bareLoop(b *testing.B, n int, addr string) (int, *prometheus.Registry, time.Duration) {
	cpu := processCPU()
	every := probeInterval / time.Duration(n)
	tick := time.NewTicker(every)
	defer tick.Stop()
	var wg sync.WaitGroup
	var failed atomic.Int64
	late := make([]time.Duration, n)
	start := time.Now()
	for i := range n {
		<-tick.C
		late[i] = max(time.Since(start)-time.Duration(i+1)*every, 0)
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				failed.Add(1)
				return
			}
			_ = c.Close()
		})
	}
	wg.Wait()
	used := processCPU() - cpu
	slices.Sort(late)
	b.ReportMetric(float64(late[n*99/100].Microseconds())/1000, "lateness-p99-ms")
	return n - int(failed.Load()), nil, used
}

// poolLoop is the tighter baseline: the scheduler's shape without the
// scheduler. One ticker every controller.DefaultResolution hands the dials
// due in that slot to 64 long-lived workers.
func poolLoop(b *testing.B, n int, addr string) (int, *prometheus.Registry, time.Duration) {
	cpu := processCPU()
	slots := int(probeInterval / controller.DefaultResolution)
	tick := time.NewTicker(controller.DefaultResolution)
	defer tick.Stop()
	work := make(chan struct{}, n)
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 64 {
		wg.Go(func() {
			for range work {
				if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
					_ = c.Close()
					ok.Add(1)
				}
			}
		})
	}
	sent := 0
	for slot := range slots {
		<-tick.C
		for ; sent < (slot+1)*n/slots; sent++ {
			work <- struct{}{}
		}
	}
	close(work)
	wg.Wait()
	return int(ok.Load()), nil, processCPU() - cpu
}

// controllerLoop runs n TCP checks through a controller for one interval
// (every check's first run falls inside it) and counts the checks that ran;
// with metrics, results also go to the telemetry sink, as in an agent.
func controllerLoop(metrics bool) loopFunc {
	return func(b *testing.B, n int, addr string) (int, *prometheus.Registry, time.Duration) {
		return runController(b, n, addr, metrics)
	}
}

func runController(b *testing.B, n int, addr string, metrics bool) (int, *prometheus.Registry, time.Duration) {
	ctrl, reg, sink := tcpController(n, addr, metrics)
	ctx, cancel := context.WithTimeout(context.Background(), probeInterval+probeInterval/50+100*time.Millisecond)
	defer cancel()
	ctrl.Reconcile(ctx) // starts every job; Start's own first reconcile then finds them unchanged
	cpu := processCPU()
	_ = ctrl.Start(ctx)
	return sink.count(), reg, processCPU() - cpu
}

// runControllerWarm is runController with metrics over two intervals,
// measured over the second: the runs then, and the CPU they took.
func runControllerWarm(b *testing.B, n int, addr string) (int, *prometheus.Registry, time.Duration) {
	ctrl, reg, sink := tcpController(n, addr, true)
	margin := probeInterval/50 + 100*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*probeInterval+margin)
	defer cancel()
	ctrl.Reconcile(ctx)
	done := make(chan struct{})
	go func() { _ = ctrl.Start(ctx); close(done) }()
	time.Sleep(probeInterval) // the first runs: every check's first falls before
	cpu, runs := processCPU(), sink.runs.Load()
	time.Sleep(probeInterval) // the second interval: each check runs once
	used, ran := processCPU()-cpu, sink.runs.Load()-runs
	cancel()
	<-done
	return int(ran), reg, used
}

// tcpController is a controller of n TCP checks of addr every
// probeInterval, its registry and its counting sink; with metrics, results
// also go to the telemetry sink, as in an agent.
func tcpController(n int, addr string, metrics bool) (*controller.Controller, *prometheus.Registry, *keySink) {
	reg := prometheus.NewRegistry()
	sink := &keySink{seen: make(map[string]bool, n)}
	checks := make([]controller.Check, n)
	for i := range checks {
		peer := "node-" + strconv.Itoa(i)
		checks[i] = controller.Check{Key: "bench/" + peer + "/tcp", Origin: "bench",
			Link: controller.Link{Source: "node-0", Destination: peer, Path: "overlay"},
			Spec: probes.Spec{Name: "tcp", Kind: probes.KindTCP, Target: addr, Timeout: 5 * time.Second,
				Expect: probes.ExpectReachable},
			Interval: probeInterval}
	}
	sinks := controller.MultiSink{sink}
	if metrics {
		sinks = append(sinks, telemetry.New(reg))
	}
	ctrl := controller.New(controller.Options{Sources: []controller.Source{&benchSource{checks: checks}},
		Probers: probes.Registry{probes.KindTCP: &probes.TCP{}}, Registerer: reg, Sink: sinks})
	return ctrl, reg, sink
}

// keySink counts the distinct checks that passed, and every run.
type keySink struct {
	mu   sync.Mutex
	seen map[string]bool
	runs atomic.Int64
}

func (s *keySink) Record(_ context.Context, c controller.Check, r probes.Result) {
	s.runs.Add(1)
	if r.Passed {
		s.mu.Lock()
		s.seen[c.Key] = true
		s.mu.Unlock()
	}
}

func (s *keySink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// acceptAndClose is a loopback listener that closes what it accepts.
func acceptAndClose(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return ln.Addr().String()
}

// latenessP99 is the upper bound of the lateness bucket holding the 99th
// percentile.
func latenessP99(b *testing.B, reg *prometheus.Registry) time.Duration {
	families, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "swarmlink_schedule_lateness_seconds" {
			return bucketP99(f.GetMetric()[0].GetHistogram())
		}
	}
	return -1
}

func bucketP99(h *dto.Histogram) time.Duration {
	want := float64(h.GetSampleCount()) * 0.99
	for _, bk := range h.GetBucket() {
		if float64(bk.GetCumulativeCount()) >= want {
			return time.Duration(bk.GetUpperBound() * float64(time.Second))
		}
	}
	return time.Duration(1<<63 - 1)
}

// vmRSS is this process's resident set in KiB (0 when unreadable).
func vmRSS() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

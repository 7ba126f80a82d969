package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"
)

// phase is one measured period: its workers, its share of -d, whether it
// is paced by -mixed-rate rather than -rate, and whether abuse runs too.
type phase struct {
	name    string
	share   float64
	workers func(cfg config, t targets) []worker
	mixed   bool
	abuse   bool
}

// phases run in this order. Each comparison is symmetric in time, so that
// a drift (other work on the machine, TIME_WAIT sockets piling up from
// earlier phases) weighs on both sides alike: baseline and responder run
// ABBA, half of -d each, and the abuse phase sits between two halves of its
// reference. Phases of the same name are reported together.
var phases = []phase{
	{"tcp/baseline", 0.5, tcpBaseline, false, false},
	{"tcp/responder", 0.5, tcpResponder, false, false},
	{"tcp/responder", 0.5, tcpResponder, false, false},
	{"tcp/baseline", 0.5, tcpBaseline, false, false},
	{"udp/baseline", 0.5, udpBaseline, false, false},
	{"udp/responder", 0.5, udpResponder, false, false},
	{"udp/responder", 0.5, udpResponder, false, false},
	{"udp/baseline", 0.5, udpBaseline, false, false},
	{"mixed/no-abuse", 0.5, mixed, true, false},
	{"mixed/abuse", 1, mixed, true, true},
	{"mixed/no-abuse", 0.5, mixed, true, false},
}

func tcpBaseline(c config, t targets) []worker {
	return same(c.clients, "tcp", tcpEchoOp(t.tcpEcho, c.size, c.timeout))
}

func tcpResponder(c config, t targets) []worker {
	return same(c.clients, "tcp", proberOp(newProber(t.key), t.responder, "tcp", c.size, c.timeout))
}

func udpBaseline(c config, t targets) []worker {
	return same(c.clients, "udp", udpEchoOp(t.udpEcho, c.size, c.timeout))
}

func udpResponder(c config, t targets) []worker {
	return same(c.clients, "udp", proberOp(newProber(t.key), t.responder, "udp", c.size, c.timeout))
}

// mixed is half the clients on TCP, half on UDP, sharing one prober.
func mixed(c config, t targets) []worker {
	p := newProber(t.key)
	tcp := (c.clients + 1) / 2
	return append(same(tcp, "tcp", proberOp(p, t.responder, "tcp", c.size, c.timeout)),
		same(c.clients-tcp, "udp", proberOp(p, t.responder, "udp", c.size, c.timeout))...)
}

func same(n int, label string, o op) []worker {
	out := make([]worker, n)
	for i := range out {
		out[i] = worker{label: label, op: o}
	}
	return out
}

// result is what the phases of one name measured.
type result struct {
	phase string
	stats map[string]*stats  // by label
	drops map[string]float64 // responder drop counter deltas, by "transport/reason"
	abuse *abuseReport       // only for the abuse phase
}

func (r *result) add(o result) {
	for label, s := range o.stats {
		if _, ok := r.stats[label]; !ok {
			r.stats[label] = newStats()
		}
		r.stats[label].add(s)
	}
	for k, v := range o.drops {
		r.drops[k] += v
	}
	if o.abuse != nil {
		r.abuse = o.abuse
	}
}

// run starts the targets, runs every phase and prints the report.
func run(ctx context.Context, cfg config, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	t, wait, err := startTargets(ctx, cfg.host)
	defer func() { cancel(); wait() }()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "load: responder %s, baselines tcp %s udp %s; %d clients, rate %s (mixed phases %s), "+
		"%s per comparison, %d B payload, GOMAXPROCS %d, TIME_WAIT sockets on the host %d\n",
		t.responder, t.tcpEcho, t.udpEcho, cfg.clients, rateName(cfg.rate), rateName(cfg.mixedRate),
		cfg.phase, cfg.size, runtime.GOMAXPROCS(0), timeWait())
	drive(ctx, min(time.Second, cfg.phase/5), cfg.maxOps, cfg.mixedRate, mixed(cfg, t)) // warm-up, not reported
	var order []string
	results := map[string]*result{}
	for _, p := range phases {
		r, err := runPhase(ctx, cfg, t, p)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("stopped during %s: %w", p.name, ctx.Err())
		}
		if _, ok := results[p.name]; !ok {
			order = append(order, p.name)
			results[p.name] = &result{phase: p.name, stats: map[string]*stats{}, drops: map[string]float64{}}
		}
		results[p.name].add(r)
	}
	report(w, cfg, order, results)
	fmt.Fprintf(w, "TIME_WAIT sockets on the host at the end: %d\n", timeWait())
	return nil
}

func runPhase(ctx context.Context, cfg config, t targets, p phase) (result, error) {
	r := result{phase: p.name}
	before, err := drops(t.reg)
	if err != nil {
		return r, err
	}
	d := time.Duration(p.share * float64(cfg.phase))
	rate := cfg.rate
	if p.mixed {
		rate = cfg.mixedRate
	}
	workers := p.workers(cfg, t)
	if p.abuse {
		r.stats, r.abuse = abusePhase(ctx, cfg, d, rate, t, workers)
	} else {
		r.stats = drive(ctx, d, cfg.maxOps, rate, workers)
	}
	after, err := drops(t.reg)
	if err != nil {
		return r, err
	}
	r.drops = deltas(before, after)
	return r, nil
}

// abuseReport is what the abuse phase adds: what was sent, what the host
// dropped, and the process's memory along the way.
type abuseReport struct {
	sent            *abuseStats
	elapsed         time.Duration
	kernelRcvbufErr int64   // host-wide UDP receive buffer overflows during the phase
	rss             []int64 // VmRSS samples in KiB, every rssEvery
	heapBefore      uint64  // live heap after a GC, before the phase
	heapAfter       uint64  // ... after the phase and a GC
	rssAfterFree    int64   // VmRSS after the phase, a GC and FreeOSMemory
	procs           [2]int  // goroutines before and after
}

const rssEvery = 250 * time.Millisecond

func abusePhase(ctx context.Context, cfg config, d time.Duration, rate int, t targets, workers []worker) (map[string]*stats, *abuseReport) {
	a := &abuseReport{sent: &abuseStats{}, heapBefore: liveHeap(), elapsed: d}
	a.procs[0] = runtime.NumGoroutine()
	snmpBefore := udpSNMP()
	actx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); abuse(actx, cfg, t.responder, a.sent) }()
	sampled := make(chan []int64, 1)
	go func() { sampled <- sampleRSS(actx, rssEvery) }()
	s := drive(ctx, d, cfg.maxOps, rate, workers)
	stop()
	<-done
	a.rss = <-sampled
	a.kernelRcvbufErr = udpSNMP()["RcvbufErrors"] - snmpBefore["RcvbufErrors"]
	a.heapAfter = liveHeap()
	debug.FreeOSMemory()
	a.rssAfterFree = rssKiB()
	a.procs[1] = runtime.NumGoroutine()
	return s, a
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func rateName(rate int) string {
	if rate <= 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%d/s", rate)
}

// budget bounds the whole run: every phase, the warm-up and some slack.
func (c config) budget() time.Duration {
	var shares float64
	for _, p := range phases {
		shares += p.share
	}
	return time.Duration((shares+1)*float64(c.phase)) + 30*time.Second
}

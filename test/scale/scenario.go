package scale

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Run brings up o.K agents, measures them, injects the faults and tears
// everything down, whatever happens. It returns the summary; measurement
// errors are recorded in it, not returned.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	r := &Result{K: o.K, Mode: "full", SubsetK: o.SubsetK, IntervalS: o.Interval.Seconds(),
		TimeoutS: o.Timeout.Seconds(), FaultBoundS: faultBound(o).Seconds(), SettleS: o.Settle.Seconds(),
		AlertBudgetS: alertBudget(o).Seconds(), Machine: machine(), StartedAt: start.UTC().Format(time.RFC3339)}
	if o.SubsetK > 0 {
		r.Mode = "subset"
	}
	if err := os.MkdirAll(filepath.Join(o.Results, "logs"), 0o755); err != nil {
		return nil, err
	}
	if err := Cleanup(ctx); err != nil {
		return nil, err
	}
	defer func() {
		// Teardown runs on a fresh context: ctx may be cancelled already.
		bg := context.Background()
		_ = Cleanup(bg)
		r.Leftovers = Leftovers(bg)
		_ = os.RemoveAll(StateDir)
		r.TotalS = time.Since(start).Seconds()
	}()
	if err := Up(ctx, o.K); err != nil {
		return r, err
	}
	agents, err := StartAgents(ctx, o)
	defer StopAgents(agents)
	if err != nil {
		return r, err
	}
	hook, err := StartHook()
	if err != nil {
		return r, err
	}
	defer hook.Close()
	if err := measure(ctx, o, r, agents, hook, start); err != nil {
		r.Errors = append(r.Errors, err.Error())
	}
	return r, nil
}

// readyBound is how long the agents get to answer /healthz: a minute, and
// half a second more per agent, as K agents at nice 19 start on two cores
// (K=200 had 25 ready after a minute).
func readyBound(k int) time.Duration { return time.Minute + time.Duration(k)*500*time.Millisecond }

// measure is the run proper: ready, healthy, steady window, matrix latency,
// screenshot, then the faults one after another.
func measure(ctx context.Context, o Options, r *Result, agents []*Agent, hook *Hook, start time.Time) error {
	o.logf("%d agents started", len(agents))
	if err := WaitReady(ctx, agents, readyBound(len(agents))); err != nil {
		return err
	}
	r.ReadyS = time.Since(start).Seconds()
	r.HealthyS = -1
	if waitVerdict(ctx, agents[0].URL, "healthy", healthyBound(o)) {
		r.HealthyS = time.Since(start).Seconds()
	}
	o.logf("ready at %.1f s, healthy at %.1f s; measuring %s", r.ReadyS, r.HealthyS, o.Window)
	if err := steady(ctx, o, r, agents); err != nil {
		r.Errors = append(r.Errors, "steady: "+err.Error())
	}
	for _, a := range []*Agent{agents[0], agents[len(agents)/2], agents[len(agents)-1]} {
		r.Matrix = append(r.Matrix, timeMatrix(ctx, a))
	}
	o.logf("matrix timed; screenshot")
	r.Screenshot = "skipped: -screenshot=false"
	if o.Screenshot {
		r.Screenshot = screenshot(ctx, agents[0].URL, filepath.Join(o.Results, "matrix.png"))
	}
	o.logf("faults (bound %s each)", faultBound(o))
	faults(ctx, o, r, agents, hook)
	got, bad := hook.Received()
	writeJSON(filepath.Join(o.Results, "webhook.json"), got)
	r.Alerts, r.BadSigs = map[string]int{}, bad
	for _, g := range got {
		r.Alerts[g.Alert.Name+"/"+g.Alert.Status]++
	}
	return ctx.Err()
}

// waitVerdict polls base's matrix each second until its verdict is want.
func waitVerdict(ctx context.Context, base, want string, bound time.Duration) bool {
	end := time.Now().Add(bound)
	for time.Now().Before(end) {
		if m, _, _, err := matrix(ctx, base); err == nil && m.Verdict == want {
			return true
		}
		if !pause(ctx, time.Second) {
			return false
		}
	}
	return false
}

// pause waits d or until ctx is done; false when ctx is done.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// steady measures every agent over o.Window: CPU and RSS of all from /proc;
// probes, CPU per probe and metric series of o.Sample agents spread over
// the cluster (a starved agent takes seconds to serve /metrics, and 100
// of them outlast any window), the cluster's probes/s extrapolated from them.
func steady(ctx context.Context, o Options, r *Result, agents []*Agent) error {
	sampled := make([]bool, len(agents))
	n := min(max(o.Sample, 1), len(agents))
	for j := range n {
		sampled[j*len(agents)/n] = true
	}
	r.SampledAgents = n
	a, errsA, err := takeSnapshot(ctx, agents, sampled)
	if err != nil {
		return err
	}
	pause(ctx, o.Window)
	b, errsB, err := takeSnapshot(ctx, agents, sampled)
	if err != nil {
		return err
	}
	for _, e := range append(errsA, errsB...) {
		r.Errors = append(r.Errors, "scrape "+e)
	}
	secs := b.at.Sub(a.at).Seconds()
	r.WindowS = secs
	var cpuPer, rss, rate, series, cpuRate, fetchRate, perFetch []float64
	var cpu float64
	for i := range agents {
		if !a.ok[i] || !b.ok[i] {
			continue
		}
		dc := b.procs[i].CPUSeconds - a.procs[i].CPUSeconds
		cpu += dc
		rss = append(rss, float64(b.procs[i].RSSBytes)/(1<<20))
		cpuRate = append(cpuRate, 1000*dc/secs)
		if !sampled[i] {
			continue
		}
		if df := b.scrape[i].Fetches - a.scrape[i].Fetches; df > 0 {
			fetchRate = append(fetchRate, df/secs)
			perFetch = append(perFetch, (b.scrape[i].ViewBytes-a.scrape[i].ViewBytes)/df/1024)
		}
		dp := b.scrape[i].Probes - a.scrape[i].Probes
		if dp > 0 {
			cpuPer = append(cpuPer, 1000*dc/dp)
		}
		rate = append(rate, dp/secs)
		series = append(series, float64(b.scrape[i].Series))
	}
	var sum float64
	for _, x := range rate {
		sum += x
	}
	if len(rate) > 0 {
		r.ProbesPerS = sum * float64(len(agents)) / float64(len(rate))
	}
	r.CPUCores = cpu / secs
	r.PerAgent = Spread{CPUMsPerProbe: spread(cpuPer), RSSMiB: spread(rss), ProbesPerS: spread(rate), Series: spread(series),
		CPUMsPerS: spread(cpuRate), FetchesPerS: spread(fetchRate), KiBPerFetch: spread(perFetch)}
	return nil
}

// timeMatrix GETs a's matrix three times.
func timeMatrix(ctx context.Context, a *Agent) MatrixTiming {
	t := MatrixTiming{Node: nodeName(a.I)}
	for range 3 {
		m, took, n, err := matrix(ctx, a.URL)
		if err != nil {
			t.Error = err.Error()
			return t
		}
		t.MillisS = append(t.MillisS, float64(took.Microseconds())/1000)
		t.Bytes, t.Cells, t.Verdict = n, len(m.Cells), m.Verdict
		if took > 5*time.Second {
			break // once is enough to know it is slow, and keeps the run short
		}
	}
	return t
}

func machine() Machine {
	m := Machine{NProc: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotal = strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load1 = strings.Fields(string(b))[0]
	}
	return m
}

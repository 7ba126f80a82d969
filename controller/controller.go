package controller

import (
	"context"
	"fmt"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/probes"
)

// Options configure a Controller.
type Options struct {
	Sources       []Source
	Probers       probes.Registry
	Sink          Sink // may be nil
	Log           *zap.Logger
	Registerer    prometheus.Registerer // may be nil
	Clock         Clock                 // default RealClock
	Resync        time.Duration         // periodic reconcile even without triggers; default 30s
	MaxConcurrent int                   // probes running at once; default 64
	Resolution    time.Duration         // runs due this close together start on one wake-up; default DefaultResolution, at most MaxResolution
}

// Controller reconciles the desired set of checks into running jobs.
// Its methods are safe for concurrent use.
type Controller struct {
	opts    Options
	log     *zap.Logger
	clock   Clock
	trigger chan struct{}
	sem     chan struct{}
	m       *metrics
	q       *queue

	mu         sync.Mutex
	jobs       map[string]*job
	states     map[string]*checkState
	lastGood   map[string][]Check // per source: its last successful desired set
	sourceErrs map[string]string
	synced     bool // a reconcile has completed

	lastDesired atomic.Int64       // size of the last desired set
	wg          sync.WaitGroup     // the scheduler and its workers
	stopSched   context.CancelFunc // nil while the scheduler does not run
}

// New returns a controller; Start runs it.
func New(opts Options) *Controller {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Resync <= 0 {
		opts.Resync = 30 * time.Second
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 64
	}
	if opts.Resolution <= 0 {
		opts.Resolution = DefaultResolution
	}
	opts.Resolution = min(opts.Resolution, MaxResolution)
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	return &Controller{
		opts: opts, log: opts.Log.With(zap.String("component", "controller")), clock: opts.Clock,
		trigger: make(chan struct{}, 1), sem: make(chan struct{}, opts.MaxConcurrent),
		m: newMetrics(opts.Registerer), q: newQueue(opts.MaxConcurrent), jobs: map[string]*job{}, states: map[string]*checkState{},
		lastGood: map[string][]Check{}, sourceErrs: map[string]string{},
	}
}

// Trigger asks for a reconcile soon. Bursts collapse into one reconcile:
// the channel has capacity 1 and the send never blocks.
func (c *Controller) Trigger() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

// Start reconciles once, then on every trigger and every resync period, and
// blocks until ctx is done; it then stops every job and waits for them.
func (c *Controller) Start(ctx context.Context) error {
	defer c.stopAll()
	c.reconcileLogged(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.trigger:
		case <-c.clock.After(c.opts.Resync):
		}
		c.reconcileLogged(ctx)
	}
}

func (c *Controller) reconcileLogged(ctx context.Context) {
	r := c.Reconcile(ctx)
	if len(r.Started)+len(r.Stopped)+len(r.Restarted) > 0 {
		c.log.Info("reconciled", zap.Int("started", len(r.Started)), zap.Int("stopped", len(r.Stopped)),
			zap.Int("restarted", len(r.Restarted)), zap.Int("unchanged", r.Unchanged))
	}
}

// ReconcileResult says what one reconcile changed, by check key.
type ReconcileResult struct {
	Started, Stopped, Restarted []string
	Unchanged                   int
}

// Reconcile reads every source, builds the whole desired set and makes the
// running jobs match it: it starts new checks, stops removed ones, restarts
// changed ones and leaves unchanged ones alone. A source that fails keeps its
// last good desired set, so a DNS hiccup never stops probes.
func (c *Controller) Reconcile(ctx context.Context) ReconcileResult {
	desired := c.desired(ctx)
	hashes := make(map[string]uint64, len(desired))
	for key, chk := range desired { // outside the lock: status reads and results go on meanwhile
		hashes[key] = chk.digest()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var res ReconcileResult
	for key, j := range c.jobs {
		if _, ok := desired[key]; !ok {
			c.stopJob(j)
			delete(c.jobs, key)
			delete(c.states, key)
			if f, ok := c.opts.Sink.(Forgetter); ok {
				f.Forget(j.check)
			}
			res.Stopped = append(res.Stopped, key)
		}
	}
	for key, chk := range desired {
		hash := hashes[key]
		j, running := c.jobs[key]
		switch {
		case !running:
			c.startJob(ctx, *chk, hash, 1)
			res.Started = append(res.Started, key)
		case j.hash != hash:
			c.stopJob(j)
			c.startJob(ctx, *chk, hash, c.states[key].generation+1)
			res.Restarted = append(res.Restarted, key)
		default:
			res.Unchanged++
		}
	}
	c.m.reconciles.Inc()
	c.m.jobs.Set(float64(len(c.jobs)))
	c.synced = true
	sort.Strings(res.Started)
	sort.Strings(res.Stopped)
	sort.Strings(res.Restarted)
	return res
}

// desired gathers the whole desired set from every source. The checks
// point into the sources' answers, which nobody changes afterwards: a
// reconcile of thousands of checks copies none of them.
func (c *Controller) desired(ctx context.Context) map[string]*Check {
	out := make(map[string]*Check, c.lastDesired.Load()) // sized like the last set: no growth on a resync
	for _, src := range c.opts.Sources {
		checks, err := c.sourceDesired(ctx, src)
		c.mu.Lock()
		if err != nil {
			c.sourceErrs[src.Name()] = err.Error()
			checks = c.lastGood[src.Name()]
			c.log.Warn("source failed; keeping its last good checks", zap.String("source", src.Name()), zap.Error(err))
		} else {
			delete(c.sourceErrs, src.Name())
			c.lastGood[src.Name()] = checks
		}
		c.mu.Unlock()
		for i := range checks {
			chk := &checks[i]
			if _, dup := out[chk.Key]; dup {
				c.log.Warn("duplicate check key; keeping the first", zap.String("key", chk.Key))
				continue
			}
			out[chk.Key] = chk
		}
	}
	c.lastDesired.Store(int64(len(out)))
	return out
}

// sourceDesired calls src.Desired and turns a panic into an error, so that
// a bug in one source keeps its last good checks like any other failure
// instead of stopping the agent.
func (c *Controller) sourceDesired(ctx context.Context, src Source) (checks []Check, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.m.sourcePanics.Inc()
			c.log.Error("source panicked", zap.String("source", src.Name()), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
			checks, err = nil, fmt.Errorf("source %s panicked: %v", src.Name(), p)
		}
	}()
	return src.Desired(ctx)
}

// Checks returns the status of every running check, sorted by key.
func (c *Controller) Checks() []CheckStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]CheckStatus, 0, len(c.states))
	for _, st := range c.states {
		out = append(out, st.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata.Key < out[j].Metadata.Key })
	return out
}

// SourceErrors returns the current error of every failing source.
func (c *Controller) SourceErrors() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.sourceErrs))
	for k, v := range c.sourceErrs {
		out[k] = v
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// Synced reports whether at least one reconcile has completed.
func (c *Controller) Synced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.synced
}

package alert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// Clock is the engine's view of time; controller.Clock has the same shape.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Options configure an Engine.
type Options struct {
	Config     Config                   // the alerting section; defaults are applied by New
	Self       string                   // this agent's name (required)
	Cluster    string                   // the cluster label; default "swarmlink"
	Queue      KV                       // durable delivery queue: the store's QueueBucket (required)
	State      KV                       // alert lifetimes: the store's StateBucket (required)
	Notifiers  []Notifier               // names must be unique
	Clock      Clock                    // default the wall clock
	Log        *zap.Logger              // default no-op
	Registerer prometheus.Registerer    // may be nil
	PeerState  func(dest string) string // "active", "drain", "removed" or ""; nil = all active; drained and removed nodes raise nothing (down is a failure, not a plan)
	Tick       time.Duration            // evaluation and delivery period; default 1s
	RetryMin   time.Duration            // first delivery backoff; default 1s
	RetryMax   time.Duration            // backoff cap; default 5m

	// Tracker holds the link states; default a tracker of the engine's own,
	// fed by Record. Diagnose gives the cluster's diagnosis; default one
	// from the tracker's states alone (this agent's view).
	Tracker  *links.Tracker
	Diagnose func(ctx context.Context) links.Diagnosis
	// Regather, when set, asks for the peers' views to be fetched again
	// now: a new alert fires once views newer than its first sighting
	// still show it. It must not block.
	Regather func()
	// Evaluates, when set and false, says this agent is not one of the
	// cluster's alert evaluators (see Evaluator): it then evaluates only
	// its own user checks, from its own states, and never asks Diagnose,
	// unless a shared alert it fired still fires. At 200 agents a
	// diagnosis each second in every agent was tens of cores.
	Evaluates func() bool
}

// restoreTimeout is how long an alert restored from the store may wait for
// the diagnosis to know its links again before it is resolved as stale.
const restoreTimeout = 10 * time.Minute

// Engine turns probe results into localised alerts and delivers them. It is
// a controller.Sink and controller.Forgetter. All methods are safe for
// concurrent use.
type Engine struct {
	opts  Options
	cfg   Config
	log   *zap.Logger
	clock Clock
	m     *metrics
	q     *queue
	kicks map[string]chan struct{} // per notifier: something was queued

	mu        sync.Mutex
	started   time.Time
	active    map[string]*tracked  // firing alerts by fingerprint
	held      map[string]time.Time // new alerts waiting to settle: when first seen
	rejoined  map[string]time.Time // node → when its host alert resolved (or, for Self, its cut ended)
	wasCutOff bool
	last      links.Diagnosis // the last diagnosis evaluated
}

var (
	_ controller.Sink      = (*Engine)(nil)
	_ controller.Forgetter = (*Engine)(nil)
)

// New validates opts, loads the durable queue and the firing alerts of a
// previous run, and returns an engine; Start runs it.
func New(opts Options) (*Engine, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(opts.Notifiers))
	for _, n := range opts.Notifiers {
		if slices.Contains(names, n.Name()) {
			return nil, fmt.Errorf("alert: duplicate notifier name %q", n.Name())
		}
		names = append(names, n.Name())
	}
	e := &Engine{opts: opts, cfg: opts.Config, log: opts.Log.With(zap.String("component", "alert")),
		clock: opts.Clock, m: newMetrics(opts.Registerer, names), kicks: map[string]chan struct{}{},
		active: map[string]*tracked{}, held: map[string]time.Time{}, rejoined: map[string]time.Time{}}
	for _, n := range names {
		e.kicks[n] = make(chan struct{}, 1)
	}
	e.started = e.clock.Now()
	q, dropped, err := loadQueue(opts.Queue, names, opts.RetryMin, opts.RetryMax)
	if err != nil {
		return nil, err
	}
	if dropped > 0 {
		e.log.Warn("dropped queued notifications of notifiers no longer configured", zap.Int("entries", dropped))
	}
	e.q = q
	if err := e.restore(); err != nil {
		return nil, err
	}
	e.m.queueLength.Set(float64(q.length()))
	return e, nil
}

func checkOptions(o *Options) error {
	switch {
	case o.Self == "":
		return errors.New("alert: Options.Self is required")
	case o.Queue == nil || o.State == nil:
		return errors.New("alert: Options.Queue and Options.State are required")
	}
	o.Config.ApplyDefaults()
	var errs []string
	o.Config.Validate(func(path, format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	})
	if len(errs) > 0 {
		return fmt.Errorf("alert: invalid config: %s", strings.Join(errs, "; "))
	}
	o.Cluster = cmp.Or(o.Cluster, "swarmlink")
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	o.Tick = cmp.Or(o.Tick, time.Second)
	if o.Tracker == nil {
		cfg := o.Config
		o.Tracker = links.NewTracker(links.TrackerOptions{DegradedLoss: cfg.DegradedLossPercent,
			For: func(path, probe string) links.Hysteresis { return links.Hysteresis(cfg.For(path, probe)) }})
	}
	o.RetryMin = cmp.Or(o.RetryMin, time.Second)
	o.RetryMax = max(cmp.Or(o.RetryMax, 5*time.Minute), o.RetryMin)
	return nil
}

// Start evaluates the link states every Tick and delivers queued
// notifications (one goroutine per notifier, so a dead receiver never holds
// up another). The grace period starts now. It blocks until ctx is done.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	e.started = e.clock.Now()
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range e.opts.Notifiers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.deliverLoop(ctx, n)
		}()
	}
	for {
		e.safely("evaluate", func() { e.Evaluate(ctx) })
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-e.clock.After(e.opts.Tick):
		}
	}
}

func (e *Engine) deliverLoop(ctx context.Context, n Notifier) {
	for {
		e.safely("deliver", func() { e.deliver(ctx, n) })
		select {
		case <-ctx.Done():
			return
		case <-e.kicks[n.Name()]:
		case <-e.clock.After(e.opts.Tick):
		}
	}
}

// safely runs fn, recovering and counting a panic so the agent keeps running.
func (e *Engine) safely(what string, fn func()) {
	defer func() {
		if p := recover(); p != nil {
			e.m.panics.Inc()
			e.log.Error("alert engine panicked", zap.String("in", what), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
		}
	}()
	fn()
}

// Record feeds one result into the engine's tracker (only useful when the
// engine owns it: an agent feeds its shared tracker itself).
func (e *Engine) Record(_ context.Context, c controller.Check, r probes.Result) {
	if r.Started.IsZero() {
		r.Started = e.clock.Now()
	}
	e.opts.Tracker.Observe(controller.Sample(c, r))
}

// Forget removes the check's link from the engine's tracker.
func (e *Engine) Forget(c controller.Check) { e.opts.Tracker.Forget(c.LinkKey(), e.clock.Now()) }

// LinkStates returns the tracker's link states, sorted.
func (e *Engine) LinkStates() []LinkState { return e.opts.Tracker.States() }

// Alerts returns the firing alerts, sorted, for the API.
func (e *Engine) Alerts() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Alert, 0, len(e.active))
	for _, t := range e.active {
		out = append(out, t.Alert)
	}
	return sortAlerts(out)
}

// Rejoining lists the nodes whose new alerts wait out the rejoin grace
// (their host alert resolved, or for this node its cut ended, within
// rejoinGrace), with when the grace ends: a fault about them now is
// raised only after that.
func (e *Engine) Rejoining() map[string]time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	out := map[string]time.Time{}
	for n, at := range e.rejoined {
		if until := at.Add(rejoinGrace); now.Before(until) {
			out[n] = until.UTC()
		}
	}
	return out
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

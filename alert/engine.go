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
	"github.com/swarmlink/swarmlink/probes"
)

// Clock is the engine's view of time; controller.Clock has the same shape.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Options configure an Engine.
type Options struct {
	Config      Config                   // the alerting section; defaults are applied by New
	Self        string                   // this agent's name (required)
	Cluster     string                   // the cluster label; default "swarmlink"
	Queue       KV                       // durable delivery queue: the store's QueueBucket (required)
	State       KV                       // alert lifetimes: the store's StateBucket (required)
	Notifiers   []Notifier               // names must be unique
	Clock       Clock                    // default the wall clock
	Log         *zap.Logger              // default no-op
	Registerer  prometheus.Registerer    // may be nil
	PeerState   func(dest string) string // "active", "drain", "down", "removed" or ""; nil = all active; called under the engine's lock: keep it fast
	ClusterView ClusterView              // may be nil: host localisation from this agent's view only
	Tick        time.Duration            // evaluation and delivery period; default 1s
	RetryMin    time.Duration            // first delivery backoff; default 1s
	RetryMax    time.Duration            // backoff cap; default 5m

	// ClusterRefresh is the oldest the cluster view may be when a link is
	// judged; default 10s. Give it the mesh interval: the view says whether
	// a peer still receives our probes, and a stale "yes" holds an alert back.
	ClusterRefresh time.Duration
}

// Internal timings. clusterRefresh is the default of Options.ClusterRefresh;
// restoreTimeout is how long an alert restored from the store may
// wait for its links to report before it is resolved as stale.
const (
	clusterRefresh = 10 * time.Second
	clusterTimeout = 5 * time.Second
	restoreTimeout = 10 * time.Minute
	retireMemory   = time.Hour // stragglers of a retired link arrive within a probe timeout
)

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

	mu       sync.Mutex
	started  time.Time
	links    map[string]*link     // by linkKey
	retired  map[string]time.Time // link key or "peer/"+name -> when it was retired
	active   map[string]*tracked  // firing alerts by fingerprint
	held     map[string]time.Time // new alerts waiting to settle: when first seen
	cluster  []LinkState          // cached cluster view; nil = unavailable
	fetched  time.Time
	fetchErr bool
}

var (
	_ controller.Sink      = (*Engine)(nil)
	_ controller.Forgetter = (*Engine)(nil)
	_ ClusterView          = (*Engine)(nil)
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
		links: map[string]*link{}, retired: map[string]time.Time{}, active: map[string]*tracked{},
		held: map[string]time.Time{}}
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
	o.ClusterRefresh = cmp.Or(o.ClusterRefresh, clusterRefresh)
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

// Record feeds one outbound result into its link's state machine. The
// sender's result of one-way beacons is left out: it only says that they
// were sent (a dropped VXLAN packet leaves no trace at the sender), so it
// would "pass" while the link is dead and hide a host or data-plane fault.
// Their arrival is judged by the receiver (ObserveInbound).
func (e *Engine) Record(_ context.Context, c controller.Check, r probes.Result) {
	if c.Spec.Peer != nil && c.Spec.Peer.OneWay {
		return
	}
	at := r.Started
	if at.IsZero() {
		at = e.clock.Now()
	}
	agent := cmp.Or(c.Link.Source, e.opts.Self)
	e.observe(agent, c.Link.Destination, c.Link.Path, c.Spec.Name, DirectionOutbound, r.Passed,
		string(r.Cause), r.Message, at)
}

// ObserveInbound feeds one inbound observation: whether the probes peer
// should have sent to this agent over path arrived.
func (e *Engine) ObserveInbound(peer, path, probe string, ok bool, at time.Time) {
	cause, msg := "ok", ""
	if !ok {
		cause, msg = "missing", fmt.Sprintf("no %s probe from %s arrived in time", probe, peer)
	}
	e.observe(e.opts.Self, peer, path, probe, DirectionInbound, ok, cause, msg, at)
}

func (e *Engine) observe(agent, peer, path, probe, dir string, ok bool, cause, msg string, at time.Time) {
	key := linkKey(peer, path, probe, dir)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.isRetired(key, peer, dir, at) {
		return // a straggler from before the link was retired
	}
	l, found := e.links[key]
	if !found {
		l = newLink(agent, peer, path, probe, dir, e.cfg.For(path, probe))
		e.links[key] = l
	}
	l.observe(ok, cause, msg, at)
}

func (e *Engine) isRetired(key, peer, dir string, at time.Time) bool {
	if t, ok := e.retired[key]; ok {
		if at.Before(t) {
			return true
		}
		delete(e.retired, key)
	}
	if t, ok := e.retired["peer/"+peer]; ok && dir == DirectionInbound {
		if at.Before(t) {
			return true
		}
		delete(e.retired, "peer/"+peer)
	}
	return false
}

// Forget retires the check's link: its state is dropped, results that
// started before now are ignored, and any alert that rested on it resolves
// at the next evaluation. When it was the last outbound link to its peer,
// the peer's inbound links are retired too.
func (e *Engine) Forget(c controller.Check) {
	peer := c.Link.Destination
	key := linkKey(peer, c.Link.Path, c.Spec.Name, DirectionOutbound)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	delete(e.links, key)
	e.retired[key] = now
	for _, l := range e.links {
		if l.state.Peer == peer && l.state.Direction == DirectionOutbound {
			return
		}
	}
	for k, l := range e.links {
		if l.state.Peer == peer {
			delete(e.links, k)
		}
	}
	e.retired["peer/"+peer] = now
}

// ForgetInbound retires the inbound links from peer over path, when this
// agent no longer expects probes there (the peer gone, or no longer reached
// on that path): their last state would otherwise stand for ever.
func (e *Engine) ForgetInbound(peer, path string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	for k, l := range e.links {
		if l.state.Peer == peer && l.state.Path == path && l.state.Direction == DirectionInbound {
			delete(e.links, k)
			e.retired[k] = now
		}
	}
}

func linkKey(peer, path, probe, dir string) string {
	return strings.Join([]string{peer, path, probe, dir}, "|")
}

// LinkStates returns this agent's link states, sorted; it lets one agent's
// engine be part of another's ClusterView.
func (e *Engine) LinkStates(context.Context) ([]LinkState, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]LinkState, 0, len(e.links))
	for _, l := range e.links {
		out = append(out, l.state)
	}
	sortStates(out)
	return out, nil
}

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

func sortStates(s []LinkState) {
	slices.SortFunc(s, func(a, b LinkState) int {
		return cmp.Or(cmp.Compare(a.Agent, b.Agent), cmp.Compare(a.Peer, b.Peer), cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Probe, b.Probe), cmp.Compare(a.Direction, b.Direction))
	})
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

package agent

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
)

// ownView is this agent's link view right now.
func (a *Agent) ownView() links.View {
	v := links.View{Node: a.current().Agent.Name, Generated: time.Now(), Via: links.ViaSelf, Links: a.tracker.States(),
		Started: a.started}
	if a.mesh == nil {
		return v
	}
	v.Interval = a.cfg.Mesh.Interval
	v.Host, v.DataPathPort = a.hostEvidence(), a.dataPathPort()
	v.MTU = a.mesh.mtus()
	v.Offsets = map[string]float64{}
	for peer, off := range a.mesh.prober.ClockOffsets() {
		v.Offsets[peer] = off.Seconds()
	}
	for _, p := range a.mesh.source.SwarmNodes() {
		if info, ok := nodeInfo(p); ok {
			v.Swarm = append(v.Swarm, info)
		}
	}
	return v
}

// hostEvidence is this host's evidence: interfaces and routes, the node's
// Swarm address and data-path port, its overlays; nil without the mesh.
func (a *Agent) hostEvidence() *links.HostEvidence {
	if a.mesh == nil {
		return nil
	}
	h := a.mesh.evidence.get(time.Now())
	h.NodeAddr, h.DataPathPort, h.Overlays = a.mesh.nodeAddr, a.dataPathPort(), a.mesh.overlays.get()
	*h = h.Bounded()
	return h
}

// dataPathPort is the Swarm's VXLAN port: this node's engine's word (a
// manager's), else the last snapshot's from a manager's agent; 0 unknown.
func (a *Agent) dataPathPort() int {
	if a.mesh.dataPort != 0 || a.swarm == nil {
		return a.mesh.dataPort
	}
	if s, ok := a.swarm.relay.reader.Snapshot(); ok {
		return s.DataPathPort
	}
	return 0
}

// nodeInfo is a peer as Swarm reports it, when discovery asked the engine.
func nodeInfo(p mesh.Peer) (links.NodeInfo, bool) {
	switch p.State {
	case mesh.StateDrain:
		return links.NodeInfo{Name: p.Name, State: "ready", Availability: "drain", Role: p.Role}, true
	case "down", "disconnected", "unknown":
		return links.NodeInfo{Name: p.Name, State: p.State, Availability: "active", Role: p.Role}, true
	case "ready":
		return links.NodeInfo{Name: p.Name, State: "ready", Availability: "active", Role: p.Role}, true
	}
	return links.NodeInfo{}, false
}

// gatherer keeps the last views of every peer, fetched every mesh interval
// over the published (host) path first and the overlay second, so that an
// overlay fault does not blind the agents to each other.
type gatherer struct {
	a       *Agent
	timeout time.Duration          // per peer and path
	kick    chan struct{}          // gather once triggerWait allows
	now     chan struct{}          // gather as soon as the gathering under way is over
	fetches *prometheus.CounterVec // by answer: whole | delta | error
	bytes   prometheus.Counter     // view bodies received
	mu      sync.Mutex
	views   map[string]links.View
	missing map[string]string
	// answered is, per peer, its last view's ViewInfo, Generated being
	// when it came: the election of evaluators reads a view missing for
	// less than electionGrace as there (see evaluator).
	answered map[string]links.ViewInfo
	news     time.Time // when an answer last changed a view
	done     bool      // the first gathering is over
	wholeAt  time.Time // when the last gathering of every peer began
	asked    time.Time // when a client last asked for the diagnosis
	wholeMu  sync.Mutex
	urgent   time.Time // when a peer last went missing or came back, or this agent's own link changed
	// firesShared reports a shared alert this agent fired that still fires
	// (alert.Engine.FiresShared; nil without alerting).
	firesShared func() bool
	// fetchPeer is fetch; a spec counts the fetches under way through it.
	fetchPeer func(context.Context, mesh.Peer) (links.View, bool, error)
	// wake triggers the gathering asked for wakeAt (gatherAt).
	wake   *time.Timer
	wakeAt time.Time
}

func newGatherer(a *Agent) *gatherer {
	// A view is fetched with the mesh's probe timeout (it was at most 2 s:
	// at 50 agents on two cores views of 20–50 KiB took longer, and a
	// cluster of healthy links read as views missing).
	timeout := 2 * time.Second
	if a.mesh != nil {
		timeout = a.cfg.Mesh.Timeout
	}
	g := &gatherer{a: a, timeout: timeout, kick: make(chan struct{}, 1), now: make(chan struct{}, 1), views: map[string]links.View{}, missing: map[string]string{},
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "swarmlink_view_fetches_total",
			Help: "Peers' view fetches by answer: whole (every state), delta (what changed since the view held), error."},
			[]string{"answer"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "swarmlink_view_received_bytes_total",
			Help: "Bytes of peers' view bodies received."})}
	g.fetchPeer = g.fetch
	if a.reg != nil {
		a.reg.MustRegister(g.fetches, g.bytes)
	}
	return g
}

// Start gathers at once, then every mesh interval at a random phase of
// it, until ctx is done, and when triggered, no sooner than triggerWait
// allows.
func (g *gatherer) Start(ctx context.Context) error {
	iv := g.a.cfg.Mesh.Interval
	g.run(ctx, controller.RealClock{}, phasedTicks(ctx, iv, rand.N(max(iv, 1))), g.gather)
	return nil
}

// phasedTicks ticks every interval, the first tick phase after now. The
// agents of a cluster start together (a global service, the harness), and
// each gathering fetches every peer's view: on one phase, every agent
// served and fetched K views in the same second, and at 50 agents on two
// cores views timed out (3 s) in a cluster of healthy links.
func phasedTicks(ctx context.Context, interval, phase time.Duration) <-chan time.Time {
	out := make(chan time.Time, 1)
	go func() {
		select {
		case <-ctx.Done():
			return
		case now := <-time.After(phase):
			out <- now
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				select {
				case out <- now:
				default: // a gathering under way: the next tick will do
				}
			}
		}
	}()
	return out
}

// run is Start's loop: gather, then again at the next tick, or when
// triggered once the floor since the last gathering began has passed (a
// tick during that wait gathers at once). gather returns how many peers it
// asked.
func (g *gatherer) run(ctx context.Context, clk controller.Clock, tick <-chan time.Time, gather func(context.Context) int) {
	for {
		start := clk.Now()
		asked := gather(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-g.now:
		case <-g.kick:
			select {
			case <-ctx.Done():
				return
			case <-tick:
			case <-g.now:
			case <-clk.After(triggerWait(g.a.cfg.Mesh.Interval, asked, clk.Now().Sub(start))):
			}
		}
	}
}

// triggerWait is how long a triggered gathering waits when the last one
// began ago: a gathering is a fetch from each of the peers it asks,
// and under a fault every changed link and every new alert triggers one.
// At 50 agents on two cores, gathering at each trigger kept every agent at
// 10–14 fetches a second and the load it made turned healthy links into
// findings. Triggered gatherings come at most every half interval and
// fetch at most four views a second on average (0.5 s apart at 2 peers,
// 12.25 s at 49); the interval's gathering comes anyway.
func triggerWait(interval time.Duration, peers int, ago time.Duration) time.Duration {
	floor := min(interval/2, time.Duration(peers)*250*time.Millisecond)
	return max(floor-ago, 0)
}

// Trigger asks for a gathering once triggerWait allows; it never blocks.
func (g *gatherer) Trigger() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// TriggerNow asks for a gathering as soon as the one under way is over,
// without triggerWait's floor: the alert engine holds a new alert until
// views generated after it first saw it still show it, and at K=200 the
// floor (50 s at a 120 s interval) came on top of a gathering of 199
// views. It is asked once per new alert, not per changed link.
func (g *gatherer) TriggerNow() {
	select {
	case g.now <- struct{}{}:
	default:
	}
}

// gather fetches the views this agent needs (see scope) and returns how
// many peers it asked; a head gathering that finds this agent an
// evaluator is followed at once by a whole one.
func (g *gatherer) gather(ctx context.Context) int {
	asked, whole := g.gatherScope(ctx, false)
	if !whole && g.wantsAll() {
		more, _ := g.gatherScope(ctx, true)
		asked += more
	}
	return asked
}

// gatherScope fetches every peer's view (whole, or when wantsAll says so)
// or only the head's, and forgets the views of nodes no longer peers. It
// returns how many peers it asked and whether it asked every one.
func (g *gatherer) gatherScope(ctx context.Context, whole bool) (int, bool) {
	g.wholeMu.Lock()
	defer g.wholeMu.Unlock()
	return g.gatherLocked(ctx, whole)
}

// gatherParallel bounds the fetches of one gathering under way at once.
// An evaluator of 200 nodes asked its 199 peers at once: the answers of
// the busy ones came too late, or their connections were reset, and read
// as views missing. A fetch of a healthy peer's delta is a few
// milliseconds, so 8 at a time gathers 200 views in well under a second;
// a peer that does not answer holds one slot for its timeout per path.
const gatherParallel = 8

// gatherLocked is gatherScope with wholeMu held: one gathering at a time.
func (g *gatherer) gatherLocked(ctx context.Context, whole bool) (int, bool) {
	start := time.Now()
	peers := g.a.mesh.source.Peers()
	whole = whole || g.wantsAll()
	asked := g.scope(peers, whole)
	current := names(g.scope(peers, true))
	var wg sync.WaitGroup
	slots := make(chan struct{}, gatherParallel)
	for _, p := range asked {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-slots }()
			v, news, err := g.fetchPeer(ctx, p)
			g.record(p.Name, v, news, err)
		}()
	}
	g.forget(current)
	wg.Wait()
	if !whole {
		g.forget(names(asked)) // holds the head's and the managers' views only
	}
	g.mu.Lock()
	g.done = true
	if whole {
		g.wholeAt = start
	}
	g.mu.Unlock()
	return len(asked), whole
}

// forget drops the views (and the reasons for missing ones) of the nodes
// not in keep.
func (g *gatherer) forget(keep map[string]bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for n := range g.views {
		if !keep[n] {
			delete(g.views, n)
		}
	}
	for n := range g.missing {
		if !keep[n] {
			delete(g.missing, n)
		}
	}
	for n := range g.answered {
		if !keep[n] {
			delete(g.answered, n)
		}
	}
}

func names(peers []mesh.Peer) map[string]bool {
	out := make(map[string]bool, len(peers))
	for _, p := range peers {
		out[p.Name] = true
	}
	return out
}

// evaluator reports whether this agent is one of the alerting.evaluators
// that evaluate the cluster's alerts, from the views gathered
// (alert.Evaluator). Until the first gathering is over it is not: it does
// not know yet, and nothing fires within the grace period anyway.
func (g *gatherer) evaluator() bool {
	self, n := g.a.cfg.Agent.Name, g.a.cfg.Alerting.Evaluators
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.done {
		return false
	}
	now, grace := time.Now(), g.electionGrace()
	views := make(map[string]links.ViewInfo, len(g.views)+1)
	views[self] = links.ViewInfo{Via: links.ViaSelf, Started: g.a.started, Interval: g.a.cfg.Mesh.Interval}
	for name, v := range g.views {
		views[name] = links.ViewInfo{Via: v.Via, Generated: v.Generated, Started: v.Started, Interval: v.Interval}
	}
	for name, info := range g.answered {
		if _, held := views[name]; !held && now.Sub(info.Generated) < grace {
			views[name] = info
		}
	}
	return alert.Evaluator(self, views, now, n)
}

// electionGrace is how long a view that stopped coming still counts in
// the election of evaluators: two gatherings. Under load a few views time
// out at a time; at K=200, each one missing from the head made the next
// node an evaluator, which gathered and diagnosed every view, loading the
// machine further (four evaluators more within two minutes of a cut). An
// evaluator that is really gone is replaced two intervals later; the
// other evaluators go on meanwhile.
func (g *gatherer) electionGrace() time.Duration {
	return 2*max(g.a.cfg.Mesh.Interval, time.Second) + g.timeout
}

// linkChanged is told of every status change of this agent's links. The
// next diagnosis is a new one, and the change asks for fresh views: the
// other nodes' verdicts on the same fault are then seen at once, not an
// interval later. A link's first result that finds it healthy asks for
// none: at start every link does so within an interval, and with K peers
// each such gathering is K fetches (at K=200 the agents did little else).
func (a *Agent) linkChanged(was links.State, now links.LinkState) {
	if a.views == nil {
		return
	}
	a.views.touch()
	if was != links.Unknown || now.Status != links.Healthy {
		a.views.Trigger()
	}
}

// touch marks this agent's own links changed: the next diagnosis is made
// afresh.
func (g *gatherer) touch() {
	g.mu.Lock()
	g.urgent = time.Now()
	g.mu.Unlock()
}

// record keeps one peer's answer as soon as it comes: a peer that does not
// answer (it waits out the timeout on every path) must not hold up the
// views of those that do. Only an answer that brings news (a view whole
// or changed, another path) makes a new diagnosis due, and a peer gone
// missing, back, or failing otherwise makes it due at once: at K peers a
// gathering brings K answers, mostly empty deltas, and each diagnosis is
// O(K²) (see Agent.diagnose).
func (g *gatherer) record(name string, v links.View, news bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old, had := g.views[name]
	why, wasMissing := g.missing[name]
	now := time.Now()
	if err != nil {
		delete(g.views, name)
		g.missing[name] = err.Error()
		if !wasMissing || why != err.Error() {
			g.urgent = now
		}
		return
	}
	delete(g.missing, name)
	g.views[name] = v
	if g.answered == nil {
		g.answered = map[string]links.ViewInfo{}
	}
	g.answered[name] = links.ViewInfo{Via: v.Via, Generated: now, Started: v.Started, Interval: v.Interval}
	switch {
	case wasMissing:
		g.urgent = now
	case news || !had || old.Via != v.Via:
		g.news = now
	}
}

// fetch asks p for its view over the peer protocol (authenticated and
// bound to this request), by the published path first, then the overlay:
// the path being judged is not the one its verdict travels by. It asks
// for what changed since the view it holds of p, and applies that; a
// delta that does not fit the view held is asked again whole. news is
// false for an empty delta: nothing changed since the view held.
func (g *gatherer) fetch(ctx context.Context, p mesh.Peer) (v links.View, news bool, err error) {
	held, from := g.held(p.Name)
	var errs []string
	for _, try := range g.paths(p) {
		v, news, err = g.fetchVia(ctx, try.addr, held, from)
		if errors.Is(err, links.ErrDeltaBase) {
			v, news, err = g.fetchVia(ctx, try.addr, links.View{}, nil)
		}
		if err == nil {
			v.Via = try.via
			return v, news, nil
		}
		errs = append(errs, try.via+": "+err.Error())
	}
	if len(errs) == 0 {
		return links.View{}, false, errors.New("no address known")
	}
	return links.View{}, false, fmt.Errorf("no answer (%s)", strings.Join(errs, "; "))
}

// held is the view of peer the gatherer holds and the request body that
// asks for what changed since (nil: no view held, ask for it whole).
func (g *gatherer) held(peer string) (links.View, []byte) {
	g.mu.Lock()
	v, ok := g.views[peer]
	g.mu.Unlock()
	pos := v.Position()
	if !ok || pos == nil {
		return links.View{}, nil
	}
	b, err := json.Marshal(pos)
	if err != nil {
		return links.View{}, nil
	}
	return v, b
}

// fetchVia fetches one view from addr with the request body from and
// applies it to held; news is false for a delta that carries nothing.
func (g *gatherer) fetchVia(ctx context.Context, addr string, held links.View, from []byte) (links.View, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	raw, err := g.a.mesh.prober.FetchView(ctx, addr, from)
	cancel()
	var v links.View
	if err == nil {
		g.bytes.Add(float64(len(raw)))
		err = json.Unmarshal(raw, &v)
	}
	answer := "whole"
	if err == nil && v.Delta != nil && !v.Delta.Full {
		answer = "delta"
	}
	news := answer == "whole" || len(v.Links) > 0 || len(v.Delta.Removed) > 0
	if err == nil {
		v, err = v.Apply(held)
	}
	if err != nil {
		answer = "error"
	}
	g.fetches.WithLabelValues(answer).Inc()
	return v, news, err
}

type viewPath struct{ via, addr string }

func (g *gatherer) paths(p mesh.Peer) []viewPath {
	var out []viewPath
	if p.UnderlayAddr != "" {
		port := cmp.Or(p.PublishedPort, g.a.cfg.Mesh.PublishedPort, mesh.DefaultPort)
		out = append(out, viewPath{links.ViaPublished, net.JoinHostPort(p.UnderlayAddr, strconv.Itoa(port))})
	}
	if p.OverlayAddr != "" {
		port := cmp.Or(portNumber(g.a.cfg.Mesh.Listen), mesh.DefaultPort)
		out = append(out, viewPath{links.ViaOverlay, net.JoinHostPort(p.OverlayAddr, strconv.Itoa(port))})
	}
	return out
}

// viewJSON is this agent's own view as served to a peer whose request
// body was req: only what changed since the position req names (a delta),
// or the whole view when it names none this agent can answer from.
func (a *Agent) viewJSON(req []byte) []byte {
	v := a.ownView()
	var from *links.Position
	if len(req) > 0 {
		var p links.Position
		if err := json.Unmarshal(req, &p); err == nil {
			from = &p
		}
	}
	var d links.Delta
	v.Links, d = a.mesh.views.Serve(v.Links, from, v.Generated, a.cfg.Mesh.Interval)
	v.Delta = &d
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("encoding own view", zap.Error(err))
		return nil
	}
	return b
}

// diagnose is the one diagnosis, from this agent's fresh view and the
// peers' last gathered ones.
//
// It is reused for a while (a quarter interval, 0.5–5 s: the time a view's
// staleness may take to show) unless something changed since it was made:
// at once when this agent's own links changed or a peer went missing or
// came back, and when a peer's view changed only once the diagnosis is ten
// times as old as it took to make. At 200 nodes one diagnosis costs about
// half a second of CPU, the alert engine asks every second, and with subset
// rotation nearly every view changes every interval: that bounds the
// diagnosis to a tenth of a core.
func (a *Agent) diagnose() links.Diagnosis {
	a.diag.mu.Lock()
	defer a.diag.mu.Unlock()
	if a.diag.at.IsZero() || a.diagDue(time.Since(a.diag.at)) {
		start := time.Now()
		a.diag.last = a.diagnoseNow()
		a.diag.at, a.diag.took = time.Now(), time.Since(start)
	}
	return a.diag.last
}

// diagDue reports whether the diagnosis made age ago is due again.
func (a *Agent) diagDue(age time.Duration) bool {
	news, urgent := a.changedAt()
	return age >= a.diagTTL() || urgent.After(a.diag.at) || (news.After(a.diag.at) && age >= 10*a.diag.took)
}

func (a *Agent) diagTTL() time.Duration {
	if a.mesh == nil {
		return 500 * time.Millisecond
	}
	return min(max(a.cfg.Mesh.Interval/4, 500*time.Millisecond), 5*time.Second)
}

// changedAt is when the peers' views last changed, and when a change that
// makes a new diagnosis due at once last happened.
func (a *Agent) changedAt() (news, urgent time.Time) {
	if a.views == nil {
		return time.Time{}, time.Time{}
	}
	a.views.mu.Lock()
	defer a.views.mu.Unlock()
	return a.views.news, a.views.urgent
}

// diagCache is the last diagnosis and when it was made.
type diagCache struct {
	mu   sync.Mutex
	at   time.Time
	took time.Duration
	last links.Diagnosis
}

func (a *Agent) diagnoseNow() links.Diagnosis {
	in := links.Input{Self: a.current().Agent.Name, Now: time.Now(), Views: map[string]links.View{}, Missing: map[string]string{}}
	own := a.ownView()
	in.Views[own.Node] = own
	in.Nodes = append(in.Nodes, own.Node)
	if a.views != nil {
		a.views.mu.Lock()
		for n, v := range a.views.views {
			in.Views[n] = v
		}
		for n, why := range a.views.missing {
			in.Missing[n] = why
		}
		a.views.mu.Unlock()
		for _, p := range a.mesh.source.Peers() {
			if p.State != mesh.StateDrain {
				in.Nodes = append(in.Nodes, p.Name)
			}
		}
	}
	sort.Strings(in.Nodes)
	if a.views != nil {
		cfg := a.current().Mesh
		a.views.gatherAt(confirmDue(in, cfg.Interval, cfg.Timeout, in.Now))
	}
	d := links.Diagnose(in)
	if d.CutOff {
		a.log.Debug("this node is cut off", zap.Int("peers", len(in.Nodes)-1))
	}
	return d
}

// planned reports a node that is out on purpose, as the views of the
// managers say: drained or paused, or missing from a Swarm node list.
func (g *gatherer) planned(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	listed, lists := false, false
	for _, v := range g.views {
		for _, n := range v.Swarm {
			lists = true
			if n.Name == name {
				if n.Planned() {
					return true
				}
				listed = true
			}
		}
	}
	return lists && !listed
}

package agent

import (
	"cmp"
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// MTU measurement cadence: every path is measured at least every
// mtuRefresh, at once when its large echo begins failing, and again every
// interval while it fails: the direction of a black hole is read from
// these measurements when the echo cannot tell which half was lost.
const (
	mtuRefresh  = 5 * time.Minute
	mtuParallel = 4
	ipUDPHeader = 28 // IPv4 + UDP headers around a measured payload
)

// mtuMeter measures the largest payload that crosses each outbound path to
// every peer (mesh.Prober.MeasureMTU: DF bisection, bounded cost), and
// keeps the results for the agent's view and the path MTU metric.
type mtuMeter struct {
	m     *meshPart
	gauge *prometheus.GaugeVec
	log   *zap.Logger

	running atomic.Bool // one measuring round at a time

	mu   sync.Mutex
	last map[[2]string]links.MTU // (peer, path) → last measurement
	// healed: (peer, path) → when a large echo last finished crossing
	// whole; a short measurement started before then is stale on arrival.
	healed map[[2]string]time.Time
	// failing: the (peer, path)s whose large echoes fail, until one crosses
	// whole again; inflight: the paths being measured now.
	failing  map[[2]string]bool
	inflight map[[2]string]bool
}

func newMTUMeter(m *meshPart, reg prometheus.Registerer) *mtuMeter {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "swarmlink_path_mtu_bytes",
		Help: "Largest IP packet measured to cross from this agent to a peer on a path (DF, bisection)."},
		[]string{"destination", "path"})
	if reg != nil {
		reg.MustRegister(g)
	}
	return &mtuMeter{m: m, gauge: g, log: m.log.With(zap.String("part", "mtu")), last: map[[2]string]links.MTU{},
		healed: map[[2]string]time.Time{}, failing: map[[2]string]bool{}, inflight: map[[2]string]bool{}}
}

// measure runs the due measurements. largeFailing says whether a path's
// large echo currently fails (then it is measured again soon).
func (t *mtuMeter) measure(ctx context.Context, now time.Time, largeFailing func(peer, path string) bool) {
	if !t.running.CompareAndSwap(false, true) {
		return
	}
	defer t.running.Store(false)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(mtuParallel)
	for _, p := range t.m.source.Peers() {
		for _, path := range t.targets(p) {
			if !t.due(p.Name, path.via, now, largeFailing(p.Name, path.via)) {
				continue
			}
			g.Go(func() error {
				t.measureOne(ctx, p.Name, path, now)
				return nil
			})
		}
	}
	_ = g.Wait()
}

func (t *mtuMeter) due(peer, path string, now time.Time, failing bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	last, ok := t.last[[2]string{peer, path}]
	age := now.Sub(last.Measured)
	return !ok || age >= mtuRefresh || (failing && age >= t.m.cfg.Interval)
}

func (t *mtuMeter) measureOne(ctx context.Context, peer string, path viewPath, now time.Time) {
	if !t.claim(peer, path.via) {
		return // a measurement of it is under way (the sweep's, or one a failure began)
	}
	defer t.release(peer, path.via)
	// A bisection needs several round trips: give it up to an interval (at
	// least the probe timeout, at most 5 s); a search cut short is dropped.
	ctx, cancel := context.WithTimeout(ctx, max(t.m.cfg.Timeout, min(t.m.cfg.Interval, 5*time.Second)))
	defer cancel()
	ifMTU := localMTU(path.addr)
	ceiling := max(ifMTU-ipUDPHeader, 0)
	if ceiling == 0 {
		ceiling = 1500 - ipUDPHeader
	}
	res, err := t.m.prober.MeasureMTU(ctx, path.addr, ceiling)
	if err != nil || res.Largest == 0 {
		t.log.Debug("mtu measurement failed", zap.String("peer", peer), zap.String("path", path.via), zap.Error(err))
		return
	}
	m := links.MTU{From: t.m.self.Name, To: peer, Path: path.via, Largest: res.Largest, Ceiling: res.Ceiling,
		Probes: res.Probes, Measured: now}
	if path.via == links.PathOverlay {
		m.OverlayMTU = ifMTU
	}
	if !t.keep(m) {
		return
	}
	t.gauge.WithLabelValues(peer, path.via).Set(float64(res.Largest + ipUDPHeader))
}

// targets are the peer's responder addresses per path.
func (t *mtuMeter) targets(p mesh.Peer) []viewPath {
	var out []viewPath
	if p.OverlayAddr != "" {
		out = append(out, viewPath{links.PathOverlay, net.JoinHostPort(p.OverlayAddr, strconv.Itoa(portNumber(t.m.cfg.Listen)))})
	}
	if p.UnderlayAddr != "" {
		port := p.PublishedPort
		if port == 0 {
			port = t.m.cfg.PublishedPort
		}
		if port == 0 {
			port = mesh.DefaultPort
		}
		out = append(out, viewPath{links.PathPublished, net.JoinHostPort(p.UnderlayAddr, strconv.Itoa(port))})
	}
	return out
}

// claim marks peer's path as being measured; false if it already is.
func (t *mtuMeter) claim(peer, path string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{peer, path}
	if t.inflight[k] {
		return false
	}
	t.inflight[k] = true
	return true
}

func (t *mtuMeter) release(peer, path string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.inflight, [2]string{peer, path})
}

// failed notes a large echo to peer on path that failed, begun at started.
// The first failure of an episode has the path measured at once, unless a
// measurement began since: at the next sweep, and after a bisection under
// the black hole, the reading that tells its direction came up to two
// intervals after the echo's second failure, past the e2e suite's three
// intervals for the whole diagnosis on every node.
func (t *mtuMeter) failed(ctx context.Context, peer, path string, started time.Time) {
	if !t.beginsEpisode(peer, path, started) {
		return
	}
	for _, p := range t.m.source.Peers() {
		if p.Name != peer {
			continue
		}
		for _, vp := range t.targets(p) {
			if vp.via == path {
				go t.measureOne(ctx, peer, vp, time.Now())
			}
		}
	}
}

// beginsEpisode records a large-echo failure of peer's path and says
// whether it is the first since the path's echo last crossed whole and no
// measurement has begun since it started.
func (t *mtuMeter) beginsEpisode(peer, path string, started time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{peer, path}
	if t.failing[k] {
		return false
	}
	t.failing[k] = true
	last, ok := t.last[k]
	return !ok || last.Measured.Before(started)
}

// contradict drops a short measurement of peer on path: a large echo has
// just crossed whole both ways, so the black hole it measured is gone. Kept,
// it would confirm the next large-echo failure the wrong way (a black hole
// out of the peer read as one into it) until its next refresh; the path is
// measured afresh at the next sweep instead.
func (t *mtuMeter) contradict(peer, path string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{peer, path}
	t.healed[k] = at
	delete(t.failing, k)
	if m, ok := t.last[k]; ok && !fullMTU(m) {
		delete(t.last, k)
	}
}

// keep stores m unless it is short and a large echo finished crossing
// whole after it began: a bisection under a black hole takes seconds (its
// lost probes time out), and one that outlives the heal is stale on
// arrival.
func (t *mtuMeter) keep(m links.MTU) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{m.To, m.Path}
	if !fullMTU(m) && t.healed[k].After(m.Measured) {
		return false
	}
	t.last[k] = m
	return true
}

// fullMTU: the measurement found no limit below what it tried.
func fullMTU(m links.MTU) bool { return m.Largest+mtuSlack >= m.Ceiling }

// mtuSlack is the bisection's resolution, twice: links judges a
// measurement full with the same slack.
const mtuSlack = 16

// mtuSink passes the large echoes' results to the meter: a passing one
// contradicts a short measurement (mtuMeter.contradict), a failing one may
// have its path measured at once (mtuMeter.failed). It runs before the
// tracker in the fan-out, so no view shows the echo healthy beside the
// stale measurement.
type mtuSink struct{ t *mtuMeter }

var _ controller.Sink = mtuSink{}

func (s mtuSink) Record(ctx context.Context, c controller.Check, r probes.Result) {
	if c.Link.Role != links.RoleLarge || c.Link.Direction != links.Outbound {
		return
	}
	at := cmp.Or(r.Started, time.Now())
	if r.Cause == probes.CauseOK {
		// As of its end: a bisection begun while the echo was on its way
		// (its request held up by the black hole, crossing at the heal) ran
		// partly under the black hole, and kept, it held a black hole
		// out of the peer, begun a second after, read as one into it (CI).
		s.t.contradict(c.Link.Destination, c.Link.Path, at.Add(r.Duration))
		return
	}
	s.t.failed(ctx, c.Link.Destination, c.Link.Path, at)
}

// results are the last measurements, for the view.
func (t *mtuMeter) results() []links.MTU {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]links.MTU, 0, len(t.last))
	for _, m := range t.last {
		out = append(out, m)
	}
	return out
}

// localMTU is the MTU of the interface this host would send to addr from;
// 0 when unknown.
func localMTU(addr string) int {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return 0
	}
	defer c.Close()
	local, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		return 0
	}
	return mtuOf(local.IP.String())
}

// Package telemetry owns swarmlink's result metrics: it is a controller sink
// that turns every probe result into Prometheus series on an injected
// registry. Label sets are bounded (source, destination, path, probe, cause)
// and never carry error strings. It also owns the build's identity (version,
// revision, toolchain) and its swarmlink_build_info gauge.
package telemetry

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
)

var (
	linkLabels = []string{"source", "destination", "path", "probe"}
	// pathLabels are the duration histogram's labels by default: a
	// histogram is 17 series, so one per check would be most of an agent's
	// series; one per path and kind is a constant.
	pathLabels = []string{"source", "path", "kind"}
)

// Options configure Metrics.
type Options struct {
	// PerCheckHistograms labels the duration histogram by link and probe
	// (source, destination, path, probe), as before: 17 series per check
	// instead of 17 per path and kind.
	PerCheckHistograms bool
}

// Metrics is a controller.Sink exporting results. Safe for concurrent use.
//
// Series budget: per check, link_up, check_passed, one results_total per
// cause seen (one while the link is steady) and, for probes that count
// echoes, link_loss_ratio: 3 or 4. The duration histogram adds 17 series
// per (path, kind) the agent probes, whatever the number of checks; with
// PerCheckHistograms, 17 per check.
type Metrics struct {
	up       *prometheus.GaugeVec
	passed   *prometheus.GaugeVec
	duration *prometheus.HistogramVec
	results  *prometheus.CounterVec
	loss     *prometheus.GaugeVec
	perCheck bool

	mu     sync.Mutex
	checks map[string]*series // by check key: each check's series, found once
}

// series are one check's series, looked up once rather than by their label
// values on every result: five look-ups (a hash of the values and a lock
// per vector) were most of what this sink cost a probe, about 20 µs at
// 5000 checks every 10 s (docs/performance.md). link is what they were
// found for: a check whose key now names another link finds them again.
type series struct {
	link     [4]string
	up       prometheus.Gauge
	passed   prometheus.Gauge
	duration prometheus.Observer
	loss     prometheus.Gauge // nil until a result counts echoes, and again after one sent nothing
	results  map[probes.Cause]prometheus.Counter
}

var (
	_ controller.Sink      = (*Metrics)(nil)
	_ controller.Forgetter = (*Metrics)(nil)
)

// New registers the result metrics on reg with the default options.
func New(reg prometheus.Registerer) *Metrics { return NewWith(reg, Options{}) }

// NewWith registers the result metrics on reg.
func NewWith(reg prometheus.Registerer, opts Options) *Metrics {
	durationLabels := pathLabels
	if opts.PerCheckHistograms {
		durationLabels = linkLabels
	}
	m := &Metrics{perCheck: opts.PerCheckHistograms, checks: map[string]*series{},
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "swarmlink_link_up",
			Help: "Whether the link's target answered on the last probe (1) or not (0)."}, linkLabels),
		passed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "swarmlink_check_passed",
			Help: "Whether the last probe matched its expectation (1) or not (0); isolation checks pass when unreachable."}, linkLabels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "swarmlink_probe_duration_seconds",
			Help:    "Probe duration.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, durationLabels),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "swarmlink_probe_results_total",
			Help: "Probe results by cause."}, append(append([]string{}, linkLabels...), "cause")),
		loss: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "swarmlink_link_loss_ratio",
			Help: "Share of echoes lost on the last probe (0 to 1); only for probes that count echoes (udp, icmp, peer)."}, linkLabels),
	}
	reg.MustRegister(m.up, m.passed, m.duration, m.results, m.loss)
	return m
}

func labels(c controller.Check) prometheus.Labels {
	return prometheus.Labels{"source": c.Link.Source, "destination": c.Link.Destination,
		"path": c.Link.Path, "probe": c.Spec.Name}
}

// Record exports one result.
func (m *Metrics) Record(_ context.Context, c controller.Check, r probes.Result) {
	s, results := m.handles(c, r)
	s.up.Set(b2f(r.Reachable))
	s.passed.Set(b2f(r.Passed))
	s.duration.Observe(r.Duration.Seconds())
	if s.loss != nil {
		received := min(max(r.Received, 0), r.Sent)
		s.loss.Set(float64(r.Sent-received) / float64(r.Sent))
	}
	results.Inc()
}

// handles are the series r goes to, a copy of c's (found on its first
// result, and its first with a new cause, then kept until Forget) and its
// counter for r's cause. Their loss gauge is nil unless r counted echoes
// (countsLoss): a result that sent nothing (it failed before the first
// datagram) measured no loss, and its series is dropped rather than left
// at a stale value; link_up says what happened.
func (m *Metrics) handles(c controller.Check, r probes.Result) (series, prometheus.Counter) {
	link := [4]string{c.Link.Source, c.Link.Destination, c.Link.Path, c.Spec.Name}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.checks[c.Key]
	if s == nil || s.link != link {
		s = m.find(c, link)
		m.checks[c.Key] = s
	}
	if countsLoss(c) {
		switch {
		case r.Sent > 0 && s.loss == nil:
			s.loss = m.loss.WithLabelValues(link[:]...)
		case r.Sent <= 0 && s.loss != nil:
			m.loss.DeleteLabelValues(link[:]...)
			s.loss = nil
		}
	}
	counter, ok := s.results[r.Cause]
	if !ok {
		counter = m.results.WithLabelValues(link[0], link[1], link[2], link[3], string(r.Cause))
		s.results[r.Cause] = counter
	}
	return *s, counter
}

// find looks up c's series by their label values. The duration histogram
// is, by default, its path and kind's, which other checks share and Forget
// leaves alone.
func (m *Metrics) find(c controller.Check, link [4]string) *series {
	s := &series{link: link, up: m.up.WithLabelValues(link[:]...), passed: m.passed.WithLabelValues(link[:]...),
		results: map[probes.Cause]prometheus.Counter{}}
	if m.perCheck {
		s.duration = m.duration.WithLabelValues(link[:]...)
	} else {
		s.duration = m.duration.WithLabelValues(c.Link.Source, c.Link.Path, string(c.Spec.Kind))
	}
	return s
}

// Forget deletes the series of a check that no longer runs, so that retired
// peers leave the live view (their history stays in the store).
func (m *Metrics) Forget(c controller.Check) {
	m.mu.Lock()
	delete(m.checks, c.Key)
	m.mu.Unlock()
	l := labels(c)
	m.up.Delete(l)
	m.passed.Delete(l)
	if m.perCheck {
		m.duration.Delete(l)
	}
	m.loss.Delete(l)
	m.results.DeletePartialMatch(l)
}

// countsLoss: c's results say how many echoes were lost. One-way beacons
// are never answered, so their Received says nothing about loss; the
// receiver judges them.
func countsLoss(c controller.Check) bool { return c.Spec.Peer == nil || !c.Spec.Peer.OneWay }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

package controller

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmlink/swarmlink/internal/panics"
)

type metrics struct {
	reconciles prometheus.Counter
	jobs       prometheus.Gauge
	panics     prometheus.Counter
	// lateness is how long after its due time a run started: the
	// scheduler's own cost shows here first.
	lateness prometheus.Histogram
	// sourcePanics is swarmlink_panics_total{component="source"}: Desired
	// calls that panicked.
	sourcePanics prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		reconciles: prometheus.NewCounter(prometheus.CounterOpts{Name: "swarmlink_reconciles_total",
			Help: "Reconciles of the desired set of checks."}),
		jobs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "swarmlink_checks_running",
			Help: "Check jobs currently scheduled."}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{Name: "swarmlink_probe_panics_total",
			Help: "Probe runs that panicked and were recovered."}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "swarmlink_schedule_lateness_seconds",
			Help:    "How long after its due time a check run started (0 when started early, within the scheduler's resolution).",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, 1, 5}}),
	}
	m.sourcePanics = panics.Counter(reg).WithLabelValues("source")
	if reg != nil {
		reg.MustRegister(m.reconciles, m.jobs, m.panics, m.lateness)
	}
	return m
}

package controller

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmlink/swarmlink/internal/panics"
)

type metrics struct {
	reconciles prometheus.Counter
	jobs       prometheus.Gauge
	panics     prometheus.Counter
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
	}
	m.sourcePanics = panics.Counter(reg).WithLabelValues("source")
	if reg != nil {
		reg.MustRegister(m.reconciles, m.jobs, m.panics)
	}
	return m
}

// Package panics owns the swarmlink_panics_total counter: the panics that
// were recovered, by component, so that one bad input never stops the agent
// yet is never silent either.
package panics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Counter returns swarmlink_panics_total{component} registered on reg. Every
// part of the agent calls it with the same registry and gets the same
// counter: a second registration returns the first one. reg may be nil (an
// unregistered counter).
func Counter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "swarmlink_panics_total",
		Help: "Panics recovered outside probe runs, by component (config reload, controller source...)."},
		[]string{"component"})
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
		panic(err) // a programming error, like MustRegister
	}
	return c
}

package config

import "time"

// swarm validates the swarm section whether or not it is enabled: its
// values also apply when labels are on by default.
func (v *validator) swarm(s *Swarm) {
	v.timing("swarm", s.Interval, s.Timeout, s.Refresh)
	v.hostPort("swarm.resolver", s.Resolver, false)
}

// LabelsEnabled reports whether label checks are on: as configured, or,
// when unset, whether a Docker engine answers (dockerUp).
func (s Swarm) LabelsEnabled(dockerUp bool) bool {
	if s.Labels == nil {
		return dockerUp
	}
	return *s.Labels
}

// timing bounds a section's interval, timeout (at most the interval) and
// refresh, under prefix.
func (v *validator) timing(prefix string, interval, timeout, refresh time.Duration) {
	v.durationIn(prefix+".interval", interval, MinInterval, MaxInterval)
	v.durationIn(prefix+".timeout", timeout, MinTimeout, MaxTimeout)
	if timeout > interval {
		v.errf(prefix+".timeout", "timeout %s is longer than interval %s: timeout must be <= interval", timeout, interval)
	}
	v.durationIn(prefix+".refresh", refresh, MinRefresh, MaxRefresh)
}

package config

// swarm validates the swarm section whether or not it is enabled: its
// values also apply when labels are on by default.
func (v *validator) swarm(s *Swarm) {
	v.durationIn("swarm.interval", s.Interval, MinInterval, MaxInterval)
	v.durationIn("swarm.timeout", s.Timeout, MinTimeout, MaxTimeout)
	if s.Timeout > s.Interval {
		v.errf("swarm.timeout", "timeout %s is longer than interval %s: timeout must be <= interval", s.Timeout, s.Interval)
	}
	v.durationIn("swarm.refresh", s.Refresh, MinRefresh, MaxRefresh)
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

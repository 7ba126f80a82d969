package config

import (
	"context"
	"net"
	"net/url"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
)

// PathDirect is the path of user-declared checks.
const PathDirect = "direct"

// Checks turns the config's probes into controller checks for agent self.
func (c *Config) Checks(self string) []controller.Check {
	out := make([]controller.Check, 0, len(c.Probes))
	for _, p := range c.Probes {
		out = append(out, controller.Check{
			Key:      "config/" + p.Name,
			Origin:   "config",
			Link:     controller.Link{Source: self, Destination: p.destination(), Path: PathDirect},
			Spec:     p.Spec(),
			Interval: p.Interval,
			Cron:     p.Schedule,
			TimeZone: c.Agent.TimeZone,
			Labels:   p.Labels,
		})
	}
	return out
}

// Spec is the probe's run-once specification.
func (p Probe) Spec() probes.Spec {
	return probes.Spec{Name: p.Name, Kind: p.Kind, Target: p.Target, Timeout: p.Timeout, Expect: p.Expect,
		TCP: p.TCP, HTTP: p.HTTP, DNS: p.DNS, UDP: p.UDP, ICMP: p.ICMP}
}

// destination is the link's other end: the declared name, else the target's
// host.
func (p Probe) destination() string {
	if p.Destination != "" {
		return p.Destination
	}
	if u, err := url.Parse(p.Target); err == nil && u.Host != "" {
		return u.Hostname()
	}
	if host, _, err := net.SplitHostPort(p.Target); err == nil {
		return host
	}
	return p.Target
}

// Source is the controller source of the config file's checks; it always
// reads the config currently in force.
type Source struct {
	Current func() *Config
}

// Name returns "config".
func (s Source) Name() string { return "config" }

// Desired returns the checks of the current config.
func (s Source) Desired(context.Context) ([]controller.Check, error) {
	c := s.Current()
	return c.Checks(c.Agent.Name), nil
}

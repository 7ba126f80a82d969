package config

import (
	"os"
	"path/filepath"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// Built-in defaults, in one place.
const (
	DefaultListen         = ":9470"
	DefaultMeshListen     = ":9471"
	DefaultMeshPort       = 9471
	DefaultInterval       = 30 * time.Second
	DefaultTimeout        = 5 * time.Second
	DefaultResync         = 30 * time.Second
	DefaultRetention      = 7 * 24 * time.Hour
	DefaultRawRetention   = 15 * time.Minute
	DefaultFlushInterval  = 200 * time.Millisecond
	DefaultResolver       = "127.0.0.11:53"
	DefaultNightly        = "0 3 * * *" // the nightly full verification, in agent.time_zone
	DefaultLargeSize      = 65536
	DefaultUDPCount       = 3
	DefaultMaxPayload     = 64 << 10
	DefaultMeshRefresh    = 15 * time.Second
	DefaultSwarmRefresh   = 15 * time.Second
	DefaultSystemDataDir  = "/var/lib/swarmlink"
	EmbeddedDefaultSource = "<embedded default>"
)

// ApplyDefaults fills every unset value. It is the only place defaults live.
func (c *Config) ApplyDefaults() {
	a := &c.Agent
	a.Name = firstNonEmpty(a.Name, os.Getenv("SWARMLINK_NODE"), hostname())
	a.Listen = firstNonEmpty(a.Listen, DefaultListen)
	a.DataDir = firstNonEmpty(a.DataDir, DefaultDataDir())
	a.LogLevel = firstNonEmpty(a.LogLevel, "info")
	a.TimeZone = firstNonEmpty(a.TimeZone, "UTC")
	a.ResyncInterval = orDuration(a.ResyncInterval, DefaultResync)
	c.Defaults.Interval = orDuration(c.Defaults.Interval, DefaultInterval)
	c.Defaults.Timeout = orDuration(c.Defaults.Timeout, DefaultTimeout)
	c.History.Retention = orDuration(c.History.Retention, DefaultRetention)
	c.History.RawRetention = orDuration(c.History.RawRetention, min(DefaultRawRetention, c.History.Retention))
	c.History.FlushInterval = orDuration(c.History.FlushInterval, DefaultFlushInterval)
	for i := range c.Probes {
		c.probeDefaults(&c.Probes[i])
	}
	if c.Schedules == nil { // absent: the nightly full verification; "schedules: []" turns it off
		c.Schedules = []Schedule{{Name: "nightly", Cron: DefaultNightly}}
	}
	for i := range c.Schedules {
		s := &c.Schedules[i]
		s.TimeZone = firstNonEmpty(s.TimeZone, a.TimeZone)
		s.Run = firstNonEmpty(s.Run, "all")
	}
	c.meshDefaults()
	c.swarmDefaults()
	c.Alerting.ApplyDefaults()
}

func (c *Config) probeDefaults(p *Probe) {
	if p.Schedule == "" {
		p.Interval = orDuration(p.Interval, c.Defaults.Interval)
	}
	if p.Timeout == 0 {
		p.Timeout = c.Defaults.Timeout
		if p.Interval > 0 && p.Timeout > p.Interval {
			p.Timeout = p.Interval // a default never makes a valid probe invalid
		}
	}
	if p.Expect == "" {
		p.Expect = probes.ExpectReachable
	}
}

func (c *Config) meshDefaults() {
	m := &c.Mesh
	m.Resolver = firstNonEmpty(m.Resolver, DefaultResolver)
	m.Listen = firstNonEmpty(m.Listen, DefaultMeshListen)
	if m.PublishedPort == 0 {
		m.PublishedPort = DefaultMeshPort
	}
	m.Interval = orDuration(m.Interval, c.Defaults.Interval)
	m.Timeout = orDuration(m.Timeout, min(c.Defaults.Timeout, m.Interval))
	if m.LargeSize == 0 {
		m.LargeSize = DefaultLargeSize
	}
	if m.UDPCount == 0 {
		m.UDPCount = DefaultUDPCount
	}
	if m.MaxPayload == 0 {
		m.MaxPayload = DefaultMaxPayload
	}
	m.Refresh = orDuration(m.Refresh, DefaultMeshRefresh)
	if m.OneWay == nil {
		on := true
		m.OneWay = &on
	}
	for i := range m.Static {
		if m.Static[i].Port == 0 {
			m.Static[i].Port = m.PublishedPort
		}
	}
}

// swarmDefaults leaves Labels unset: "on when a Docker engine answers" is
// decided by the agent, which knows whether one does.
func (c *Config) swarmDefaults() {
	s := &c.Swarm
	s.Interval = orDuration(s.Interval, c.Defaults.Interval)
	s.Timeout = orDuration(s.Timeout, min(c.Defaults.Timeout, s.Interval))
	s.Refresh = orDuration(s.Refresh, DefaultSwarmRefresh)
	s.Resolver = firstNonEmpty(s.Resolver, DefaultResolver)
}

// DefaultDataDir is /var/lib/swarmlink when it can be written, else a
// per-user state directory, so a newcomer's first run works without root.
func DefaultDataDir() string {
	if err := os.MkdirAll(DefaultSystemDataDir, 0o700); err == nil {
		if f, err := os.CreateTemp(DefaultSystemDataDir, ".probe"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return DefaultSystemDataDir
		}
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "swarmlink")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "swarmlink")
	}
	return filepath.Join(os.TempDir(), "swarmlink")
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "swarmlink"
	}
	return h
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func orDuration(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

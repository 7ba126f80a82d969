package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/swarmlink/swarmlink/controller"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// validator checks semantic rules after defaults; errors point at the line
// where the offending field was written (or its parent when it was not).
type validator struct {
	d *decoder
}

func (v *validator) errf(path, format string, args ...any) {
	if v.d.decodeFailed(path) {
		return
	}
	p, ok := v.d.lines[path]
	for parent := path; !ok && parent != ""; {
		parent = parentPath(parent)
		p, ok = v.d.lines[parent]
	}
	v.d.errs = append(v.d.errs, FieldError{File: v.d.file, Line: p.line, Column: p.col,
		Path: path, Msg: fmt.Sprintf(format, args...)})
}

func parentPath(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' || p[i] == '[' {
			return p[:i]
		}
	}
	return ""
}

func (v *validator) config(c *Config) {
	v.agent(&c.Agent)
	v.defaults(c)
	seen := map[string]int{}
	for i := range c.Probes {
		path := fmt.Sprintf("probes[%d]", i)
		p := &c.Probes[i]
		if j, dup := seen[p.Name]; dup && p.Name != "" {
			v.errf(path+".name", "duplicate probe name %q (also probes[%d])", p.Name, j)
		}
		seen[p.Name] = i
		v.probe(path, p)
	}
	for i, s := range c.Schedules {
		path := fmt.Sprintf("schedules[%d]", i)
		v.name(path+".name", s.Name)
		v.cron(path+".cron", s.Cron, s.TimeZone, true)
		if s.Run != "all" {
			v.errf(path+".run", "invalid value %q: expected \"all\"", s.Run)
		}
	}
	v.mesh(&c.Mesh)
	v.swarm(&c.Swarm)
	if c.Alerting.Enabled {
		c.Alerting.Validate(func(path, format string, args ...any) { v.errf(join("alerting", path), format, args...) })
	}
}

func (v *validator) agent(a *Agent) {
	v.hostPort("agent.listen", a.Listen, true)
	switch a.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		v.errf("agent.log_level", "invalid value %q: expected debug, info, warn or error", a.LogLevel)
	}
	if _, err := time.LoadLocation(a.TimeZone); err != nil {
		v.errf("agent.time_zone", "unknown time zone %q: expected an IANA name such as UTC or Europe/Berlin", a.TimeZone)
	}
	v.durationIn("agent.resync_interval", a.ResyncInterval, MinRefresh, MaxRefresh)
}

func (v *validator) defaults(c *Config) {
	v.durationIn("defaults.interval", c.Defaults.Interval, MinInterval, MaxInterval)
	v.durationIn("defaults.timeout", c.Defaults.Timeout, MinTimeout, MaxTimeout)
	v.durationIn("history.retention", c.History.Retention, MinRetention, MaxRetention)
	v.durationIn("history.raw_retention", c.History.RawRetention, MinRetention, MaxRetention)
	if h := c.History; h.RawRetention > h.Retention && h.Retention > 0 {
		v.errf("history.raw_retention", "duration %s is longer than history.retention (%s): raw results cannot outlive the rollups made of them",
			h.RawRetention, h.Retention)
	}
	v.durationIn("history.flush_interval", c.History.FlushInterval, MinFlushInterval, MaxFlushInterval)
}

func (v *validator) name(path, name string) {
	if !nameRE.MatchString(name) {
		v.errf(path, "invalid name %q: expected 1-63 characters of letters, digits, '_', '.', '-'", name)
	}
}

func (v *validator) cron(path, spec, tz string, required bool) {
	if spec == "" {
		if required {
			v.errf(path, "missing cron schedule: expected e.g. \"0 3 * * *\"")
		}
		return
	}
	if _, err := controller.ParseCron(spec); err != nil {
		v.errf(path, "invalid cron schedule %q: %v", spec, err)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		v.errf(path, "unknown time zone %q", tz)
	}
}

func (v *validator) hostPort(path, hp string, allowEmptyHost bool) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		v.errf(path, "invalid address %q: expected host:port", hp)
		return
	}
	if host == "" && !allowEmptyHost {
		v.errf(path, "invalid address %q: missing host", hp)
	}
	lowest := 1
	if allowEmptyHost {
		lowest = 0 // a listen address may ask for any free port
	}
	if n, err := strconv.Atoi(port); err != nil || n < lowest || n > 65535 {
		v.errf(path, "invalid port %q in %q: expected %d-65535", port, hp, lowest)
	}
}

func (v *validator) url(path, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errf(path, "invalid URL %q: expected http://host[:port]/path or https://...", raw)
	}
}

// Package controller owns swarmlink's reconcile loop: sources produce the
// whole desired set of checks, keyed by a stable key; the controller diffs it
// against the running jobs and starts, stops or restarts only what changed,
// schedules each job by interval or cron, and keeps Kubernetes-style status.
//
// The controller knows the probes.Prober interface and its own Source and
// Sink interfaces; it never knows the concrete store, alerter or web server.
package controller

import (
	"context"
	"time"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// Link identifies both ends and the path of a check, as recorded in history
// and exported in metrics. All fields are bounded sets (no error strings).
type Link struct {
	Source      string `json:"source"`      // this agent
	Destination string `json:"destination"` // peer name or target host
	Path        string `json:"path"`        // "direct" for user probes; "overlay" or "published" for mesh paths

	// Role says what the probe measures on the link, Direction which way
	// it looks; empty means a user check (RoleCheck, Outbound).
	Role      links.Role      `json:"role,omitempty"`
	Direction links.Direction `json:"direction,omitempty"`
}

// RoleOrDefault is the link's role, RoleCheck when none is set.
func (l Link) RoleOrDefault() links.Role {
	if l.Role == "" {
		return links.RoleCheck
	}
	return l.Role
}

// DirectionOrDefault is the link's direction, Outbound when none is set.
func (l Link) DirectionOrDefault() links.Direction {
	if l.Direction == "" {
		return links.Outbound
	}
	return l.Direction
}

// Check is one desired, schedulable probe: the unit the controller reconciles.
type Check struct {
	Key      string            `json:"key"`    // stable identity, unique in the desired set
	Origin   string            `json:"origin"` // which source produced it ("config", "mesh", "labels")
	Link     Link              `json:"link"`
	Spec     probes.Spec       `json:"spec"`
	Interval time.Duration     `json:"interval,omitempty"` // run every Interval (spread + jitter)...
	Cron     string            `json:"cron,omitempty"`     // ...or on this cron schedule (robfig/cron, optional seconds)
	TimeZone string            `json:"time_zone,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
}

// Source produces part of the desired set. Desired returns the whole set the
// source wants right now (not a delta); it is called on every reconcile.
type Source interface {
	Name() string
	Desired(ctx context.Context) ([]Check, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc struct {
	SourceName string
	Fn         func(ctx context.Context) ([]Check, error)
}

// Name returns the source's name.
func (s SourceFunc) Name() string { return s.SourceName }

// Desired calls the function.
func (s SourceFunc) Desired(ctx context.Context) ([]Check, error) { return s.Fn(ctx) }

// Sink receives every result. Implementations (history, metrics, alerting)
// must be safe for concurrent use and must not block for long.
type Sink interface {
	Record(ctx context.Context, c Check, r probes.Result)
}

// Forgetter is implemented by sinks that keep per-check state (metric
// series) and want to drop it when a check stops running.
type Forgetter interface {
	Forget(c Check)
}

// MultiSink fans every result out to several sinks.
type MultiSink []Sink

// Record calls every sink in order.
func (m MultiSink) Record(ctx context.Context, c Check, r probes.Result) {
	for _, s := range m {
		s.Record(ctx, c, r)
	}
}

// Forget calls every sink that is a Forgetter.
func (m MultiSink) Forget(c Check) {
	for _, s := range m {
		if f, ok := s.(Forgetter); ok {
			f.Forget(c)
		}
	}
}

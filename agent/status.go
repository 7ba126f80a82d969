package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/swarm"
)

// Status is the /api/v1/status document.
type Status struct {
	Name          string              `json:"name"`
	Version       string              `json:"version"`
	Started       time.Time           `json:"started"`
	UptimeSeconds float64             `json:"uptime_seconds"`
	Config        config.ReloadStatus `json:"config"`
	SourceErrors  map[string]string   `json:"source_errors,omitempty"`
	LabelErrors   []swarm.LabelError  `json:"label_errors,omitempty"` // swarmlink.* labels skipped or ignored
	// SwarmRelay says where this agent's view of the Swarm comes from: its
	// own engine (a manager) or a manager's agent (a worker), and whether
	// the last sync failed (the last good snapshot then stays in use).
	SwarmRelay *SwarmRelayStatus `json:"swarm_relay,omitempty"`
	Checks     CheckCounts       `json:"checks"`
	// Conditions are the agent's own health: Storage is False while writes
	// to the history store fail (its message is the last error, its
	// lastTransitionTime when they began failing).
	Conditions []controller.Condition `json:"conditions"`
}

// ConditionStorage is the condition of the history store's writes.
const ConditionStorage = "Storage"

// storageCondition is Storage=True while the store's writes succeed, False
// with the last error since the first failure otherwise.
func storageCondition(h history.Health) controller.Condition {
	if h.OK {
		return controller.Condition{Type: ConditionStorage, Status: "True", Reason: "WritesSucceed",
			Message: "history store writes succeed", LastTransitionTime: h.Since}
	}
	return controller.Condition{Type: ConditionStorage, Status: "False", Reason: "WriteFailed",
		Message:            fmt.Sprintf("%s: %s", h.Op, h.LastError),
		LastTransitionTime: h.Since}
}

// CheckCounts summarises the checks by state.
type CheckCounts struct {
	Total   int `json:"total"`
	Passing int `json:"passing"`
	Failing int `json:"failing"`
	Pending int `json:"pending"`
}

func (a *Agent) status(context.Context) any {
	s := Status{Name: a.current().Agent.Name, Version: a.opts.Version, Started: a.started,
		UptimeSeconds: time.Since(a.started).Seconds(), SourceErrors: a.ctrl.SourceErrors(),
		Conditions: []controller.Condition{storageCondition(a.store.Health())}}
	if a.swarm != nil {
		s.LabelErrors = a.swarm.labelErrors()
		rs := a.swarm.relay.Status()
		rs.Events = a.swarm.eventStatus()
		s.SwarmRelay = &rs
	}
	if a.watcher != nil {
		s.Config = a.watcher.Status()
	} else {
		s.Config = config.ReloadStatus{File: config.EmbeddedDefaultSource, Successful: true, Generation: 1}
	}
	for _, c := range a.ctrl.Checks() {
		s.Checks.Total++
		switch r := c.Status.LastResult; {
		case r == nil:
			s.Checks.Pending++
		case r.Passed:
			s.Checks.Passing++
		default:
			s.Checks.Failing++
		}
	}
	return s
}

// namedRuns are the config's cron-scheduled runs; "all" runs every check
// once and records the results like any other.
func (a *Agent) namedRuns() []controller.NamedRun {
	var runs []controller.NamedRun
	for _, s := range a.cfg.Schedules {
		runs = append(runs, controller.NamedRun{Name: s.Name, Cron: s.Cron, TimeZone: s.TimeZone,
			Run: a.runAll})
	}
	return runs
}

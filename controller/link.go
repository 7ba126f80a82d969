package controller

import (
	"time"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// Sample is a check's result as the agent that holds its link sees it. A
// check without a role is a check of a target: path direct, role check. An
// inbound check's source is the peer, so the holder is its destination.
func Sample(c Check, r probes.Result) links.Sample {
	l := c.Link
	s := links.Sample{Agent: l.Source, Peer: l.Destination, Path: l.Path, Probe: c.Spec.Name,
		Role: l.RoleOrDefault(), Direction: l.DirectionOrDefault(), Passed: r.Passed, Cause: string(r.Cause),
		Message: r.Message, Leg: r.Leg, LossPercent: -1, At: r.Started, Tasks: r.Tasks, TasksUp: r.TasksUp}
	if s.Role == links.RoleCheck {
		s.Path = links.PathDirect
	}
	if s.Direction == links.Inbound {
		s.Agent, s.Peer = l.Destination, l.Source
	}
	if r.Sent > 0 {
		s.LossPercent, s.Sent = r.LossPercent, r.Sent
	}
	if s.At.IsZero() {
		s.At = time.Now()
	}
	return s
}

// LinkKey is the key of the check's link at the agent that holds it.
func (c Check) LinkKey() links.Key { return Sample(c, probes.Result{Started: time.Unix(0, 0)}).Key() }

package agent

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// appendTimeout bounds how long a result may wait for room in the store's
// queue: a sink must never stall the probe jobs.
const appendTimeout = 2 * time.Second

// historySink records every outbound result in the store.
type historySink struct {
	store *history.Store
	log   *zap.Logger
	host  func() *links.HostEvidence // this host's evidence, for the outages a failure opens; nil: none
}

var _ controller.Sink = historySink{}

func (h historySink) Record(ctx context.Context, c controller.Check, r probes.Result) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), appendTimeout)
	defer cancel()
	rec := ToRecord(c, r)
	if !rec.Passed && h.host != nil {
		rec.Host = h.host()
	}
	if err := h.store.Append(ctx, rec); err != nil {
		h.log.Warn("history append failed", zap.String("key", c.Key), zap.Error(err))
	}
}

// Forget ends the open outage of a retired check's link.
func (h historySink) Forget(c controller.Check) {
	series := ToRecord(c, probes.Result{}).SeriesKey()
	if err := h.store.Retire(series, time.Now()); err != nil {
		h.log.Warn("retiring history series", zap.String("key", c.Key), zap.Error(err))
	}
}

// retiringSink passes results to every sink, but forgets a check only when
// its link is really retired (the peer gone or drained, or no longer reached
// on that path): in subset mode the controller stops a peer's checks every
// round that peer is not probed, and that must neither end its outage, nor
// drop its metric series, nor resolve (and re-fire) its alerts.
type retiringSink struct {
	a     *Agent
	sinks controller.MultiSink
}

func (s retiringSink) Record(ctx context.Context, c controller.Check, r probes.Result) {
	s.sinks.Record(ctx, c, r)
}

func (s retiringSink) Forget(c controller.Check) {
	if c.Origin == "mesh" && s.a.mesh != nil && s.a.mesh.source.Probes(c.Link.Destination, c.Link.Path) {
		s.a.tracker.Pause(c.Link.Destination, links.Outbound, true) // rotated out of this round, not retired
		return
	}
	s.sinks.Forget(c)
}

// newTracker is the agent's link tracker, with the alerting section's
// hysteresis (its defaults apply when alerting is off).
// Every status change is told to onChange (see Agent.linkChanged).
func newTracker(cfg alert.Config, onChange func(links.State, links.LinkState)) *links.Tracker {
	cfg.ApplyDefaults()
	return links.NewTracker(links.TrackerOptions{DegradedLoss: cfg.DegradedLossPercent, OnChange: onChange,
		For: func(path, probe string) links.Hysteresis { return links.Hysteresis(cfg.For(path, probe)) }})
}

// ToRecord converts a check result to a history record; the direction is
// the check's (an inbound arrival record has the peer as its source).
func ToRecord(c controller.Check, r probes.Result) history.Record {
	rec := history.Record{
		Time: r.Started, Source: c.Link.Source, Destination: c.Link.Destination, Path: c.Link.Path,
		Probe: c.Spec.Name, Direction: string(c.Link.DirectionOrDefault()), Kind: string(c.Spec.Kind), Passed: r.Passed,
		Reachable: r.Reachable, Cause: string(r.Cause), Message: r.Message,
		DurationSeconds: r.Duration.Seconds(),
	}
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	details := map[string]any{}
	if len(r.Answers) > 0 {
		details["answers"] = r.Answers
	}
	if r.Sent > 0 && c.Link.Role != links.RoleOneWay { // the sender cannot count what arrived
		details["sent"], details["received"], details["loss_percent"] = r.Sent, r.Received, r.LossPercent
		details["rtt_seconds"] = r.RTT.Seconds()
	}
	if r.Leg != "" {
		details["leg"] = r.Leg
	}
	if r.Status != 0 {
		details["status"] = r.Status
	}
	if len(details) > 0 {
		rec.Details = details
	}
	return rec
}

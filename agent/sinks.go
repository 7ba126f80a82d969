package agent

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/probes"
)

// appendTimeout bounds how long a result may wait for room in the store's
// queue: a sink must never stall the probe jobs.
const appendTimeout = 2 * time.Second

// historySink records every outbound result in the store.
type historySink struct {
	store *history.Store
	log   *zap.Logger
}

var _ controller.Sink = historySink{}

func (h historySink) Record(ctx context.Context, c controller.Check, r probes.Result) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), appendTimeout)
	defer cancel()
	if err := h.store.Append(ctx, ToRecord(c, r, "outbound")); err != nil {
		h.log.Warn("history append failed", zap.String("key", c.Key), zap.Error(err))
	}
}

// ToRecord converts a check result to a history record.
func ToRecord(c controller.Check, r probes.Result, direction string) history.Record {
	rec := history.Record{
		Time: r.Started, Source: c.Link.Source, Destination: c.Link.Destination, Path: c.Link.Path,
		Probe: c.Spec.Name, Direction: direction, Kind: string(c.Spec.Kind), Passed: r.Passed,
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
	if r.Sent > 0 {
		details["sent"], details["received"], details["loss_percent"] = r.Sent, r.Received, r.LossPercent
		details["rtt_seconds"] = r.RTT.Seconds()
	}
	if r.Status != 0 {
		details["status"] = r.Status
	}
	if len(details) > 0 {
		rec.Details = details
	}
	return rec
}

package alert

import (
	"context"

	"go.uber.org/zap"
)

// Notifier delivers alerts to one receiver. Notify gets firing and resolved
// alerts in the order they happened and must return an error unless the
// receiver accepted all of them; the engine retries the whole batch.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, alerts []Alert) error
}

// Deduplicator is implemented by notifiers whose receiver deduplicates
// alerts by their labels (Alertmanager). They get every firing alert again
// each resend interval, and shared (host) alerts from every agent. Other
// notifiers get one firing and one resolved message per alert lifetime.
type Deduplicator interface {
	Deduplicates() bool
}

func deduplicates(n Notifier) bool {
	d, ok := n.(Deduplicator)
	return ok && d.Deduplicates()
}

// Deliver sends every notifier's due notifications once; Start does this in
// one goroutine per notifier. Tests call it directly.
func (e *Engine) Deliver(ctx context.Context) {
	for _, n := range e.opts.Notifiers {
		e.deliver(ctx, n)
	}
}

// deliver sends n's first queued notifications, if its backoff allows.
func (e *Engine) deliver(ctx context.Context, n Notifier) {
	name := n.Name()
	batch := e.q.due(name, e.clock.Now())
	if len(batch) == 0 || ctx.Err() != nil {
		return
	}
	alerts := make([]Alert, len(batch))
	for i, en := range batch {
		alerts[i] = en.Alert
	}
	if err := n.Notify(ctx, alerts); err != nil {
		if ctx.Err() != nil {
			return // shutting down: the entries stay queued for the next run
		}
		delay := e.q.failed(name, e.clock.Now())
		e.m.notifications.WithLabelValues(name, "failure").Inc()
		e.log.Warn("notification failed; will retry", zap.String("notifier", name),
			zap.Int("alerts", len(alerts)), zap.Duration("retry_in", delay), zap.Error(err))
		return
	}
	e.m.notifications.WithLabelValues(name, "success").Inc()
	if err := e.q.done(name, batch); err != nil {
		e.log.Error("removing delivered notifications", zap.String("notifier", name), zap.Error(err))
	}
	e.m.queueLength.Set(float64(e.q.length()))
	e.log.Debug("notified", zap.String("notifier", name), zap.Int("alerts", len(alerts)))
}

// suppressed reports a node that is draining or being removed: planned
// work raises nothing. A node that is down is a failure and is not
// suppressed. e.mu is held.
func (e *Engine) suppressed(node string) bool {
	if e.opts.PeerState == nil || node == "" || node == SourceCluster || node == e.opts.Self {
		return false
	}
	s := e.opts.PeerState(node)
	return s == "drain" || s == "removed"
}

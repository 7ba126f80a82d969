package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"go.uber.org/zap"
)

// eventStreamer is the Docker call the swarm part watches: the engine's
// event stream. The Docker SDK's *client.Client satisfies it.
type eventStreamer interface {
	Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error)
}

// swarmEvents are the engine events that can change the swarm checks: a
// service, node or network created, updated or removed (a manager's engine
// streams those for the whole Swarm), and this host's task containers
// started or gone. Health-check execs, the bulk of a busy engine's events,
// are left out.
func swarmEvents() filters.Args {
	f := filters.NewArgs()
	for _, t := range []events.Type{events.ServiceEventType, events.NodeEventType, events.NetworkEventType,
		events.ContainerEventType} {
		f.Add("type", string(t))
	}
	for _, a := range []events.Action{events.ActionCreate, events.ActionUpdate, events.ActionRemove,
		events.ActionStart, events.ActionDie, events.ActionDestroy, events.ActionConnect, events.ActionDisconnect} {
		f.Add("event", string(a))
	}
	return f
}

// eventSettle is how long a burst of events (a service update restarts
// each of its tasks) is let settle before one re-read.
const eventSettle = 500 * time.Millisecond

// eventRetry bounds the wait before the stream is opened again.
const (
	eventRetryMin = time.Second
	eventRetryMax = 30 * time.Second
)

// eventWatch follows the engine's event stream and kicks the swarm part on
// each change; the periodic refresh runs anyway, so a lost stream costs
// latency, not correctness. It reopens a stream that ends, backing off.
type eventWatch struct {
	api  eventStreamer
	log  *zap.Logger
	kick chan struct{} // capacity 1: kicks coalesce

	mu     sync.Mutex
	status EventWatchStatus
}

// EventWatchStatus is the event watch's part of /api/v1/status.
type EventWatchStatus struct {
	Watching bool      `json:"watching"`             // a stream is open
	Seen     uint64    `json:"seen"`                 // events received since the agent started
	Last     time.Time `json:"last,omitzero"`        // when the last one arrived
	Error    string    `json:"error,omitempty"`      // why the last stream ended; the refresh carries on
	Since    time.Time `json:"error_since,omitzero"` // since when streams fail
}

func newEventWatch(api eventStreamer, log *zap.Logger) *eventWatch {
	return &eventWatch{api: api, log: log, kick: make(chan struct{}, 1)}
}

// run follows the stream until ctx is done.
func (w *eventWatch) run(ctx context.Context) {
	wait := eventRetryMin
	for ctx.Err() == nil {
		opened := time.Now()
		err := w.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		w.failed(err)
		if time.Since(opened) > eventRetryMax {
			wait = eventRetryMin // it had been working: retry soon
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, eventRetryMax)
	}
}

// follow reads one stream until it fails or ctx is done.
func (w *eventWatch) follow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := w.api.Events(ctx, events.ListOptions{Filters: swarmEvents()})
	w.setWatching(true)
	defer w.setWatching(false)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			if errors.Is(err, io.EOF) || err == nil {
				return errors.New("docker events: the engine closed the stream")
			}
			return fmt.Errorf("docker events: %w", err)
		case m := <-msgs:
			w.seen(m)
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	}
}

func (w *eventWatch) seen(m events.Message) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status.Seen++
	w.status.Last = time.Now().UTC()
	if w.status.Error != "" {
		w.log.Info("docker events: streaming again", zap.String("after", w.status.Error))
		w.status.Error, w.status.Since = "", time.Time{}
	}
	w.log.Debug("docker event", zap.String("type", string(m.Type)), zap.String("action", string(m.Action)),
		zap.String("actor", m.Actor.ID))
}

func (w *eventWatch) setWatching(on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status.Watching = on
}

func (w *eventWatch) failed(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status.Error == "" {
		w.status.Since = time.Now().UTC()
		w.log.Warn("docker events: stream lost, the periodic refresh carries on", zap.Error(err))
	}
	w.status.Error = err.Error()
}

// Status is the watch's status.
func (w *eventWatch) Status() EventWatchStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

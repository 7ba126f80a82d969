package agent

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/swarm"
)

// swarmDocker is the part of the Docker client the swarm sources use.
type swarmDocker interface {
	dockerAPI
	swarm.ClusterReader
	swarm.ContainerLister
}

// swarmPart is the agent's share of the checks read from the Docker API:
// the label source, the generated swarm checks with their prober, and the
// refresh that re-reads services and tasks.
type swarmPart struct {
	labels  *swarm.LabelSource // nil when label checks are off
	checks  *swarm.Source      // nil when generated checks are off
	prober  *swarm.Prober      // with checks
	refresh time.Duration
	relay   *swarmRelay
	events  *eventWatch // nil when the engine's client cannot stream events
}

// newSwarmPart returns the swarm part the config asks for, or nil: when both
// parts are off, or there is no Docker socket to talk to. Label checks left
// unset are on when the engine answers.
func newSwarmPart(ctx context.Context, a *Agent) *swarmPart {
	cfg := a.cfg.Swarm
	log := a.log.With(zap.String("component", "swarm"))
	explicit := (cfg.Labels != nil && *cfg.Labels) || cfg.Checks
	client, err := dialDocker()
	if err != nil || client == nil {
		if explicit {
			log.Warn("swarm section enabled, but there is no Docker engine to talk to; its checks are off", zap.Error(err))
		}
		return nil
	}
	return newSwarmPartWith(ctx, a, client, log)
}

func newSwarmPartWith(ctx context.Context, a *Agent, d swarmDocker, log *zap.Logger) *swarmPart {
	cfg := a.cfg.Swarm
	_, err := facts(ctx, d)
	labels := cfg.LabelsEnabled(err == nil)
	if !labels && !cfg.Checks {
		return nil
	}
	if err != nil {
		log.Warn("docker engine did not answer; the swarm sources will report it until it does", zap.Error(err))
	}
	self := a.cfg.Agent.Name
	p := &swarmPart{refresh: cfg.Refresh, relay: newSwarmRelay(self, d, log)}
	if es, ok := d.(eventStreamer); ok {
		p.events = newEventWatch(es, log)
	}
	r := p.relay.reader
	if labels {
		p.labels = swarm.NewLabelSource(r, d, swarm.LabelConfig{Self: self, TimeZone: a.cfg.Agent.TimeZone,
			Defaults: swarm.LabelDefaults{Interval: cfg.Interval, Timeout: cfg.Timeout}}, log)
	}
	if cfg.Checks {
		catalog := swarm.NewCatalog()
		p.checks = swarm.NewSource(r, catalog, swarm.Config{Self: self, Interval: cfg.Interval,
			Timeout: cfg.Timeout, Resolver: cfg.Resolver, Containers: d}, log)
		p.prober = &swarm.Prober{Catalog: catalog, Tasks: r}
	}
	log.Info("swarm sources on", zap.Bool("labels", labels), zap.Bool("checks", cfg.Checks))
	return p
}

// sources are the controller sources of the part.
func (p *swarmPart) sources() []controller.Source {
	var out []controller.Source
	if p.labels != nil {
		out = append(out, p.labels)
	}
	if p.checks != nil {
		out = append(out, p.checks)
	}
	return out
}

// register adds the composite swarm kinds to the registry.
func (p *swarmPart) register(r probes.Registry) {
	if p.prober != nil {
		p.prober.Register(r)
	}
}

// labelErrors are the labels both sources skipped or ignored last round.
func (p *swarmPart) labelErrors() []swarm.LabelError {
	var out []swarm.LabelError
	if p.labels != nil {
		out = append(out, p.labels.Errors()...)
	}
	if p.checks != nil {
		out = append(out, p.checks.Errors()...)
	}
	return out
}

// firstSnapshotRetry is how soon a worker's agent asks again for its first
// snapshot.
const firstSnapshotRetry = 2 * time.Second

// triggerer is the controller call the swarm part makes: reconcile soon.
type triggerer interface{ Trigger() }

// Start syncs the relay (a manager's snapshot taken, a worker's fetched)
// and triggers a reconcile on each change the engine's events announce
// (once a burst settles) and every refresh anyway, so that new services,
// tasks and labels are picked up; it blocks until ctx is done.
func (p *swarmPart) Start(ctx context.Context, ctrl triggerer) error {
	var kicks <-chan struct{} // nil: no events, the refresh alone
	if p.events != nil {
		go p.events.run(ctx)
		kicks = p.events.kick
	}
	for {
		if p.relay.sync(ctx, time.Now()) {
			ctrl.Trigger()
		}
		next := p.refresh
		if p.relay.waiting() {
			next = min(next, firstSnapshotRetry)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(next):
		case <-kicks:
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(eventSettle):
			}
			select { // the burst's later kicks are this one
			case <-kicks:
			default:
			}
		}
		ctrl.Trigger()
	}
}

// eventStatus is the event watch's status, nil without one.
func (p *swarmPart) eventStatus() *EventWatchStatus {
	if p.events == nil {
		return nil
	}
	s := p.events.Status()
	return &s
}

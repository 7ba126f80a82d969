package agent

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/api"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
)

// newAlerting builds the alert engine when alerting is enabled (nil else).
func (a *Agent) newAlerting() (*alert.Engine, []alert.Notifier, error) {
	cfg := a.cfg.Alerting
	if !cfg.Enabled {
		return nil, nil, nil
	}
	if cfg.ExternalURL == "" {
		cfg.ExternalURL = a.externalURL()
	}
	notifiers := alert.NewNotifiers(cfg, alert.HTTPOptions{})
	e, err := alert.New(a.alertOptions(cfg, notifiers))
	if err == nil && a.views != nil {
		a.views.firesShared = e.FiresShared
	}
	return e, notifiers, err
}

// alertOptions wires the engine to this agent: its store, tracker and
// diagnosis, and, with the mesh, its gatherer (a new alert asks for fresh
// views at once; only evaluators evaluate the cluster's alerts).
func (a *Agent) alertOptions(cfg alert.Config, notifiers []alert.Notifier) alert.Options {
	opts := alert.Options{Config: cfg, Self: a.cfg.Agent.Name,
		Queue: a.store.Bucket(alert.QueueBucket), State: a.store.Bucket(alert.StateBucket),
		Notifiers: notifiers, Log: a.log, Registerer: a.reg, PeerState: a.peerState,
		Tracker: a.tracker, Diagnose: func(context.Context) links.Diagnosis { return a.diagnose() }}
	if a.views != nil {
		opts.Regather = a.views.TriggerNow
		opts.Evaluates = a.views.evaluator
	}
	return opts
}

// externalURL is where this agent's UI answers, for alerts' generatorURL
// when alerting.external_url is not set: its node's underlay address when
// known (the stack publishes the API in host mode), else its hostname.
func (a *Agent) externalURL() string {
	host, _ := os.Hostname()
	if a.mesh != nil && len(a.mesh.self.UnderlayAddrs) > 0 {
		host = a.mesh.self.UnderlayAddrs[0]
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, fmt.Sprint(portNumber(a.cfg.Agent.Listen))))
}

// peerState maps discovery's word for a peer to the alert engine's:
// drained nodes are suppressed; a down node is a failure, not a plan, so
// it is not; neither is a destination that is not a peer.
func (a *Agent) peerState(dest string) string {
	if a.mesh == nil {
		return ""
	}
	for _, p := range a.mesh.source.Peers() {
		if p.Name != dest {
			continue
		}
		if p.State == mesh.StateDrain {
			return p.State
		}
		return "active"
	}
	return ""
}

func (a *Agent) alertsHandler(w http.ResponseWriter, _ *http.Request) {
	items, rejoining := []alert.Alert{}, map[string]time.Time{}
	if a.alerts != nil {
		items, rejoining = a.alerts.Alerts(), a.alerts.Rejoining()
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"enabled": a.alerts != nil, "items": items, "rejoining": rejoining})
}

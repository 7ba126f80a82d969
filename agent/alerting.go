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
	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	links "github.com/swarmlink/swarmlink/internal/oldlinks"
	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
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
	opts := alert.Options{Config: cfg, Self: a.cfg.Agent.Name,
		Queue: a.store.Bucket(alert.QueueBucket), State: a.store.Bucket(alert.StateBucket),
		Notifiers: notifiers, Log: a.log, Registerer: a.reg, PeerState: a.peerState}
	if a.mesh != nil {
		// As fresh as the mesh's own results, fetched within a probe timeout.
		opts.ClusterView = clusterView{a: a, timeout: min(2*time.Second, a.cfg.Mesh.Timeout)}
		opts.ClusterRefresh = a.cfg.Mesh.Interval
	}
	e, err := alert.New(opts)
	return e, notifiers, err
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
// drained and down nodes are suppressed; anything else (or a destination
// that is not a peer, such as a user check's target) is not.
func (a *Agent) peerState(dest string) string {
	if a.mesh == nil {
		return ""
	}
	for _, p := range a.mesh.source.Peers() {
		if p.Name != dest {
			continue
		}
		switch p.State {
		case "drain", "down":
			return p.State
		}
		return "active"
	}
	return ""
}

// alertFeed feeds the engine. The engine localises faults between agents
// on mesh paths; every other check (config, labels, swarm) is a check of a
// target, so it is fed as one (path "direct", which raises
// SwarmlinkCheckFailed) and never grouped with a peer's links.
type alertFeed struct{ e *alert.Engine }

func (f alertFeed) Record(ctx context.Context, c controller.Check, r probes.Result) {
	f.e.Record(ctx, asTargetCheck(c), r)
}

func (f alertFeed) Forget(c controller.Check) { f.e.Forget(asTargetCheck(c)) }

func asTargetCheck(c controller.Check) controller.Check {
	if c.Origin != mesh.SourceName {
		c.Link.Path = config.PathDirect
	}
	return c
}

// clusterView gives the engine every agent's link states, for host
// localisation and to decide which end reports a one-way fault.
type clusterView struct {
	a       *Agent
	timeout time.Duration // per peer
}

func (v clusterView) LinkStates(ctx context.Context) ([]alert.LinkState, error) {
	own, err := v.a.alerts.LinkStates(ctx)
	if err != nil {
		return nil, err
	}
	got, _ := links.CollectJSON[[]alert.LinkState](ctx, links.Collector{Timeout: v.timeout},
		v.a.endpoints(), "/api/v1/alerts/links")
	for _, states := range got {
		own = append(own, states...)
	}
	return own, nil
}

func (a *Agent) alertsHandler(w http.ResponseWriter, _ *http.Request) {
	items := []alert.Alert{}
	if a.alerts != nil {
		items = a.alerts.Alerts()
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"enabled": a.alerts != nil, "items": items})
}

// alertLinksHandler serves this agent's link states to its peers' engines.
func (a *Agent) alertLinksHandler(w http.ResponseWriter, r *http.Request) {
	states := []alert.LinkState{}
	if a.alerts != nil {
		var err error
		if states, err = a.alerts.LinkStates(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	api.WriteJSON(w, http.StatusOK, states)
}

package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
)

// maxView bounds a peer's view as read.
const maxView = 8 << 20

// ownView is this agent's link view right now.
func (a *Agent) ownView() links.View {
	v := links.View{Node: a.current().Agent.Name, Generated: time.Now(), Via: links.ViaSelf, Links: a.tracker.States()}
	if a.mesh == nil {
		return v
	}
	v.Interval = a.cfg.Mesh.Interval
	v.MTU = a.mesh.mtus()
	for _, p := range a.mesh.source.Peers() {
		if info, ok := nodeInfo(p); ok {
			v.Swarm = append(v.Swarm, info)
		}
	}
	return v
}

// nodeInfo is a peer as Swarm reports it, when discovery asked the engine.
func nodeInfo(p mesh.Peer) (links.NodeInfo, bool) {
	switch p.State {
	case mesh.StateDrain:
		return links.NodeInfo{Name: p.Name, State: "ready", Availability: "drain", Role: p.Role}, true
	case "down", "disconnected", "unknown":
		return links.NodeInfo{Name: p.Name, State: p.State, Availability: "active", Role: p.Role}, true
	case "ready":
		return links.NodeInfo{Name: p.Name, State: "ready", Availability: "active", Role: p.Role}, true
	}
	return links.NodeInfo{}, false
}

// gatherer keeps the last views of every peer, fetched every mesh interval
// over the published (host) path first and the overlay second, so that an
// overlay fault does not blind the agents to each other.
type gatherer struct {
	a       *Agent
	client  *http.Client
	mu      sync.Mutex
	views   map[string]links.View
	missing map[string]string
	at      time.Time
}

func newGatherer(a *Agent) *gatherer {
	timeout := 2 * time.Second
	if a.mesh != nil {
		timeout = min(timeout, a.cfg.Mesh.Timeout)
	}
	return &gatherer{a: a, client: &http.Client{Timeout: timeout}, views: map[string]links.View{}, missing: map[string]string{}}
}

// Start gathers every mesh interval until ctx is done.
func (g *gatherer) Start(ctx context.Context) error {
	t := time.NewTicker(g.a.cfg.Mesh.Interval)
	defer t.Stop()
	for {
		g.gather(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (g *gatherer) gather(ctx context.Context) {
	peers := g.a.mesh.source.Peers()
	views, missing := map[string]links.View{}, map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range peers {
		if p.Name == "" || p.State == mesh.StateDrain {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := g.fetch(ctx, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				missing[p.Name] = err.Error()
				return
			}
			views[p.Name] = v
		}()
	}
	wg.Wait()
	g.mu.Lock()
	g.views, g.missing, g.at = views, missing, time.Now()
	g.mu.Unlock()
}

// fetch asks p for its view, by the published path, then the overlay.
func (g *gatherer) fetch(ctx context.Context, p mesh.Peer) (links.View, error) {
	port := fmt.Sprint(portNumber(g.a.cfg.Agent.Listen))
	var errs []string
	for _, try := range []struct{ via, host string }{{links.ViaPublished, p.UnderlayAddr}, {links.ViaOverlay, p.OverlayAddr}} {
		if try.host == "" {
			continue
		}
		v, err := g.get(ctx, "http://"+net.JoinHostPort(try.host, port)+"/api/v1/links")
		if err == nil && v.Node != p.Name {
			err = fmt.Errorf("answered as %q", v.Node)
		}
		if err == nil {
			v.Via = try.via
			return v, nil
		}
		errs = append(errs, try.via+": "+err.Error())
	}
	if len(errs) == 0 {
		return links.View{}, fmt.Errorf("no address known")
	}
	return links.View{}, fmt.Errorf("no answer (%s)", joinErrs(errs))
}

func (g *gatherer) get(ctx context.Context, url string) (links.View, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return links.View{}, err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return links.View{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return links.View{}, fmt.Errorf("answered %s", resp.Status)
	}
	var v links.View
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, maxView)).Decode(&v); err != nil {
		return links.View{}, fmt.Errorf("bad view: %w", err)
	}
	return v, nil
}

func joinErrs(errs []string) string {
	out := ""
	for i, e := range errs {
		if i > 0 {
			out += "; "
		}
		out += e
	}
	return out
}

// diagnose is the one diagnosis, from this agent's fresh view and the
// peers' last gathered ones.
func (a *Agent) diagnose() links.Diagnosis {
	in := links.Input{Self: a.current().Agent.Name, Now: time.Now(), Views: map[string]links.View{}, Missing: map[string]string{}}
	own := a.ownView()
	in.Views[own.Node] = own
	in.Nodes = append(in.Nodes, own.Node)
	if a.views != nil {
		a.views.mu.Lock()
		for n, v := range a.views.views {
			in.Views[n] = v
		}
		for n, why := range a.views.missing {
			in.Missing[n] = why
		}
		a.views.mu.Unlock()
		for _, p := range a.mesh.source.Peers() {
			if p.State != mesh.StateDrain {
				in.Nodes = append(in.Nodes, p.Name)
			}
		}
	}
	sort.Strings(in.Nodes)
	d := links.Diagnose(in)
	if d.CutOff {
		a.log.Debug("this node is cut off", zap.Int("peers", len(in.Nodes)-1))
	}
	return d
}

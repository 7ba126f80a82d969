package agent

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/swarmlink/swarmlink/api"
	links "github.com/swarmlink/swarmlink/internal/oldlinks"
)

// view is this agent's link view right now.
func (a *Agent) view() links.View {
	var inbound []links.Link
	if a.mesh != nil {
		inbound = links.InboundLinks(a.mesh.inboundStates())
	}
	return links.NewView(a.current().Agent.Name, time.Now(), links.OutboundLinks(a.ctrl.Checks()), inbound)
}

// endpoints are the API addresses of the discovered peers: the overlay
// address when known, else the underlay one, at this agent's own API port
// (every agent of a stack listens on the same one).
func (a *Agent) endpoints() []links.Endpoint {
	if a.mesh == nil {
		return nil
	}
	port := portNumber(a.cfg.Agent.Listen)
	var out []links.Endpoint
	for _, p := range a.mesh.source.Peers() {
		host := p.OverlayAddr
		if host == "" {
			host = p.UnderlayAddr
		}
		if host == "" {
			continue
		}
		out = append(out, links.Endpoint{Node: p.Name, URL: fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(port)))})
	}
	return out
}

func (a *Agent) linksHandler(w http.ResponseWriter, _ *http.Request) {
	api.WriteJSON(w, http.StatusOK, a.view())
}

// matrixHandler fans out to every discovered peer (never to an address a
// client names) and returns the directed cluster matrix.
func (a *Agent) matrixHandler(w http.ResponseWriter, r *http.Request) {
	eps := a.endpoints()
	views, failed := links.Collector{Timeout: 2 * time.Second}.Collect(r.Context(), eps)
	me := a.view()
	views[me.Node] = me
	nodes := []string{me.Node}
	for _, ep := range eps {
		nodes = append(nodes, ep.Node)
	}
	api.WriteJSON(w, http.StatusOK, links.BuildMatrix(time.Now(), nodes, views, failed))
}

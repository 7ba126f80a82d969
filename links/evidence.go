package links

import (
	"fmt"
	"strings"
)

// Limits of the host evidence a view carries.
const (
	maxEvidenceInterfaces = 16
	maxEvidenceRoutes     = 32
	maxEvidenceOverlays   = 16
	maxEvidencePeers      = 64
)

// VXLANOverhead is what VXLAN adds to an overlay packet on the underlay:
// outer IPv4 (20), UDP (8), VXLAN (8) and inner Ethernet (14) headers.
const VXLANOverhead = 50

// HostEvidence is what an engineer looks at first on a host, as the agent
// sees it without privileges: its interfaces with their MTUs and
// addresses, its routes and, from the node's engine, the node's Swarm
// address, the data-path port and the overlay networks.
type HostEvidence struct {
	Interfaces   []Interface  `json:"interfaces"`
	Routes       []Route      `json:"routes"`
	NodeAddr     string       `json:"node_addr,omitempty"`      // the node's address in the Swarm (the underlay)
	DataPathPort int          `json:"data_path_port,omitempty"` // the Swarm's VXLAN UDP port, when the engine says
	Overlays     []OverlayNet `json:"overlays,omitempty"`       // the node's Swarm overlay networks
}

// OverlayNet is one Swarm overlay network as the node's engine shows it
// (docker network inspect --verbose).
type OverlayNet struct {
	Name      string   `json:"name"`
	Subnets   []string `json:"subnets,omitempty"`
	Encrypted bool     `json:"encrypted,omitempty"`
	Attached  bool     `json:"attached,omitempty"` // this agent is on it
	MTU       int      `json:"mtu,omitempty"`      // the agent's interface on it, when attached
	// Peers are the node addresses in the network's peer table (gossip:
	// the nodes this node knows to have the network), when attached.
	Peers []string `json:"peers,omitempty"`
	Tasks int      `json:"tasks,omitempty"` // service tasks and containers the node's engine lists on it
}

// Interface is one network interface.
type Interface struct {
	Name  string   `json:"name"`
	MTU   int      `json:"mtu"`
	Addrs []string `json:"addrs,omitempty"`
}

// Route is one IPv4 route.
type Route struct {
	Destination string `json:"destination"` // CIDR; 0.0.0.0/0 is the default route
	Gateway     string `json:"gateway,omitempty"`
	Interface   string `json:"interface"`
}

// Bounded cuts the evidence to its limits.
func (h HostEvidence) Bounded() HostEvidence {
	h.Interfaces = h.Interfaces[:min(len(h.Interfaces), maxEvidenceInterfaces)]
	h.Routes = h.Routes[:min(len(h.Routes), maxEvidenceRoutes)]
	h.Overlays = h.Overlays[:min(len(h.Overlays), maxEvidenceOverlays)]
	for i, o := range h.Overlays {
		h.Overlays[i].Peers = o.Peers[:min(len(o.Peers), maxEvidencePeers)]
	}
	return h
}

// String is the evidence on one line per part, for alert descriptions.
func (h HostEvidence) String() string {
	var ifs, routes []string
	for _, i := range h.Interfaces {
		ifs = append(ifs, fmt.Sprintf("%s mtu %d %s", i.Name, i.MTU, strings.Join(i.Addrs, " ")))
	}
	for _, r := range h.Routes {
		s := r.Destination + " dev " + r.Interface
		if r.Gateway != "" {
			s = r.Destination + " via " + r.Gateway + " dev " + r.Interface
		}
		routes = append(routes, s)
	}
	out := "interfaces: " + strings.Join(ifs, "; ") + "\nroutes: " + strings.Join(routes, "; ")
	if h.NodeAddr != "" || h.DataPathPort != 0 {
		port := "unknown"
		if h.DataPathPort != 0 {
			port = fmt.Sprint(h.DataPathPort)
		}
		out += fmt.Sprintf("\nswarm: node address %s, data path UDP %s", h.NodeAddr, port)
	}
	for _, o := range h.Overlays {
		out += "\n" + o.String()
	}
	return out
}

// String is the network on one line, with the MTU arithmetic when the
// agent is on it.
func (o OverlayNet) String() string {
	s := fmt.Sprintf("overlay %s %s", o.Name, strings.Join(o.Subnets, ","))
	if o.Encrypted {
		s += " encrypted"
	}
	if o.MTU > 0 {
		s += fmt.Sprintf(", mtu %d + %d VXLAN = %d on the underlay", o.MTU, VXLANOverhead, o.MTU+VXLANOverhead)
	}
	if o.Attached {
		s += fmt.Sprintf(", peers %s", strings.Join(o.Peers, " "))
	}
	return s + fmt.Sprintf(", %d tasks", o.Tasks)
}

package links

import (
	"fmt"
	"strings"
)

// Limits of the host evidence a view carries.
const (
	maxEvidenceInterfaces = 16
	maxEvidenceRoutes     = 32
)

// HostEvidence is what an engineer looks at first on a host, as the agent
// sees it without privileges: its interfaces with their MTUs and
// addresses, and its routes.
type HostEvidence struct {
	Interfaces []Interface `json:"interfaces"`
	Routes     []Route     `json:"routes"`
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
	return "interfaces: " + strings.Join(ifs, "; ") + "\nroutes: " + strings.Join(routes, "; ")
}

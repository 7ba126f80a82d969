package agent

import (
	"cmp"
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/links"
)

// networkReader is the part of the Docker client that reads networks; the
// SDK's *client.Client satisfies it.
type networkReader interface {
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	NetworkInspect(ctx context.Context, id string, options network.InspectOptions) (network.Inspect, error)
}

// overlayTimeout bounds one read of the node's overlay networks.
const overlayTimeout = 3 * time.Second

// overlays keeps the node's Swarm overlay networks as its engine last
// showed them: subnets, whether this agent is on each, and, for those it
// is on, the peer table (network inspect --verbose). Refreshed in the
// background at most every period; the views carry the last read.
type overlays struct {
	api    networkReader
	local  func() []string // this agent's addresses
	period time.Duration
	log    *zap.Logger

	mu      sync.Mutex
	at      time.Time
	reading bool
	last    []links.OverlayNet
}

// get returns the last read.
func (o *overlays) get() []links.OverlayNet {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.last)
}

// refresh reads the networks again when the last read is a period old and
// none is under way.
func (o *overlays) refresh(ctx context.Context, now time.Time) {
	if o == nil {
		return
	}
	o.mu.Lock()
	if o.reading || now.Sub(o.at) < o.period {
		o.mu.Unlock()
		return
	}
	o.reading = true
	o.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, overlayTimeout)
	defer cancel()
	nets, err := readOverlays(ctx, o.api, o.local())
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reading, o.at = false, now
	if err != nil {
		o.log.Debug("reading the overlay networks", zap.Error(err))
		return
	}
	o.last = nets
}

// readOverlays lists the engine's swarm overlay networks (not ingress) and
// inspects, verbosely, those one of local is on.
func readOverlays(ctx context.Context, api networkReader, local []string) ([]links.OverlayNet, error) {
	list, err := api.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("driver", "overlay"))})
	if err != nil {
		return nil, err
	}
	var out []links.OverlayNet
	for _, n := range list {
		if n.Ingress || n.Scope != "swarm" {
			continue
		}
		o := links.OverlayNet{Name: n.Name, Subnets: subnets(n.IPAM)}
		_, o.Encrypted = n.Options["encrypted"]
		if addr := addrInAny(o.Subnets, local); addr != "" {
			o.Attached, o.MTU = true, mtuOf(addr)
			in, err := api.NetworkInspect(ctx, n.ID, network.InspectOptions{Verbose: true, Scope: "swarm"})
			if err != nil {
				return nil, err
			}
			o.Peers, o.Tasks = peerAddrs(in), tasksOn(in)
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b links.OverlayNet) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func subnets(ipam network.IPAM) []string {
	var out []string
	for _, c := range ipam.Config {
		if c.Subnet != "" {
			out = append(out, c.Subnet)
		}
	}
	return out
}

func addrInAny(subnets, addrs []string) string {
	for _, s := range subnets {
		if a := addrIn(s, addrs); a != "" {
			return a
		}
	}
	return ""
}

func peerAddrs(in network.Inspect) []string {
	var out []string
	for _, p := range in.Peers {
		out = append(out, p.IP)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func tasksOn(in network.Inspect) int {
	n := 0
	for _, s := range in.Services {
		n += len(s.Tasks)
	}
	return max(n, len(in.Containers))
}

// mtuOf is the MTU of the interface holding addr; 0 when none does.
func mtuOf(addr string) int {
	want, err := netip.ParseAddr(addr)
	if err != nil {
		return 0
	}
	want = want.Unmap()
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr() == want {
				return ifc.MTU
			}
		}
	}
	return 0
}

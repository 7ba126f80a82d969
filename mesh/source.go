package mesh

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// Paths a peer is probed over.
const (
	PathOverlay   = "overlay"   // the peer's task address on the overlay, at ResponderPort
	PathPublished = "published" // the peer's host address, at its published port
	PathEncrypted = "encrypted" // the peer's task address on the encrypted agent network, at ResponderPort
	PathControl   = "control"   // the peer host's Swarm control plane: gossip (7946) and, on managers, 2377
)

// The Swarm control plane's ports, probed on path control with plain TCP
// connects: the gossip (memberlist) port of every node, whose UDP half only
// the overlay's peer tables can show, and the managers' cluster port.
const (
	GossipPort  = 7946
	ManagerPort = 2377
	ProbeGossip = "gossip"  // TCP connect to a node's GossipPort
	ProbeManage = "manager" // TCP connect to a manager's ManagerPort
)

// Probes run on each path; a check's Spec.Name is "<path>-<probe>" and its
// Link.Role the probe's links.Role (see roles).
const (
	ProbeTCP    = "tcp"    // small TCP echo
	ProbeUDP    = "udp"    // UDPCount small UDP echoes
	ProbeLarge  = "large"  // TCP echo of LargeSize bytes (MTU check)
	ProbeOneWay = "oneway" // UDPCount beacons, judged by the receiver
	ProbeICMP   = "icmp"   // echo requests to the peer's overlay address (ICMP passing where TCP and UDP fail: checksums)
)

// DefaultLostHold is how long a peer that discovery stopped listing stays
// probed (StateLost), unless the Swarm's node list says it was removed.
const DefaultLostHold = 10 * time.Minute

// MinBeacons is the fewest one-way beacons a run sends: the receiver's
// count of them is a direction's loss, and three a run is too coarse to
// tell 30 % loss from noise over a window. Twenty make two runs enough to
// judge a loss that just began (links.RecentPackets).
const MinBeacons = 20

// SourceName is the Origin of mesh checks and the Source's name.
const SourceName = "mesh"

// SourceConfig says which checks the mesh makes to every peer.
type SourceConfig struct {
	ResponderPort int           // responder port on the overlay; default 9471
	PublishedPort int           // published port, unless the peer has its own; default 9471
	Interval      time.Duration // between runs of one check; default 30 s
	Timeout       time.Duration // per run; default 5 s, at most Interval
	LargeSize     int           // bytes of the large echo; <= 0 disables it
	UDPCount      int           // datagrams per UDP echo or beacon run; default 3
	SubsetK       int           // peers probed per round; 0 = all
	OneWay        bool          // also send beacons the receiver tracks
	LostHold      time.Duration // how long a peer discovery stopped listing is still probed; default 10 min
}

// DefaultSourceConfig returns the defaults, with the 64 KiB large echo on.
func DefaultSourceConfig() SourceConfig {
	return SourceConfig{ResponderPort: DefaultPort, PublishedPort: DefaultPort,
		Interval: 30 * time.Second, Timeout: 5 * time.Second, LargeSize: 65536, UDPCount: DefaultUDPCount}
}

func (c SourceConfig) withDefaults() SourceConfig {
	d := DefaultSourceConfig()
	c.ResponderPort = cmp.Or(c.ResponderPort, d.ResponderPort)
	c.PublishedPort = cmp.Or(c.PublishedPort, d.PublishedPort)
	c.Interval = cmp.Or(c.Interval, d.Interval)
	c.Timeout = min(cmp.Or(c.Timeout, d.Timeout), c.Interval)
	c.UDPCount = cmp.Or(c.UDPCount, d.UDPCount)
	c.SubsetK = max(c.SubsetK, 0)
	c.LostHold = cmp.Or(c.LostHold, DefaultLostHold)
	return c
}

// Source is the controller.Source of mesh checks: on every Desired it
// re-reads its discoverers, merges their peers (without self) and returns,
// for every peer to probe this round and every path with a known address,
// the tcp, udp, large and oneway checks. Keys are stable:
// "mesh/<peer>/<path>/<probe>". A vanished peer is simply absent.
//
// In subset mode (SubsetK > 0) each round (floor(now/Interval)) probes only
// SubsetK peers, so the desired set changes every round: the caller must
// trigger a reconcile at every NextRound. Source is safe for concurrent use.
type Source struct {
	self        Identity
	cfg         SourceConfig
	discoverers []Discoverer
	log         *zap.Logger

	mu      sync.Mutex
	peers   []Peer              // from the last successful discovery, with the lost ones
	seen    map[string]seenPeer // every peer listed within LostHold, by name
	planned func(name string) bool
	swarm   []Peer // the Swarm's node list, on a manager; nil elsewhere

	followUp func() map[string]bool // peers probed every round in subset mode
}

// SwarmNodes is the Swarm's node list (self included) as this node's
// engine last gave it, with each node's state (ready, down, drain...);
// nil unless this agent runs on a manager with Docker discovery on.
func (s *Source) SwarmNodes() []Peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.swarm)
}

// SetPlanned tells the source which peers are out on purpose (drained or
// removed, as a manager's engine reports): a peer discovery stops listing
// is then forgotten at once rather than kept as lost. A worker cannot ask
// its own engine; the agent answers from its managers' views.
func (s *Source) SetPlanned(planned func(name string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.planned = planned
}

// SetFollowUp tells the source, in subset mode, which peers to probe in
// every round on top of the round's block: those whose links from this
// agent fail (the agent answers from its link tracker). It is asked once
// per round.
func (s *Source) SetFollowUp(troubled func() map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.followUp = troubled
}

var _ controller.Source = (*Source)(nil)

// NewSource returns a source for the agent self (self.Name is required for
// the subset rotation and as the Link source).
func NewSource(self Identity, cfg SourceConfig, log *zap.Logger, discoverers ...Discoverer) *Source {
	if log == nil {
		log = zap.NewNop()
	}
	return &Source{self: self, cfg: cfg.withDefaults(), discoverers: discoverers,
		log: log.With(zap.String("component", "mesh"), zap.String("part", "source"))}
}

// Name returns "mesh".
func (s *Source) Name() string { return SourceName }

// Desired discovers peers and returns this round's checks.
func (s *Source) Desired(ctx context.Context) ([]controller.Check, error) {
	return s.DesiredAt(ctx, time.Now())
}

// DesiredAt is Desired for the round containing now. A discoverer failing
// with ErrNotManager is skipped; any other failure fails the call (and
// leaves Peers as it was), so that a transient DNS error does not retire
// every peer.
func (s *Source) DesiredAt(ctx context.Context, now time.Time) ([]controller.Check, error) {
	found, err := s.discover(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	peers := s.remember(found, now)
	s.peers, s.swarm = peers, found.swarm
	s.mu.Unlock()
	var out []controller.Check
	for _, p := range s.subset(probeable(peers), now) {
		out = append(out, s.peerChecks(p)...)
	}
	slices.SortFunc(out, func(a, b controller.Check) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// discovered is one round of discovery: the merged peers, and the node
// list of the Swarm when a manager's engine gave one (nil otherwise).
type discovered struct {
	peers []Peer
	nodes map[string]bool
	swarm []Peer // the node list as the engine gave it
}

func (s *Source) discover(ctx context.Context) (discovered, error) {
	lists := make([][]Peer, 0, len(s.discoverers))
	var errs []error
	var nodes map[string]bool
	var swarmList []Peer
	for _, d := range s.discoverers {
		peers, err := d.Peers(ctx)
		if errors.Is(err, ErrNotManager) {
			s.log.Debug("docker node discovery skipped", zap.Error(err))
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, ok := d.(DockerNodes); ok {
			nodes, swarmList = map[string]bool{}, peers
			for _, p := range peers {
				nodes[p.Name] = true
			}
		}
		lists = append(lists, peers)
	}
	if len(errs) > 0 {
		return discovered{}, fmt.Errorf("mesh discovery: %w", errors.Join(errs...))
	}
	return discovered{peers: Merge(s.self, lists...), nodes: nodes, swarm: swarmList}, nil
}

// remember keeps a peer that discovery stopped listing, as StateLost at
// its last addresses, for LostHold: Swarm drops a node that is cut off
// from tasks.<service> within seconds, and a fault must not retire the
// very peer it breaks. A peer the Swarm's node list no longer has (removed
// on purpose) is forgotten at once. s.mu is held.
func (s *Source) remember(d discovered, now time.Time) []Peer {
	if s.seen == nil {
		s.seen = map[string]seenPeer{}
	}
	out := make([]Peer, 0, len(d.peers))
	listed := map[string]bool{}
	for _, p := range d.peers {
		if sp, ok := s.seen[p.Name]; ok && p.State != StateDrain {
			fill(&p, sp.peer) // an address discovery no longer gives (a cut node's task gone from DNS)
		}
		listed[p.Name] = true
		s.seen[p.Name] = seenPeer{peer: p, at: now}
		out = append(out, p)
	}
	for name, sp := range s.seen {
		switch {
		case listed[name]:
		case s.forget(name, sp, d, now):
			delete(s.seen, name)
		default:
			lost := sp.peer
			lost.State = StateLost
			out = append(out, lost)
		}
	}
	slices.SortFunc(out, func(a, b Peer) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// forget says whether a peer discovery stopped listing is gone for good:
// held past LostHold, never identified (named by its address: a task that
// no agent answered for), drained, removed from the Swarm's node list, or
// out on purpose as the agent knows. s.mu is held.
func (s *Source) forget(name string, sp seenPeer, d discovered, now time.Time) bool {
	return now.Sub(sp.at) > s.cfg.LostHold || net.ParseIP(name) != nil || sp.peer.State == StateDrain ||
		(d.nodes != nil && !d.nodes[name]) || (s.planned != nil && s.planned(name))
}

type seenPeer struct {
	peer Peer
	at   time.Time // last listed by discovery
}

// Peers returns the peers of the last successful discovery, probed this
// round or not.
func (s *Source) Peers() []Peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.peers)
}

// probeable drops peers that run no agent.
func probeable(peers []Peer) []Peer {
	return slices.DeleteFunc(slices.Clone(peers), func(p Peer) bool { return p.State == StateDrain })
}

// peerChecks returns every check of p, per path with a known address.
func (s *Source) peerChecks(p Peer) []controller.Check {
	var out []controller.Check
	for _, path := range s.paths(p) {
		c := s.cfg
		out = append(out,
			s.check(p, path, ProbeTCP, probes.PeerOptions{Transport: "tcp", Size: DefaultSmallSize}),
			s.check(p, path, ProbeUDP, probes.PeerOptions{Transport: "udp", Size: DefaultSmallSize, Count: c.UDPCount}))
		if c.LargeSize > 0 {
			out = append(out, s.check(p, path, ProbeLarge, probes.PeerOptions{Transport: "tcp", Size: c.LargeSize}))
		}
		if c.OneWay {
			out = append(out, s.check(p, path, ProbeOneWay,
				probes.PeerOptions{Transport: "udp", Size: DefaultSmallSize, Count: max(c.UDPCount, MinBeacons), OneWay: true}))
		}
	}
	if p.OverlayAddr != "" {
		out = append(out, s.icmpCheck(p))
	}
	return append(out, s.controlChecks(p)...)
}

// icmpCheck pings the peer's overlay address: next to the echoes, it tells
// a fault that drops only TCP and UDP inside VXLAN (bad checksums from an
// offload) from one that drops VXLAN itself.
func (s *Source) icmpCheck(p Peer) controller.Check {
	return controller.Check{
		Key:    "mesh/" + p.Name + "/" + PathOverlay + "/" + ProbeICMP,
		Origin: SourceName,
		Link: controller.Link{Source: s.self.Name, Destination: p.Name, Path: PathOverlay,
			Role: links.RoleICMP, Direction: links.Outbound},
		Spec: probes.Spec{Name: PathOverlay + "-" + ProbeICMP, Kind: probes.KindICMP, Target: p.OverlayAddr,
			Timeout: s.cfg.Timeout, Expect: probes.ExpectReachable, ICMP: &probes.ICMPOptions{Count: 2, Interval: 100 * time.Millisecond}},
		Interval: s.cfg.Interval,
	}
}

// controlChecks are the TCP connects to a Swarm node's control-plane ports:
// gossip on every node, 2377 on managers. None for a peer that is not a
// Swarm node (no role) or has no host address.
func (s *Source) controlChecks(p Peer) []controller.Check {
	if p.Role == "" || p.UnderlayAddr == "" {
		return nil
	}
	type controlPort struct {
		probe string
		port  int
	}
	ports := []controlPort{{ProbeGossip, GossipPort}}
	if p.Role == "manager" {
		ports = append(ports, controlPort{ProbeManage, ManagerPort})
	}
	out := make([]controller.Check, 0, len(ports))
	for _, pp := range ports {
		out = append(out, controller.Check{
			Key:    "mesh/" + p.Name + "/" + PathControl + "/" + pp.probe,
			Origin: SourceName,
			Link: controller.Link{Source: s.self.Name, Destination: p.Name, Path: PathControl,
				Role: links.RoleControl, Direction: links.Outbound},
			Spec: probes.Spec{Name: PathControl + "-" + pp.probe, Kind: probes.KindTCP,
				Target:  net.JoinHostPort(p.UnderlayAddr, strconv.Itoa(pp.port)),
				Timeout: s.cfg.Timeout, Expect: probes.ExpectReachable},
			Interval: s.cfg.Interval,
		})
	}
	return out
}

// pathTarget is one path to a peer and the responder address on it.
type pathTarget struct{ name, target string }

func (s *Source) paths(p Peer) []pathTarget {
	var out []pathTarget
	if p.OverlayAddr != "" {
		out = append(out, pathTarget{PathOverlay, net.JoinHostPort(p.OverlayAddr, strconv.Itoa(s.cfg.ResponderPort))})
	}
	if p.UnderlayAddr != "" {
		port := cmp.Or(p.PublishedPort, s.cfg.PublishedPort)
		out = append(out, pathTarget{PathPublished, net.JoinHostPort(p.UnderlayAddr, strconv.Itoa(port))})
	}
	if p.EncryptedAddr != "" && s.self.EncryptedAddr != "" {
		out = append(out, pathTarget{PathEncrypted, net.JoinHostPort(p.EncryptedAddr, strconv.Itoa(s.cfg.ResponderPort))})
	}
	return out
}

// roles maps each probe to what it measures, so that no consumer parses the
// role from a check's name.
var roles = map[string]links.Role{
	ProbeTCP: links.RoleTCP, ProbeUDP: links.RoleUDP, ProbeLarge: links.RoleLarge, ProbeOneWay: links.RoleOneWay,
}

func (s *Source) check(p Peer, path pathTarget, probe string, o probes.PeerOptions) controller.Check {
	o.Path = path.name
	if net.ParseIP(p.Name) == nil { // a peer named by its address has no name to check
		o.Peer = p.Name
	}
	return controller.Check{
		Key:    "mesh/" + p.Name + "/" + path.name + "/" + probe,
		Origin: SourceName,
		Link: controller.Link{Source: s.self.Name, Destination: p.Name, Path: path.name,
			Role: roles[probe], Direction: links.Outbound},
		Spec: probes.Spec{
			Name: path.name + "-" + probe, Kind: probes.KindPeer, Target: path.target,
			Timeout: s.cfg.Timeout, Expect: probes.ExpectReachable, Peer: &o,
		},
		Interval: s.cfg.Interval,
	}
}

// ExpectedInbound returns the (peer, path) pairs this agent should receive
// probes on, assuming the mesh is symmetric: every probeable peer probes us
// over each path we can probe it over. Feed it to InboundTracker.Expect.
func (s *Source) ExpectedInbound() []PeerPath {
	var out []PeerPath
	for _, p := range probeable(s.Peers()) {
		for _, path := range s.paths(p) {
			out = append(out, PeerPath{Peer: p.Name, Path: path.name})
		}
	}
	return out
}

// Probes reports whether peer is probed over path, this round or in
// another of the subset rotation: it is discovered, not drained, and has an
// address on path. A check of a (peer, path) it does not probe is retired.
func (s *Source) Probes(peer, path string) bool {
	if path == PathControl {
		return slices.ContainsFunc(probeable(s.Peers()), func(p Peer) bool {
			return p.Name == peer && len(s.controlChecks(p)) > 0
		})
	}
	return slices.Contains(s.ExpectedInbound(), PeerPath{Peer: peer, Path: path})
}

// MaxInboundGap is the longest expected gap between two probes from one
// peer: Interval times the rounds a full rotation takes. A tracker's grace
// is typically three of these.
func (s *Source) MaxInboundGap() time.Duration {
	return s.cfg.Interval * time.Duration(RoundsToCover(len(probeable(s.Peers()))+1, s.cfg.SubsetK))
}

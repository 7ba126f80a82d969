package agent

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// meshPart is the agent's share of the peer mesh: its responder, the
// source of its checks to every peer, and the tracker of what arrived here.
type meshPart struct {
	cfg       config.Mesh
	self      mesh.Identity
	source    *mesh.Source
	responder *mesh.Responder
	tracker   *mesh.InboundTracker
	prober    *mesh.Prober
	store     *history.Store
	log       *zap.Logger

	// sink gets every sweep's inbound observation, like the controller's
	// results (set by the agent before Start).
	sink interface {
		controller.Sink
		controller.Forgetter
	}

	mtu      *mtuMeter
	dataPort int    // the Swarm's data-path port, when this node's engine said
	nodeAddr string // the node's address in the Swarm, likewise
	evidence *hostEvidence
	overlays *overlays      // the node's overlay networks; nil without a Docker engine
	views    *links.ViewLog // numbers the view's changes, for peers' deltas
	// largeFailing says whether the large echo to a peer on a path fails
	// now (set by the agent from its link tracker).
	largeFailing func(peer, path string) bool
	// pauseInbound pauses the inbound links from a peer not due to probe
	// this agent in a subset round (set by the agent: its link tracker).
	pauseInbound func(peer string)

	mu       sync.Mutex
	expected map[mesh.PeerPath]bool // the pairs of the last sweep
}

// mtus are the measured MTUs of this agent's outbound paths.
func (m *meshPart) mtus() []links.MTU { return m.mtu.results() }

// readKey reads the shared peer key; it must hold at least 16 bytes.
func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mesh.key_file: %w", err)
	}
	key := []byte(strings.TrimSpace(string(b)))
	if len(key) < 16 {
		return nil, fmt.Errorf("mesh.key_file %s: key has %d bytes: need at least 16", path, len(key))
	}
	return key, nil
}

// localAddrs lists this host's (or container's) non-loopback IPv4 addresses.
func localAddrs() []string {
	var out []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			out = append(out, ipn.IP.String())
		}
	}
	return out
}

// addrIn is the first of addrs inside subnet ("" when none is, or subnet
// is empty or invalid).
func addrIn(subnet string, addrs []string) string {
	p, err := netip.ParsePrefix(subnet)
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && p.Contains(ip) {
			return a
		}
	}
	return ""
}

// identity builds this agent's identity from its config and, when a Docker
// engine answers, from the engine's view of the node.
func identity(ctx context.Context, cfg config.Mesh, name, version string, d dockerAPI, log *zap.Logger) (mesh.Identity, hostFacts) {
	host, _ := os.Hostname()
	id := mesh.Identity{Name: name, Hostname: host, OverlayAddrs: localAddrs(), AgentVersion: version}
	id.EncryptedAddr = addrIn(cfg.EncryptedSubnet, id.OverlayAddrs)
	if cfg.EncryptedSubnet != "" && id.EncryptedAddr == "" {
		log.Warn("no address in mesh.encrypted_subnet: this agent is not on the encrypted network; no encrypted path",
			zap.String("subnet", cfg.EncryptedSubnet), zap.Strings("addresses", id.OverlayAddrs))
	}
	if d == nil {
		return id, hostFacts{}
	}
	f, err := facts(ctx, d)
	if err != nil {
		log.Warn("docker engine did not answer; identity without node facts", zap.Error(err))
		return id, hostFacts{}
	}
	id.NodeID, id.Role = f.NodeID, "worker"
	if f.Manager {
		id.Role = "manager"
	}
	if f.NodeAddr != "" {
		id.UnderlayAddrs = []string{f.NodeAddr}
	}
	return id, f
}

func newMeshPart(ctx context.Context, a *Agent, d dockerAPI) (*meshPart, error) {
	cfg := a.cfg.Mesh
	key, err := readKey(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	log := a.log.With(zap.String("component", "mesh"))
	m := &meshPart{cfg: cfg, store: a.store, log: log, expected: map[mesh.PeerPath]bool{},
		views: links.NewViewLog(uint64(a.started.UnixNano()))}
	var f hostFacts
	m.self, f = identity(ctx, cfg, a.cfg.Agent.Name, a.opts.Version, d, log)
	m.dataPort, m.nodeAddr = f.DataPort, f.NodeAddr
	m.evidence = &hostEvidence{read: readHostEvidence}
	if nr, ok := d.(networkReader); ok && f.NodeID != "" {
		m.overlays = &overlays{api: nr, local: localAddrs, log: log,
			period: min(max(2*cfg.Interval, 5*time.Second), evidenceTTL)}
	}
	m.tracker = mesh.NewInboundTracker(3 * cfg.Interval)
	m.responder, err = mesh.NewResponder(mesh.ResponderOptions{Addr: cfg.Listen, Key: key, Identity: m.self,
		MaxPayload: cfg.MaxPayload, Inbound: m.tracker, View: a.viewJSON, Swarm: a.swarmJSON,
		Diagnosis: a.diagnosisJSON}, log, a.reg)
	if err != nil {
		return nil, err
	}
	m.prober = mesh.NewProber(mesh.ClientOptions{Key: key, Self: m.self.Name, MaxPayload: cfg.MaxPayload,
		Log: log, Registerer: a.reg})
	m.source = mesh.NewSource(m.self, mesh.SourceConfig{ResponderPort: portNumber(cfg.Listen),
		PublishedPort: cfg.PublishedPort, Interval: cfg.Interval, Timeout: cfg.Timeout,
		LargeSize: largeSize(cfg.LargeSize), UDPCount: cfg.UDPCount, SubsetK: cfg.SubsetK, OneWay: *cfg.OneWay},
		log, discoverers(cfg, key, d)...)
	m.mtu = newMTUMeter(m, a.reg)
	m.largeFailing = func(string, string) bool { return false }
	m.pauseInbound = func(string) {}
	return m, nil
}

func largeSize(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

func portNumber(hostPort string) int {
	_, p, err := net.SplitHostPort(hostPort)
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscanf(p, "%d", &n)
	return n
}

func discoverers(cfg config.Mesh, key []byte, d dockerAPI) []mesh.Discoverer {
	var out []mesh.Discoverer
	if cfg.Service != "" {
		out = append(out, &mesh.DNSTasks{Service: cfg.Service, Resolver: cfg.Resolver, Port: portNumber(cfg.Listen), Key: key})
	}
	if len(cfg.Static) > 0 {
		hosts := make([]mesh.StaticHost, 0, len(cfg.Static))
		for _, s := range cfg.Static {
			hosts = append(hosts, mesh.StaticHost{Name: s.Name, Address: s.Address, PublishedPort: s.Port})
		}
		out = append(out, mesh.Static{Hosts: hosts})
	}
	if cfg.Docker && d != nil {
		out = append(out, mesh.DockerNodes{Client: d})
	}
	return out
}

// register adds the peer prober to the registry.
func (m *meshPart) register(r probes.Registry) { r[probes.KindPeer] = m.prober }

// Start runs the responder, re-triggers discovery every refresh (and, in
// subset mode, at every round boundary, when the desired set changes), and
// sweeps inbound arrivals every interval; it blocks until ctx is done.
func (m *meshPart) Start(ctx context.Context, ctrl *controller.Controller) error {
	if err := m.responder.Listen(ctx); err != nil {
		return fmt.Errorf("mesh responder: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- m.responder.Start(ctx) }()
	refresh := time.NewTicker(m.cfg.Refresh)
	defer refresh.Stop()
	var sweepTick <-chan time.Time // full mesh: every interval
	if m.cfg.SubsetK <= 0 {
		t := time.NewTicker(m.cfg.Interval)
		defer t.Stop()
		sweepTick = t.C
	}
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return <-errc
		case err := <-errc:
			return err
		case <-refresh.C:
			ctrl.Trigger()
			continue
		case <-m.roundBoundary():
			ctrl.Trigger()
			continue
		case now = <-sweepTick:
		case now = <-m.roundSweep():
		}
		m.sweep(ctx, now)
		go m.overlays.refresh(ctx, now)            // at most every period, never two at once
		go m.mtu.measure(ctx, now, m.largeFailing) // bounded by the timeout; never holds up the sweep
	}
}

// roundBoundary fires at the next subset round; never without subset mode.
func (m *meshPart) roundBoundary() <-chan time.Time {
	if m.cfg.SubsetK <= 0 {
		return nil
	}
	return time.After(time.Until(m.source.NextRound(time.Now())))
}

// sweepSlack is how long after a subset round ends its sweep comes: the
// round's last probes have arrived by then (a timeout and a second), well
// before the next round ends.
func (m *meshPart) sweepSlack() time.Duration {
	return min(m.cfg.Timeout+time.Second, m.cfg.Interval/2)
}

// roundSweep fires in subset mode a slack after each round ends, when the
// peers due in it can be judged; never without subset mode.
func (m *meshPart) roundSweep() <-chan time.Time {
	if m.cfg.SubsetK <= 0 {
		return nil
	}
	slack := m.sweepSlack()
	return time.After(time.Until(m.source.NextRound(time.Now().Add(-slack)).Add(slack)))
}

// dueIn says which peers this sweep judges: in subset mode those due to
// probe this agent in the round just ended (the others' inbound links are
// paused, keeping their last state), and which are due in the round under
// way (theirs arriving now is that round's); nil, every peer, in full mesh.
func (m *meshPart) dueIn(now time.Time) (due, next func(peer string) bool) {
	if m.cfg.SubsetK <= 0 {
		return nil, nil
	}
	round := m.source.Round(now.Add(-m.sweepSlack())) - 1
	was, will := m.source.DueFrom(round), m.source.DueFrom(round+1)
	for peer, ok := range was {
		if !ok {
			m.pauseInbound(peer)
		}
	}
	return func(peer string) bool { return was[peer] }, func(peer string) bool { return will[peer] }
}

// sweep updates the expected inbound set and feeds, for every expected
// (peer, path), whether its probes arrived into the agent's sink, like any
// outbound result: history, metrics, the link tracker and alerts all get
// the same observation under the same name.
func (m *meshPart) sweep(ctx context.Context, now time.Time) {
	expected := m.source.ExpectedInbound()
	m.tracker.Expect(expected, now)
	m.tracker.SetGrace(3 * m.source.MaxInboundGap())
	due, dueNext := m.dueIn(now)
	statuses := m.tracker.SweepDue(now, due, dueNext)
	next := make(map[mesh.PeerPath]bool, len(expected))
	for _, pp := range expected {
		next[pp] = true
	}
	m.mu.Lock()
	gone := retired(m.expected, next)
	m.expected = next
	m.mu.Unlock()
	for _, pp := range gone {
		m.sink.Forget(inboundCheck(m.self.Name, pp.Peer, pp.Path))
	}
	for _, s := range statuses {
		// A pair still settling (new peer, or this agent just started) that
		// saw nothing yet is not evidence of a broken link.
		if s.Arrived > 0 || !s.Settling {
			m.sink.Record(ctx, inboundCheck(m.self.Name, s.Peer, s.Path), inboundResult(s, now))
		}
	}
}

// retired lists the pairs of prev that next no longer expects.
func retired(prev, next map[mesh.PeerPath]bool) []mesh.PeerPath {
	var out []mesh.PeerPath
	for pp := range prev {
		if _, ok := next[pp]; !ok {
			out = append(out, pp)
		}
	}
	return out
}

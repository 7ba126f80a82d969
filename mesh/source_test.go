package mesh_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// discovered is a Discoverer returning fixed peers or an error.
type discovered struct {
	peers []mesh.Peer
	err   error
}

func (d *discovered) Peers(context.Context) ([]mesh.Peer, error) { return d.peers, d.err }

func keys(checks []controller.Check) []string {
	out := make([]string, 0, len(checks))
	for _, c := range checks {
		out = append(out, c.Key)
	}
	return out
}

var _ = Describe("Source", func() {
	self := mesh.Identity{Name: "a"}
	ctx := context.Background()
	cfg := mesh.DefaultSourceConfig()
	cfg.Interval, cfg.Timeout, cfg.OneWay = 10*time.Second, 2*time.Second, true

	It("makes every check of every path with a known address, with stable keys", func() {
		d := &discovered{peers: []mesh.Peer{
			{Name: "b", OverlayAddr: "10.0.1.2", UnderlayAddr: "192.0.2.2"},
			{Name: "c", UnderlayAddr: "192.0.2.3", PublishedPort: 19471},
			{Name: "a", OverlayAddr: "10.0.1.1"},
		}}
		src := mesh.NewSource(self, cfg, nil, d)
		Expect(src.Name()).To(Equal("mesh"))
		first, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(keys(first)).To(Equal([]string{
			"mesh/b/overlay/icmp", "mesh/b/overlay/large", "mesh/b/overlay/oneway", "mesh/b/overlay/tcp", "mesh/b/overlay/udp",
			"mesh/b/published/large", "mesh/b/published/oneway", "mesh/b/published/tcp", "mesh/b/published/udp",
			"mesh/c/published/large", "mesh/c/published/oneway", "mesh/c/published/tcp", "mesh/c/published/udp",
		}))
		again, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(first))
		for i := range first {
			Expect(again[i].Hash()).To(Equal(first[i].Hash()))
		}
	})

	It("probes the encrypted network as its own path when both ends have an address on it", func() {
		d := &discovered{peers: []mesh.Peer{
			{Name: "b", OverlayAddr: "10.0.1.2", EncryptedAddr: "10.201.0.2"},
			{Name: "c", OverlayAddr: "10.0.1.3"},
		}}
		checks, err := mesh.NewSource(mesh.Identity{Name: "a", EncryptedAddr: "10.201.0.1"}, cfg, nil, d).Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		var enc []string
		for _, c := range checks {
			if c.Link.Path == mesh.PathEncrypted {
				enc = append(enc, c.Key+" "+c.Spec.Target)
			}
		}
		Expect(enc).To(Equal([]string{"mesh/b/encrypted/large 10.201.0.2:9471", "mesh/b/encrypted/oneway 10.201.0.2:9471",
			"mesh/b/encrypted/tcp 10.201.0.2:9471", "mesh/b/encrypted/udp 10.201.0.2:9471"}))

		checks, err = mesh.NewSource(self, cfg, nil, d).Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		for _, c := range checks {
			Expect(c.Link.Path).NotTo(Equal(mesh.PathEncrypted), "this agent is not on the encrypted network")
		}
	})

	It("connects to a Swarm node's gossip port, and to a manager's cluster port too, on path control", func() {
		d := &discovered{peers: []mesh.Peer{
			{Name: "m", UnderlayAddr: "192.0.2.1", Role: "manager"},
			{Name: "w", UnderlayAddr: "192.0.2.2", Role: "worker"},
			{Name: "plain", UnderlayAddr: "192.0.2.3"},
		}}
		src := mesh.NewSource(self, cfg, nil, d)
		checks, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		var control []string
		for _, c := range checks {
			if c.Link.Path == mesh.PathControl {
				Expect(c.Spec.Kind).To(Equal(probes.KindTCP))
				Expect(c.Link.Role).To(Equal(links.RoleControl))
				control = append(control, c.Key+" "+c.Spec.Name+" "+c.Spec.Target)
			}
		}
		Expect(control).To(Equal([]string{
			"mesh/m/control/gossip control-gossip 192.0.2.1:7946", "mesh/m/control/manager control-manager 192.0.2.1:2377",
			"mesh/w/control/gossip control-gossip 192.0.2.2:7946"}), "a plain Docker host (no Swarm role) has no control plane")
		Expect(src.Probes("w", mesh.PathControl)).To(BeTrue(), "a rotated-out round pauses it, never retires it")
		Expect(src.Probes("plain", mesh.PathControl)).To(BeFalse())
	})

	It("fills link, spec and interval", func() {
		src := mesh.NewSource(self, cfg, nil, &discovered{peers: []mesh.Peer{
			{Name: "b", OverlayAddr: "10.0.1.2"}, {Name: "c", UnderlayAddr: "192.0.2.3", PublishedPort: 19471}}})
		checks, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		byKey := map[string]controller.Check{}
		for _, c := range checks {
			byKey[c.Key] = c
		}
		Expect(byKey["mesh/b/overlay/large"]).To(Equal(controller.Check{
			Key: "mesh/b/overlay/large", Origin: "mesh",
			Link: controller.Link{Source: "a", Destination: "b", Path: "overlay", Role: links.RoleLarge, Direction: links.Outbound},
			Spec: probes.Spec{Name: "overlay-large", Kind: probes.KindPeer, Target: "10.0.1.2:9471",
				Timeout: 2 * time.Second, Expect: probes.ExpectReachable,
				Peer: &probes.PeerOptions{Transport: "tcp", Size: 65536, Path: "overlay", Peer: "b"}},
			Interval: 10 * time.Second,
		}))
		for key, c := range byKey {
			Expect(c.Link.Direction).To(Equal(links.Outbound), key)
		}
		Expect(byKey["mesh/b/overlay/tcp"].Link.Role).To(Equal(links.RoleTCP))
		Expect(byKey["mesh/c/published/udp"].Link.Role).To(Equal(links.RoleUDP))
		Expect(byKey["mesh/c/published/oneway"].Link.Role).To(Equal(links.RoleOneWay))
		Expect(byKey["mesh/c/published/udp"].Spec.Target).To(Equal("192.0.2.3:19471"))
		Expect(*byKey["mesh/c/published/udp"].Spec.Peer).To(Equal(
			probes.PeerOptions{Transport: "udp", Size: 64, Count: 3, Path: "published", Peer: "c"}))
		Expect(*byKey["mesh/c/published/oneway"].Spec.Peer).To(Equal(
			probes.PeerOptions{Transport: "udp", Size: 64, Count: mesh.MinBeacons, Path: "published", Peer: "c", OneWay: true}), "twenty beacons a run at least: a countable loss, two runs enough to judge it")
	})

	It("leaves out the large echo when disabled, drained nodes, and the name check of address-named peers", func() {
		c := cfg
		c.LargeSize, c.OneWay = 0, false
		src := mesh.NewSource(self, c, nil, &discovered{peers: []mesh.Peer{
			{Name: "10.0.1.9", OverlayAddr: "10.0.1.9"}, {Name: "d", UnderlayAddr: "192.0.2.4", State: mesh.StateDrain}}})
		checks, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(keys(checks)).To(Equal([]string{"mesh/10.0.1.9/overlay/icmp", "mesh/10.0.1.9/overlay/tcp", "mesh/10.0.1.9/overlay/udp"}))
		Expect(checks[1].Spec.Peer.Peer).To(BeEmpty())
		Expect(src.Peers()).To(HaveLen(2), "drained peers are still discovered")
		Expect(src.ExpectedInbound()).To(Equal([]mesh.PeerPath{{Peer: "10.0.1.9", Path: "overlay"}}))
		Expect(src.Probes("10.0.1.9", "overlay")).To(BeTrue())
		Expect(src.Probes("10.0.1.9", "published")).To(BeFalse(), "no underlay address")
		Expect(src.Probes("d", "published")).To(BeFalse(), "discovered, but drained: its checks are retired")
	})

	It("skips ErrNotManager but fails on other discovery errors, keeping the last peers", func() {
		good := &discovered{peers: []mesh.Peer{{Name: "b", OverlayAddr: "10.0.1.2"}}}
		worker := &discovered{err: fmt.Errorf("listing swarm nodes: %w", mesh.ErrNotManager)}
		src := mesh.NewSource(self, cfg, nil, good, worker)
		_, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		good.err = errors.New("dns down")
		_, err = src.Desired(ctx)
		Expect(err).To(MatchError(ContainSubstring("mesh discovery: dns down")))
		Expect(src.Peers()).To(ConsistOf(HaveField("Name", "b")))
		good.err, good.peers = nil, nil
		now := time.Now()
		checks, err := src.DesiredAt(ctx, now)
		Expect(err).NotTo(HaveOccurred())
		Expect(checks).NotTo(BeEmpty(), "a vanished peer is still probed: a fault must not retire the peer it breaks")
		Expect(src.Peers()).To(ConsistOf(And(HaveField("Name", "b"), HaveField("State", mesh.StateLost))))
		checks, err = src.DesiredAt(ctx, now.Add(mesh.DefaultLostHold+time.Minute))
		Expect(err).NotTo(HaveOccurred())
		Expect(checks).To(BeEmpty(), "after the hold it is gone from the desired set")
	})

	It("keeps probing a node's overlay address when only the Swarm's node list still names it (its task gone from DNS)", func() {
		dns := &discovered{peers: []mesh.Peer{{Name: "b", OverlayAddr: "10.0.1.2"}}}
		node := swarm.Node{ID: "n-b", Description: swarm.NodeDescription{Hostname: "b"},
			Status: swarm.NodeStatus{State: swarm.NodeStateDown, Addr: "10.0.0.2"}}
		src := mesh.NewSource(self, cfg, nil, dns, mesh.DockerNodes{Client: &fakeNodes{nodes: []swarm.Node{node}}})
		_, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		dns.peers = nil
		checks, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(src.Peers()).To(ConsistOf(And(HaveField("OverlayAddr", "10.0.1.2"), HaveField("UnderlayAddr", "10.0.0.2"))))
		Expect(checks).To(ContainElement(HaveField("Link.Path", mesh.PathOverlay)), "its overlay checks stay: the fault must not retire them")
	})

	It("never keeps a peer no agent ever answered for (named by its address)", func() {
		dns := &discovered{peers: []mesh.Peer{{Name: "10.0.1.4", OverlayAddr: "10.0.1.4"}, {Name: "b", OverlayAddr: "10.0.1.2"}}}
		src := mesh.NewSource(self, cfg, nil, dns)
		_, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		dns.peers = dns.peers[1:]
		_, err = src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(src.Peers()).To(ConsistOf(HaveField("Name", "b")), "a replaced task's old address is not a node")
	})

	It("forgets at once a vanished peer that the agent knows is out on purpose (drained, from a manager's view)", func() {
		dns := &discovered{peers: []mesh.Peer{{Name: "b", OverlayAddr: "10.0.1.2"}, {Name: "c", OverlayAddr: "10.0.1.3"}}}
		src := mesh.NewSource(self, cfg, nil, dns)
		src.SetPlanned(func(name string) bool { return name == "c" })
		_, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		dns.peers = dns.peers[:1]
		_, err = src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(src.Peers()).To(ConsistOf(HaveField("Name", "b")))
	})

	It("forgets at once a peer that the Swarm's node list no longer has (removed on purpose)", func() {
		dns := &discovered{peers: []mesh.Peer{{Name: "b", OverlayAddr: "10.0.1.2"}, {Name: "c", OverlayAddr: "10.0.1.3"}}}
		node := func(id, host, addr string) swarm.Node {
			return swarm.Node{ID: id, Description: swarm.NodeDescription{Hostname: host},
				Status: swarm.NodeStatus{State: swarm.NodeStateReady, Addr: addr}}
		}
		nodes := &fakeNodes{nodes: []swarm.Node{node("n-b", "b", "10.0.0.2"), node("n-c", "c", "10.0.0.3")}}
		src := mesh.NewSource(self, cfg, nil, dns, mesh.DockerNodes{Client: nodes})
		_, err := src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		dns.peers = dns.peers[:1]
		nodes.nodes = nodes.nodes[:1] // c removed from the swarm
		_, err = src.Desired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(src.Peers()).To(ConsistOf(HaveField("Name", "b")))
		Expect(src.SwarmNodes()).To(ConsistOf(And(HaveField("Name", "b"), HaveField("State", "ready"))),
			"the engine's own node list, not the merged peers")
	})

	Describe("subset rotation", func() {
		names := func(n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprintf("node-%02d", i)
			}
			return out
		}
		// probedIn returns, for round r, every agent's probed peers.
		probedIn := func(all []string, k int, round int64) map[string][]string {
			GinkgoHelper()
			c := mesh.SourceConfig{Interval: 10 * time.Second, SubsetK: k, LargeSize: 0}
			now := time.Unix(0, round*int64(c.Interval)).Add(3 * time.Second)
			out := map[string][]string{}
			for _, me := range all {
				var peers []mesh.Peer
				for _, n := range all {
					peers = append(peers, mesh.Peer{Name: n, OverlayAddr: "10.0.0.1"})
				}
				src := mesh.NewSource(mesh.Identity{Name: me}, c, nil, &discovered{peers: peers})
				Expect(src.Round(now)).To(Equal(round))
				checks, err := src.DesiredAt(ctx, now)
				Expect(err).NotTo(HaveOccurred())
				for _, ch := range checks {
					if ch.Spec.Peer != nil && ch.Spec.Peer.Transport == "tcp" {
						out[me] = append(out[me], ch.Link.Destination)
					}
				}
			}
			return out
		}

		DescribeTable("covers every ordered pair within ceil((N-1)/k) rounds, k probes out and in per round",
			func(n, k int) {
				all := names(n)
				rounds := mesh.RoundsToCover(n, k)
				want := min(k, n-1)
				if k == 0 {
					want = n - 1
				}
				for _, start := range []int64{0, 170000001, 170000002} {
					covered := map[[2]string]bool{}
					for r := start; r < start+int64(rounds); r++ {
						in := map[string]int{}
						for src, dsts := range probedIn(all, k, r) {
							Expect(dsts).To(HaveLen(want), "probes out of %s in round %d", src, r)
							for _, d := range dsts {
								Expect(d).NotTo(Equal(src))
								covered[[2]string{src, d}] = true
								in[d]++
							}
						}
						for _, name := range all {
							Expect(in[name]).To(Equal(want), "probes into %s in round %d", name, r)
						}
					}
					Expect(covered).To(HaveLen(n*(n-1)), "pairs covered from round %d in %d rounds", start, rounds)
				}
			},
			Entry("N=2 k=1", 2, 1),
			Entry("N=3 k=1", 3, 1),
			Entry("N=5 k=2", 5, 2),
			Entry("N=6 k=2", 6, 2),
			Entry("N=7 k=3", 7, 3),
			Entry("N=10 k=3", 10, 3),
			Entry("N=10 k=1", 10, 1),
			Entry("N=4 k=5 (k beyond peers)", 4, 5),
			Entry("N=5 k=0 (all peers)", 5, 0),
		)

		DescribeTable("tells a destination which peers are due to probe it in a round, as the senders pick",
			func(n, k int) {
				all := names(n)
				c := mesh.SourceConfig{Interval: 10 * time.Second, SubsetK: k}
				for _, r := range []int64{0, 1, 170000003, 170000004, 170000005} {
					probed := probedIn(all, k, r)
					for _, me := range all {
						var peers []mesh.Peer
						for _, name := range all {
							peers = append(peers, mesh.Peer{Name: name, OverlayAddr: "10.0.0.1"})
						}
						src := mesh.NewSource(mesh.Identity{Name: me}, c, nil, &discovered{peers: peers})
						_, err := src.Desired(ctx)
						Expect(err).NotTo(HaveOccurred())
						due := src.DueFrom(r)
						Expect(due).To(HaveLen(n-1), "every peer of %s has an answer", me)
						for _, from := range all {
							if from != me {
								Expect(due[from]).To(Equal(slices.Contains(probed[from], me)),
									"%s due to probe %s in round %d", from, me, r)
							}
						}
					}
				}
			},
			Entry("N=2 k=1", 2, 1),
			Entry("N=5 k=2", 5, 2),
			Entry("N=7 k=3", 7, 3),
			Entry("N=10 k=3", 10, 3),
			Entry("N=12 k=5", 12, 5),
			Entry("N=4 k=5 (k beyond peers)", 4, 5),
			Entry("N=5 k=0 (all peers)", 5, 0),
		)

		// node00Of is node-00's source among n nodes, two peers a round.
		node00Of := func(n int) (*mesh.Source, mesh.SourceConfig) {
			c := mesh.SourceConfig{Interval: 10 * time.Second, SubsetK: 2}
			var peers []mesh.Peer
			for _, name := range names(n)[1:] {
				peers = append(peers, mesh.Peer{Name: name, OverlayAddr: "10.0.0.1"})
			}
			return mesh.NewSource(mesh.Identity{Name: "node-00"}, c, nil, &discovered{peers: peers}), c
		}

		It("probes the peers whose links fail in every round on top of the round's block, at most k of them", func() {
			src, c := node00Of(10)
			probed := func(round int64) []string {
				GinkgoHelper()
				checks, err := src.DesiredAt(ctx, time.Unix(0, round*int64(c.Interval)).Add(time.Second))
				Expect(err).NotTo(HaveOccurred())
				var out []string
				for _, ch := range checks {
					if ch.Spec.Peer != nil && ch.Spec.Peer.Transport == "tcp" {
						out = append(out, ch.Link.Destination)
					}
				}
				return out
			}
			Expect(probed(0)).To(ConsistOf("node-01", "node-02"))
			Expect(probed(1)).To(ConsistOf("node-03", "node-04"))
			troubled := map[string]bool{"node-01": true, "node-04": true}
			src.SetFollowUp(func() map[string]bool { return troubled })
			Expect(probed(1)).To(ConsistOf("node-03", "node-04", "node-01"), "node-04 is in the block; node-01 follows")
			Expect(probed(2)).To(ConsistOf("node-05", "node-06", "node-01", "node-04"))
			troubled = map[string]bool{"node-01": true, "node-03": true, "node-07": true, "node-08": true}
			Expect(probed(2)).To(ConsistOf("node-05", "node-06", "node-07", "node-08"), "at most k follow-ups, in ring order after the block")
			troubled = map[string]bool{}
			Expect(probed(2)).To(ConsistOf("node-05", "node-06"), "a link that passes again leaves the follow-ups")
		})

		It("says when the next round starts and how long a rotation takes", func() {
			src, _ := node00Of(7)
			Expect(src.NextRound(time.Unix(1003, 0))).To(Equal(time.Unix(1010, 0)))
			_, err := src.Desired(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(src.MaxInboundGap()).To(Equal(30 * time.Second))
			Expect(mesh.RoundsToCover(7, 2)).To(Equal(3))
		})
	})
})

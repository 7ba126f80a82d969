package mesh_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
)

var _ = Describe("discovery", func() {
	Describe("Merge", func() {
		self := mesh.Identity{Name: "a", Hostname: "host-a", NodeID: "n1",
			OverlayAddrs: []string{"10.0.1.1"}, UnderlayAddrs: []string{"192.0.2.1"}}

		DescribeTable("excludes self",
			func(p mesh.Peer) {
				Expect(mesh.Merge(self, []mesh.Peer{p, {Name: "b"}})).To(Equal([]mesh.Peer{{Name: "b"}}))
			},
			Entry("by name", mesh.Peer{Name: "a"}),
			Entry("by hostname", mesh.Peer{Name: "host-a"}),
			Entry("by node ID", mesh.Peer{Name: "x", NodeID: "n1"}),
			Entry("by overlay address", mesh.Peer{Name: "10.0.1.1", OverlayAddr: "10.0.1.1"}),
			Entry("by underlay address", mesh.Peer{Name: "x", UnderlayAddr: "192.0.2.1"}),
		)

		It("dedups by name and node ID, merges addresses, drops nameless peers, sorts", func() {
			dnsPeers := []mesh.Peer{
				{Name: "c", NodeID: "n3", OverlayAddr: "10.0.1.3", State: "running"},
				{Name: "b", NodeID: "n2", OverlayAddr: "10.0.1.2", State: "running"},
			}
			docker := []mesh.Peer{
				{Name: "host-b", NodeID: "n2", UnderlayAddr: "192.0.2.2", Role: "manager", State: "ready"},
				{Name: "c", NodeID: "n3", UnderlayAddr: "192.0.2.3", Role: "worker", State: "ready"},
				{Name: ""},
			}
			static := []mesh.Peer{{Name: "d", UnderlayAddr: "192.0.2.4", PublishedPort: 19471, State: "static"}}
			Expect(mesh.Merge(self, dnsPeers, docker, static)).To(Equal([]mesh.Peer{
				{Name: "b", NodeID: "n2", OverlayAddr: "10.0.1.2", UnderlayAddr: "192.0.2.2", Role: "manager", State: "running"},
				{Name: "c", NodeID: "n3", OverlayAddr: "10.0.1.3", UnderlayAddr: "192.0.2.3", Role: "worker", State: "running"},
				{Name: "d", UnderlayAddr: "192.0.2.4", PublishedPort: 19471, State: "static"},
			}))
		})
	})

	It("lists static hosts, named by address when unnamed", func() {
		peers, err := mesh.Static{Hosts: []mesh.StaticHost{
			{Name: "edge-1", Address: "edge1.example", PublishedPort: 19471},
			{Address: "192.0.2.9"},
		}}.Peers(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(peers).To(Equal([]mesh.Peer{
			{Name: "edge-1", UnderlayAddr: "edge1.example", PublishedPort: 19471, State: mesh.StateStatic},
			{Name: "192.0.2.9", UnderlayAddr: "192.0.2.9", State: mesh.StateStatic},
		}))
	})

	Describe("DockerNodes", func() {
		It("maps nodes to peers", func() {
			nodes := []swarm.Node{
				{ID: "n1", Description: swarm.NodeDescription{Hostname: "mgr"},
					Spec:          swarm.NodeSpec{Role: swarm.NodeRoleManager, Availability: swarm.NodeAvailabilityActive},
					Status:        swarm.NodeStatus{State: swarm.NodeStateReady, Addr: "0.0.0.0"},
					ManagerStatus: &swarm.ManagerStatus{Addr: "192.0.2.1:2377"}},
				{ID: "n2", Description: swarm.NodeDescription{Hostname: "wrk"},
					Spec:   swarm.NodeSpec{Role: swarm.NodeRoleWorker, Availability: swarm.NodeAvailabilityDrain},
					Status: swarm.NodeStatus{State: swarm.NodeStateReady, Addr: "192.0.2.2"}},
				{ID: "n3", Spec: swarm.NodeSpec{Role: swarm.NodeRoleWorker},
					Status: swarm.NodeStatus{State: swarm.NodeStateDown, Addr: "192.0.2.3"}},
			}
			peers, err := mesh.DockerNodes{Client: &fakeNodes{nodes: nodes}}.Peers(context.Background())
			Expect(err).NotTo(HaveOccurred())
			Expect(peers).To(Equal([]mesh.Peer{
				{Name: "mgr", NodeID: "n1", UnderlayAddr: "192.0.2.1", Role: "manager", State: "ready"},
				{Name: "wrk", NodeID: "n2", UnderlayAddr: "192.0.2.2", Role: "worker", State: mesh.StateDrain},
				{Name: "n3", NodeID: "n3", UnderlayAddr: "192.0.2.3", Role: "worker", State: "down"},
			}))
		})

		It("says ErrNotManager on a worker", func() {
			err := errors.New("Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.")
			_, got := mesh.DockerNodes{Client: &fakeNodes{err: err}}.Peers(context.Background())
			Expect(got).To(MatchError(mesh.ErrNotManager))
			Expect(got).To(MatchError(err))
		})

		It("passes other errors through", func() {
			_, err := mesh.DockerNodes{Client: &fakeNodes{err: errors.New("connection refused")}}.Peers(context.Background())
			Expect(err).To(MatchError(ContainSubstring("listing swarm nodes: connection refused")))
			Expect(errors.Is(err, mesh.ErrNotManager)).To(BeFalse())
		})
	})

	Describe("DNSTasks", func() {
		It("resolves tasks.<service> and names each task by its identity, else by its address", func() {
			resp := startResponder("node-b", mesh.ResponderOptions{
				Identity: mesh.Identity{NodeID: "n2", Role: "worker", UnderlayAddrs: []string{"192.0.2.2"}},
			})
			_, port, _ := net.SplitHostPort(resp.Addr())
			d := &mesh.DNSTasks{Service: "swarmlink", Resolver: dnsServer("tasks.swarmlink.", "127.0.0.1", "127.0.0.2"),
				Port: atoi(port), Key: testKey}
			want := []mesh.Peer{
				{Name: "node-b", NodeID: "n2", OverlayAddr: "127.0.0.1", UnderlayAddr: "192.0.2.2", Role: "worker", State: mesh.StateRunning},
				{Name: "127.0.0.2", OverlayAddr: "127.0.0.2", State: mesh.StateRunning},
			}
			Expect(d.Peers(context.Background())).To(Equal(want))
			By("answering from the cache while the responder is not queried again")
			Expect(d.Peers(context.Background())).To(Equal(want))
			Expect(counter(resp.reg, "swarmlink_peer_messages_total",
				map[string]string{"transport": "tcp", "type": "identity_request"})).To(Equal(1.0))
		})

		It("keeps the name of a task whose address leaves tasks.<service> and comes back unidentified, for the TTL", func() {
			// The embedded DNS drops a cut-off node's task and lists it again
			// when the node is back, before the overlay carries the identity
			// query: the peer must come back as node-b, not as its address.
			resp := startResponder("node-b", mesh.ResponderOptions{})
			_, port, _ := net.SplitHostPort(resp.Addr())
			var ips atomic.Pointer[[]string]
			set := func(v ...string) { ips.Store(&v) }
			set("127.0.0.1")
			d := &mesh.DNSTasks{Service: "swarmlink", Resolver: dnsServerFunc("tasks.swarmlink.", func() []string { return *ips.Load() }),
				Port: atoi(port), Key: testKey, CacheTTL: time.Second}
			named := func() []string {
				GinkgoHelper()
				peers, err := d.Peers(context.Background())
				Expect(err).NotTo(HaveOccurred())
				var out []string
				for _, p := range peers {
					out = append(out, p.Name)
				}
				return out
			}
			Expect(named()).To(Equal([]string{"node-b"}))
			set("127.0.0.2")
			_, closed, _ := net.SplitHostPort(closedPort())
			d.Port = atoi(closed) // from now on no identity query is answered
			Expect(named()).To(Equal([]string{"127.0.0.2"}))
			set("127.0.0.1", "127.0.0.2")
			Expect(named()).To(Equal([]string{"node-b", "127.0.0.2"}))
			By("forgetting an address that stayed out longer than the TTL")
			set("127.0.0.2")
			Expect(named()).To(Equal([]string{"127.0.0.2"}))
			time.Sleep(1100 * time.Millisecond)
			Expect(named()).To(Equal([]string{"127.0.0.2"}))
			set("127.0.0.1", "127.0.0.2")
			Expect(named()).To(Equal([]string{"127.0.0.1", "127.0.0.2"}))
		})

		It("fails when the name does not resolve", func() {
			d := &mesh.DNSTasks{Service: "nothing", Resolver: dnsServer("tasks.swarmlink.", "127.0.0.1")}
			_, err := d.Peers(context.Background())
			Expect(err).To(MatchError(ContainSubstring("resolving tasks.nothing.")))
		})
	})
})

// fakeNodes is a NodeLister; Docker itself is exercised in the e2e tests.
type fakeNodes struct {
	nodes []swarm.Node
	err   error
}

func (f *fakeNodes) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return f.nodes, f.err
}

// dnsServer serves A records for name on a loopback UDP port until the
// spec ends; every other name is NXDOMAIN.
func dnsServer(name string, ips ...string) string {
	GinkgoHelper()
	return dnsServerFunc(name, func() []string { return ips })
}

// dnsServerFunc is dnsServer answering the addresses ips returns at each
// query.
func dnsServerFunc(name string, ips func() []string) string {
	GinkgoHelper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if q.Question[0].Name != name {
			m.Rcode = dns.RcodeNameError
		} else if q.Question[0].Qtype == dns.TypeA {
			for _, ip := range ips() {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0},
					A:   net.ParseIP(ip)})
			}
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	Eventually(started).Should(BeClosed())
	DeferCleanup(srv.Shutdown)
	return pc.LocalAddr().String()
}

func atoi(s string) int {
	GinkgoHelper()
	n, err := strconv.Atoi(s)
	Expect(err).NotTo(HaveOccurred())
	return n
}

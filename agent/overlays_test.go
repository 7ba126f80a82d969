package agent

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/docker/docker/api/types/network"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/links"
)

// fakeNetworks answers NetworkList and NetworkInspect from fixed data.
type fakeNetworks struct {
	list     []network.Summary
	inspect  map[string]network.Inspect
	err      error
	inspects []string
}

func (f *fakeNetworks) NetworkList(context.Context, network.ListOptions) ([]network.Summary, error) {
	return f.list, f.err
}

func (f *fakeNetworks) NetworkInspect(_ context.Context, id string, o network.InspectOptions) (network.Inspect, error) {
	if !o.Verbose {
		return network.Inspect{}, errors.New("not verbose: no peers")
	}
	f.inspects = append(f.inspects, id)
	return f.inspect[id], nil
}

func overlayNet(id, name, subnet string, opts map[string]string) network.Summary {
	return network.Summary{ID: id, Name: name, Driver: "overlay", Scope: "swarm", Options: opts,
		IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: subnet}}}}
}

var _ = Describe("the node's overlay networks", func() {
	fake := func() *fakeNetworks {
		ingress := overlayNet("ing", "ingress", "10.0.0.0/24", nil)
		ingress.Ingress = true
		return &fakeNetworks{
			list: []network.Summary{ingress, overlayNet("net-a", "stack_agents", "10.0.1.0/24", nil),
				overlayNet("net-w", "wide", "10.99.0.0/16", map[string]string{"encrypted": ""}),
				{ID: "br", Name: "bridge", Driver: "bridge", Scope: "local"}},
			inspect: map[string]network.Inspect{"net-a": {
				Peers: []network.PeerInfo{{Name: "n2", IP: "10.99.0.12"}, {Name: "n1", IP: "10.99.0.11"}},
				Services: map[string]network.ServiceInfo{"stack_agent": {Tasks: []network.Task{{}, {}}},
					"web": {Tasks: []network.Task{{}}}}}},
		}
	}

	It("lists the swarm overlays but ingress, and reads the peer table of those this agent is on", func() {
		f := fake()
		got, err := readOverlays(context.Background(), f, []string{"172.18.0.3", "10.0.1.5"})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal([]links.OverlayNet{
			{Name: "stack_agents", Subnets: []string{"10.0.1.0/24"}, Attached: true, Peers: []string{"10.99.0.11", "10.99.0.12"}, Tasks: 3},
			{Name: "wide", Subnets: []string{"10.99.0.0/16"}, Encrypted: true},
		}))
		Expect(f.inspects).To(Equal([]string{"net-a"}), "only an attached network has a peer table to read")
	})

	It("keeps the last good read when the engine fails, and reads at most every period", func() {
		f := fake()
		o := &overlays{api: f, local: func() []string { return []string{"10.0.1.5"} }, period: time.Minute, log: zap.NewNop()}
		now := time.Now()
		o.refresh(context.Background(), now)
		Expect(o.get()).To(HaveLen(2))
		f.err = errors.New("engine gone")
		o.refresh(context.Background(), now.Add(2*time.Minute))
		Expect(o.get()).To(HaveLen(2), "the last good read stays")
		f.err, f.list = nil, nil
		o.refresh(context.Background(), now.Add(2*time.Minute+time.Second))
		Expect(o.get()).To(HaveLen(2), "within the period of the last try: not read again")
		var none *overlays
		Expect(none.get()).To(BeNil(), "no engine: no overlays")
	})
})

var _ = Describe("an interface's MTU", func() {
	It("is that of the interface holding the address, or of the one a datagram to a target leaves by", func() {
		lo, err := net.InterfaceByName("lo")
		if err != nil {
			Skip("no loopback interface named lo")
		}
		Expect(mtuOf("127.0.0.1")).To(Equal(lo.MTU))
		Expect(localMTU("127.0.0.1:9")).To(Equal(lo.MTU))
		Expect(mtuOf("192.0.2.254")).To(BeZero(), "no interface holds it")
	})
})

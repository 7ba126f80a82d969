package scale

import (
	"context"
	"strconv"
)

// Heal undoes a fault. Calling it twice is harmless.
type Heal func(ctx context.Context)

var peerPort = strconv.Itoa(PeerPort)

// iptablesIn inserts a DROP in namespace ns for tcp and udp to the peer
// port, with extra matches, in chain; the Heal deletes them.
func iptablesIn(ctx context.Context, ns, chain string, extra ...string) (Heal, error) {
	rule := func(proto string) []string {
		r := append([]string{chain, "-p", proto, "--dport", peerPort}, extra...)
		return append(r, "-m", "comment", "--comment", Comment, "-j", "DROP")
	}
	heal := func(ctx context.Context) {
		for _, p := range []string{"udp", "tcp"} {
			_ = inNS(ctx, ns, "iptables", append([]string{"-D"}, rule(p)...)...)
		}
	}
	for _, p := range []string{"udp", "tcp"} {
		if err := inNS(ctx, ns, "iptables", append([]string{"-I"}, rule(p)...)...); err != nil {
			heal(ctx)
			return nil, err
		}
	}
	return heal, nil
}

// DropInbound drops node i's inbound mesh traffic (UDP and TCP to the peer
// port): the e2e suite's "overlay data plane to one node dropped", with no
// VXLAN here.
func DropInbound(ctx context.Context, i int) (Heal, error) {
	return iptablesIn(ctx, nodeNS(i), "INPUT")
}

// DropOneWay drops the mesh traffic from node from to node to at from, so
// only that direction breaks.
func DropOneWay(ctx context.Context, from, to int) (Heal, error) {
	return iptablesIn(ctx, nodeNS(from), "OUTPUT", "-d", nodeAddr(to))
}

// CutNode takes node i's veth down on the bridge side: the host is cut off.
func CutNode(ctx context.Context, i int) (Heal, error) {
	if err := run(ctx, "ip", "link", "set", nodeVeth(i), "down"); err != nil {
		return nil, err
	}
	return func(ctx context.Context) { _ = run(ctx, "ip", "link", "set", nodeVeth(i), "up") }, nil
}

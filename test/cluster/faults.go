package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Heal undoes a fault. It is idempotent: calling it again, or after the
// node or its namespace is gone, is not an error.
type Heal func(ctx context.Context) error

// vxlanPort is the overlay data plane (VXLAN over UDP).
const vxlanPort = "4789"

// dropRule is one DROP rule in a node's namespace.
type dropRule struct {
	table, chain string
	match        []string
}

func (r dropRule) args(op string) []string {
	a := []string{"iptables", "-t", r.table, op, r.chain}
	a = append(a, r.match...)
	return append(a, "-m", "comment", "--comment", RuleComment, "-j", "DROP")
}

// injectRules inserts rules in n's namespace; its Heal deletes every copy of
// them. If one insert fails, the ones before it are removed.
func injectRules(ctx context.Context, n *Node, rules ...dropRule) (Heal, error) {
	heal := func(ctx context.Context) error {
		for _, r := range rules {
			for i := 0; i < 10; i++ {
				if _, err := nsRun(ctx, n.NS(), r.args("-C")...); err != nil {
					break // absent (or the namespace is gone): healed
				}
				if _, err := nsRun(ctx, n.NS(), r.args("-D")...); err != nil {
					return fmt.Errorf("healing %s: %w", n.Name, err)
				}
			}
		}
		return nil
	}
	for _, r := range rules {
		if _, err := nsRun(ctx, n.NS(), r.args("-I")...); err != nil {
			return nil, errors.Join(fmt.Errorf("injecting fault on %s: %w", n.Name, err), heal(ctx))
		}
	}
	return heal, nil
}

// DropOverlayTo drops the overlay data plane arriving at n (VXLAN, UDP 4789,
// in n's INPUT chain): overlay traffic to n's tasks vanishes, while its
// published ports still answer.
func DropOverlayTo(ctx context.Context, n *Node) (Heal, error) {
	return injectRules(ctx, n, dropRule{"filter", "INPUT", []string{"-p", "udp", "--dport", vxlanPort}})
}

// DropOverlayFrom drops the overlay data plane leaving n (OUTPUT chain).
func DropOverlayFrom(ctx context.Context, n *Node) (Heal, error) {
	return injectRules(ctx, n, dropRule{"filter", "OUTPUT", []string{"-p", "udp", "--dport", vxlanPort}})
}

// DropPublishedPort drops traffic to a port published on n (proto tcp or
// udp). The rule sits in the raw table's PREROUTING, before Docker's DNAT
// turns the published port into a container address.
func DropPublishedPort(ctx context.Context, n *Node, proto string, port int) (Heal, error) {
	m := []string{"-d", n.Addr, "-p", proto, "--dport", strconv.Itoa(port)}
	return injectRules(ctx, n, dropRule{"raw", "PREROUTING", m})
}

// DropGossip blocks n's Swarm gossip (memberlist, TCP and UDP 7946) both
// ways in n's own stack (INPUT and OUTPUT; its containers' connects out,
// which pass FORWARD, still go): the other nodes' engines lose n from
// their overlay peer tables, and n loses them, while the managers' port
// (2377) and VXLAN (4789) still pass, so the Swarm keeps n ready.
func DropGossip(ctx context.Context, n *Node) (Heal, error) {
	var rules []dropRule
	for _, proto := range []string{"tcp", "udp"} {
		rules = append(rules,
			dropRule{"filter", "INPUT", []string{"-p", proto, "--dport", gossipPort}},
			dropRule{"filter", "OUTPUT", []string{"-p", proto, "--dport", gossipPort}})
	}
	return injectRules(ctx, n, rules...)
}

// DropInnerTCPUDPFrom drops the VXLAN packets leaving n whose inner packet
// is TCP or UDP and spares ICMP: what a broken TX checksum offload looks
// like to the receivers, which discard the bad TCP and UDP checksums. The
// u32 match reads the inner IPv4 protocol: the outer IP header's length,
// then UDP (8) + VXLAN (8) + Ethernet (14) + 9 bytes.
func DropInnerTCPUDPFrom(ctx context.Context, n *Node) (Heal, error) {
	var rules []dropRule
	for _, proto := range []string{"6", "17"} {
		rules = append(rules, dropRule{"filter", "OUTPUT",
			[]string{"-p", "udp", "--dport", vxlanPort, "-m", "u32", "--u32", "0>>22&0x3C@36&0xFF=" + proto}})
	}
	return injectRules(ctx, n, rules...)
}

// gossipPort is Swarm's memberlist port.
const gossipPort = "7946"

// DropOneWay drops traffic from one node to another's address, for proto
// and port (port 0: every port; proto "": every protocol), in from's OUTPUT
// (the node itself, VXLAN) and FORWARD (its containers) chains. The reverse
// direction is untouched.
func DropOneWay(ctx context.Context, from, to *Node, proto string, port int) (Heal, error) {
	m := []string{"-d", to.Addr}
	if proto != "" {
		m = append(m, "-p", proto)
		if port != 0 {
			m = append(m, "--dport", strconv.Itoa(port))
		}
	}
	return injectRules(ctx, from,
		dropRule{"filter", "OUTPUT", m}, dropRule{"filter", "FORWARD", m})
}

// MTUBlackHole makes an MTU black hole towards n: VXLAN packets of 1000
// bytes or more arriving at n are dropped, so small exchanges pass and large
// ones time out. (Lowering a veth's MTU does not make one here: the bridge
// refragments VXLAN packets, whose DF bit is clear.)
func MTUBlackHole(ctx context.Context, n *Node) (Heal, error) {
	return MTUBlackHoleTo(ctx, n, 1000)
}

// MTUBlackHoleTo drops the VXLAN packets arriving at n whose outer IP packet
// is length bytes or longer (iptables' length match counts the whole IP
// packet, header included): the receiving side of a black hole.
func MTUBlackHoleTo(ctx context.Context, n *Node, length int) (Heal, error) {
	return injectRules(ctx, n, dropRule{"filter", "INPUT", vxlanLonger(length)})
}

// MTUBlackHoleFrom drops the VXLAN packets leaving n whose outer IP packet is
// length bytes or longer: the sending side of a black hole.
func MTUBlackHoleFrom(ctx context.Context, n *Node, length int) (Heal, error) {
	return injectRules(ctx, n, dropRule{"filter", "OUTPUT", vxlanLonger(length)})
}

func vxlanLonger(length int) []string {
	return []string{"-p", "udp", "--dport", vxlanPort, "-m", "length", "--length", strconv.Itoa(length) + ":65535"}
}

// VXLANOverhead is what VXLAN adds around an overlay IP packet on the
// underlay: outer IPv4 (20), UDP (8), VXLAN (8) and the inner Ethernet
// header (14). An outer IP packet of L bytes carries an inner IP packet of
// L − VXLANOverhead bytes.
const VXLANOverhead = 20 + 8 + 8 + 14

// DropOverlayBetween drops the overlay data plane in one direction of one
// pair: VXLAN from from's underlay address arriving at to (to's INPUT). The
// reverse direction, and everything else either node sends, is untouched.
func DropOverlayBetween(ctx context.Context, from, to *Node) (Heal, error) {
	m := []string{"-s", from.Addr, "-p", "udp", "--dport", vxlanPort}
	return injectRules(ctx, to, dropRule{"filter", "INPUT", m})
}

// LossTo drops a random share p (0 < p < 1) of the VXLAN packets arriving at
// n (iptables statistic, random mode: this kernel has no netem).
func LossTo(ctx context.Context, n *Node, p float64) (Heal, error) {
	m := []string{"-p", "udp", "--dport", vxlanPort, "-m", "statistic", "--mode", "random",
		"--probability", strconv.FormatFloat(p, 'f', -1, 64)}
	return injectRules(ctx, n, dropRule{"filter", "INPUT", m})
}

// CutNode cuts n off the underlay: the root side of its veth goes down.
func CutNode(ctx context.Context, n *Node) (Heal, error) {
	if _, err := run(ctx, "ip", "link", "set", n.names.Veth, "down"); err != nil {
		return nil, fmt.Errorf("cutting %s off: %w", n.Name, err)
	}
	return func(ctx context.Context) error {
		if !linkExists(ctx, n.names.Veth) {
			return nil
		}
		if _, err := run(ctx, "ip", "link", "set", n.names.Veth, "up"); err != nil {
			return fmt.Errorf("reconnecting %s: %w", n.Name, err)
		}
		return nil
	}, nil
}

// StopEngine stops n's dockerd (its containers stop with it). Heal starts it
// again on the same data root, so it rejoins the Swarm, and waits until its
// API answers; the Swarm then restarts its tasks on its own.
func StopEngine(ctx context.Context, n *Node) (Heal, error) {
	if err := n.stopEngine(ctx, 20*time.Second); err != nil {
		return nil, fmt.Errorf("stopping %s: %w", n.Name, err)
	}
	return n.startEngine, nil
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// forwardRule lets frames bridged between the namespaces pass the root
// namespace's FORWARD chain: with br_netfilter active, a dockerd that ever
// ran in the root namespace leaves its policy at DROP.
func forwardRule(op string) []string {
	return []string{"iptables", op, "FORWARD", "-i", Bridge, "-o", Bridge,
		"-m", "comment", "--comment", RuleComment, "-j", "ACCEPT"}
}

// setupBridge creates the underlay bridge in the root namespace.
func setupBridge(ctx context.Context) error {
	err := runAll(ctx, [][]string{
		{"ip", "link", "add", Bridge, "type", "bridge"},
		{"ip", "addr", "add", BridgeAddr + "/24", "dev", Bridge},
		{"ip", "link", "set", Bridge, "up"},
		forwardRule("-I"),
	})
	if err != nil {
		return fmt.Errorf("creating bridge %s: %w", Bridge, err)
	}
	return nil
}

// setupNodeNet creates a node's network namespace and plugs it into the
// bridge with a veth pair; inside, the veth is eth0 with the node address.
func setupNodeNet(ctx context.Context, n nodeNames) error {
	err := runAll(ctx, [][]string{
		{"ip", "netns", "add", n.NS},
		{"ip", "link", "add", n.Veth, "type", "veth", "peer", "name", n.Peer},
		{"ip", "link", "set", n.Peer, "netns", n.NS},
		{"ip", "link", "set", n.Veth, "master", Bridge, "up"},
	})
	if err != nil {
		return fmt.Errorf("creating namespace %s: %w", n.NS, err)
	}
	inside := [][]string{
		{"ip", "link", "set", n.Peer, "name", "eth0"},
		{"ip", "addr", "add", n.Addr + "/24", "dev", "eth0"},
		{"ip", "link", "set", "eth0", "up"},
		{"ip", "link", "set", "lo", "up"},
		{"ip", "route", "add", "default", "via", BridgeAddr},
	}
	for _, c := range inside {
		if _, err := nsRun(ctx, n.NS, c...); err != nil {
			return fmt.Errorf("configuring namespace %s: %w", n.NS, err)
		}
	}
	return nil
}

// UnderlayUp fails unless the underlay bridge exists with its address. Call
// it before connecting from the machine to a node address: without the
// bridge, 10.99.0.x would follow the default route off the machine.
func UnderlayUp() error {
	ifc, err := net.InterfaceByName(Bridge)
	if err != nil {
		return fmt.Errorf("underlay bridge %s: %w", Bridge, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return fmt.Errorf("underlay bridge %s: %w", Bridge, err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.String() == BridgeAddr {
			return nil
		}
	}
	return errors.New("underlay bridge " + Bridge + " has no address " + BridgeAddr)
}

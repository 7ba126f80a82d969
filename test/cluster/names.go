package cluster

import (
	"fmt"
	"path/filepath"
)

// Fixed names. Every object the harness creates is named from these, so that
// Cleanup and LeakCheck find leftovers of any earlier run.
const (
	// StateDir holds every node's data root, exec root, socket, pidfile and
	// log, the image build context and the files tests bind-mount.
	StateDir = "/tmp/swarmlink-e2e"
	// LockFile serialises cluster runs on the machine (flock).
	LockFile = "/tmp/swarmlink-e2e.lock"
	// Prefix starts the name of every namespace and link the harness makes.
	Prefix = "sl-"
	// Bridge is the underlay bridge in the root namespace.
	Bridge = "sl-br0"
	// BridgeAddr is the root namespace's address on the underlay.
	BridgeAddr = "10.99.0.1"
	// Subnet is the underlay; node i has 10.99.0.(10+i).
	Subnet = "10.99.0.0/24"
	// RuleComment marks every iptables rule the harness inserts.
	RuleComment = "sl-e2e"
	// CgroupPrefix starts each engine's --cgroup-parent, so container
	// processes of a killed run can be found by their cgroup.
	CgroupPrefix = "sl-e2e-"
	// keepMarker in StateDir says the cluster is a demo meant to outlive its
	// creator; Up refuses to clean it up.
	keepMarker = "KEEP"
)

// nodeNames are the per-node names derived from its index (1-based).
type nodeNames struct {
	Hostname string // node1
	NS       string // sl-n1: network namespace
	Veth     string // sl-v1: root side of the node's veth pair
	Peer     string // sl-v1p: namespace side, renamed eth0 inside
	Addr     string // 10.99.0.11
	BIP      string // 172.21.0.1/16: the node's docker0
	Dir      string // /tmp/swarmlink-e2e/n1
	Cgroup   string // /sl-e2e-n1
}

func namesFor(i int) nodeNames {
	return nodeNames{
		Hostname: fmt.Sprintf("node%d", i),
		NS:       fmt.Sprintf("%sn%d", Prefix, i),
		Veth:     fmt.Sprintf("%sv%d", Prefix, i),
		Peer:     fmt.Sprintf("%sv%dp", Prefix, i),
		Addr:     fmt.Sprintf("10.99.0.%d", 10+i),
		BIP:      fmt.Sprintf("172.%d.0.1/16", 20+i),
		Dir:      filepath.Join(StateDir, fmt.Sprintf("n%d", i)),
		Cgroup:   fmt.Sprintf("/%sn%d", CgroupPrefix, i),
	}
}

// netnsPath is where `ip netns add` pins a namespace.
func netnsPath(ns string) string { return "/var/run/netns/" + ns }

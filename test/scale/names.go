package scale

import "fmt"

// Names and addresses the harness owns. 10.97.0.0/16 is off the e2e
// cluster's 10.99.0.0/24 and the machine's uplink.
const (
	StateDir   = "/tmp/swarmlink-scale"
	Bridge     = "scl-br0"
	BridgeAddr = "10.97.0.1"
	Comment    = "scl-scale"
	APIPort    = 9470
	PeerPort   = 9471
	HookPort   = 9095
	PprofPort  = 6060 // each agent's --pprof, on its namespace's loopback
	nsPrefix   = "scl-n"
	vethPrefix = "scl-v"
	// MaxK is the most agents one bridge subnet layout here holds.
	MaxK = 250
)

// nodeName is agent i's name (1-based).
func nodeName(i int) string { return fmt.Sprintf("node%d", i) }

// nodeNS is agent i's network namespace.
func nodeNS(i int) string { return fmt.Sprintf("%s%d", nsPrefix, i) }

// nodeVeth is the root-side end of agent i's veth.
func nodeVeth(i int) string { return fmt.Sprintf("%s%d", vethPrefix, i) }

// nodeAddr is agent i's address on the bridge.
func nodeAddr(i int) string { return fmt.Sprintf("10.97.1.%d", i) }

// nsPath is where a namespace is pinned.
func nsPath(ns string) string { return "/var/run/netns/" + ns }

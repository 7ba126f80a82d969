// Package cluster owns swarmlink's local multi-host test cluster: N Docker
// engines on one machine, each in its own network namespace, mount namespace
// and hostname, joined into one Swarm, with the swarmlink image built from the
// tree and loaded on every node, and the stack deployed.
//
// Everything the package creates carries a fixed, recognisable name (see
// names.go) so that Cleanup can find and remove what a killed run left behind
// and LeakCheck can prove that nothing is left after a teardown.
//
// The package also injects network faults (faults.go); every fault returns a
// Heal that undoes it and may be called any number of times.
//
// A Cluster is not safe for concurrent mutation: bring it up, inject and heal
// faults and tear it down from one goroutine. Its Nodes' Docker clients are
// safe for concurrent use. Only one cluster can exist on a machine at a time;
// Up takes a machine-wide lock and fails while a demo cluster is kept.
package cluster

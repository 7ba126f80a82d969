// Package scale owns the scale harness: K real swarmlink agents on one
// machine, each in its own network namespace on a shared bridge, with no
// Docker engine. Peers come from a static list (mesh.static), in full-mesh or
// subset mode (mesh.subset_k). The harness injects the e2e suite's faults
// with iptables inside the namespaces, measures what grows with K (CPU per
// probe, RSS, probes/s, matrix latency, metric series, host-alert latency)
// and writes a JSON summary and a table to a results directory.
//
// Everything it makes is named with the "scl-" prefix (namespaces, links,
// the bridge) or lives under StateDir, and carries the iptables comment
// "scl-scale", so Cleanup finds it after a crash. The prefix is distinct from
// the e2e cluster's "sl-" names, so the two never touch each other.
package scale

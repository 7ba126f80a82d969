// Package swarm owns swarmlink's view of a Docker Swarm through the Docker
// API: two controller sources and the probers of the checks they make.
//
//   - LabelSource ("labels") turns operator-written swarmlink.check.<name>.<option>
//     labels on Swarm services (read on managers) and on plain containers of
//     this host into checks. Invalid labels are reported and skipped; they
//     never stop the other checks.
//   - Source ("swarm") generates, for every service with running tasks, the
//     checks that localise the classic Swarm breakages: the service VIP
//     against its task IPs, the ingress routing mesh against the tasks, host
//     mode ports, and the embedded DNS (tasks.<service>) against the tasks the
//     API reports running.
//   - Prober runs the composite kinds swarm-vip, swarm-ingress and swarm-dns:
//     each probes its target and the service's live tasks in one run and
//     explains the difference in its result's message.
//
// Workers cannot list services, tasks or nodes: a manager's agent takes a
// Snapshot of them (TakeSnapshot) for the workers' agents, and a Relay,
// the sources' and probers' ClusterReader, answers from it on a worker, so
// every node makes the checks from its own host. Without a snapshot a
// worker's sources return no checks and no error, as before. Every Docker
// call goes through a narrow interface defined here; *client.Client
// satisfies them.
package swarm

import "github.com/swarmlink/swarmlink/probes"

// Source names; they are also the checks' Origin.
const (
	LabelSourceName = "labels"
	SourceName      = "swarm"
)

// Paths of the checks, as recorded in history and metrics.
const (
	PathDirect  = "direct"  // a check defined by labels
	PathVIP     = "vip"     // the service's virtual IP
	PathTask    = "task"    // one task's own address
	PathIngress = "ingress" // a node's address at an ingress-published port (links.PathIngress)
	PathHost    = "host"    // a task's node address at a host-mode published port
	PathDNS     = "dns"     // tasks.<service> on the embedded resolver
)

// Probe kinds of the composite swarm checks; Prober.Register adds them.
const (
	KindVIP     probes.Kind = "swarm-vip"
	KindIngress probes.Kind = "swarm-ingress"
	KindDNS     probes.Kind = "swarm-dns"
)

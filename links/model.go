// Package links owns swarmlink's one link model: the typed vocabulary of a
// link (source, destination, path, probe role, direction), its states, the
// per-link hysteresis every view shares (Tracker), one agent's view of its
// links (View), and the one pure diagnosis that turns every agent's view of
// the cluster into per-direction verdicts and ranked findings (Diagnose).
//
// The matrix API, `swarmlink status`, the UI, the alert engine and the
// nightly report all render a Diagnosis; none of them judges a link itself.
// The cause vocabulary is probes.Cause.
package links

import "time"

// Direction says which way a LinkState looks, from the agent that holds it.
type Direction string

// Directions.
const (
	Outbound Direction = "outbound" // the agent probed the peer (a round trip, or a check of a target)
	Inbound  Direction = "inbound"  // the peer's beacons to the agent: did they arrive
)

// Role is what a probe on a link measures. It is carried by the check
// (controller.Link.Role), never parsed from a name.
type Role string

// Roles.
const (
	RoleTCP     Role = "tcp"     // a small TCP echo: the round trip works
	RoleUDP     Role = "udp"     // UDP echoes: the round trip works, and their loss
	RoleLarge   Role = "large"   // a large TCP echo: the path's MTU
	RoleOneWay  Role = "oneway"  // beacons sent; only the receiver can judge them
	RoleArrival Role = "arrival" // the receiver's record of a peer's beacons
	RoleCheck   Role = "check"   // a user-declared check of a target (path direct)
	RoleIngress Role = "ingress" // a service's ingress-published port at an entry node (path ingress)
	RoleControl Role = "control" // a TCP connect to a node's Swarm control-plane port (path control)
	RoleICMP    Role = "icmp"    // echo requests over a path: what passes where TCP and UDP fail
)

// Paths between agents, and the path of user checks.
const (
	PathOverlay   = "overlay"   // the peer's task address on the Swarm overlay (VXLAN)
	PathPublished = "published" // the peer host's published port (the underlay)
	PathEncrypted = "encrypted" // the peer's task address on an encrypted overlay (VXLAN in IPsec ESP)
	PathDirect    = "direct"    // user-declared checks of targets
	PathIngress   = "ingress"   // services' ingress-published ports, at each entry node's address
	PathControl   = "control"   // the Swarm control plane: gossip (TCP 7946) to every node, 2377 to managers
)

// State is a link's, a cell's or the cluster's verdict.
type State string

// States, from best to worst. Pending is a healthy link whose last result
// failed (it may be about to fail); Unknown has no fresh evidence. Unknown is
// never shown as healthy.
const (
	Unknown  State = "unknown"
	Pending  State = "pending"
	Healthy  State = "healthy"
	Degraded State = "degraded" // works, with loss at or above the degraded threshold
	Failing  State = "failing"
)

// CheckPhase is the lifecycle of one tracked link.
type CheckPhase string

// Phases. A paused link (subset rotation: not probed this round) keeps its
// last state and is not judged stale; a removed link is gone from views.
const (
	PhaseActive  CheckPhase = "active"
	PhasePaused  CheckPhase = "paused"
	PhaseRemoved CheckPhase = "removed"
)

// Key identifies one tracked link at one agent.
type Key struct {
	Peer      string
	Path      string
	Probe     string
	Direction Direction
}

// LinkState is one link as one agent sees it: the unit of evidence.
type LinkState struct {
	Agent        string     `json:"agent"`     // the agent that observed it
	Peer         string     `json:"peer"`      // the other end
	Path         string     `json:"path"`      // overlay | published | direct
	Probe        string     `json:"probe"`     // the check's name, e.g. overlay-tcp
	Role         Role       `json:"role"`      // what the probe measures
	Direction    Direction  `json:"direction"` // outbound (Agent probed Peer) | inbound (Peer's beacons to Agent)
	Status       State      `json:"status"`
	Phase        CheckPhase `json:"phase,omitempty"`
	Cause        string     `json:"cause"`             // of the last result (probes.Cause)
	Message      string     `json:"message"`           // of the last result
	Leg          string     `json:"leg,omitempty"`     // of the last failure: probes.LegRequest | LegReply
	LossPercent  float64    `json:"loss_percent"`      // mean loss over the window (udp echoes, beacons)
	MeasuresLoss bool       `json:"measures_loss"`     // its results carry a loss figure
	Since        time.Time  `json:"since"`             // when Status began
	Last         time.Time  `json:"last"`              // time of the last result
	OKRun        int        `json:"ok_run"`            // consecutive successes
	Confirmed    bool       `json:"confirmed"`         // failing, or healthy after RecoverAfter successes
	Samples      int        `json:"samples,omitempty"` // results in the window
	// Tasks and TasksUp: of the last result of a composite swarm probe
	// (ingress), the service's task IPs probed beside the target and how
	// many answered; both 0 for other probes.
	Tasks   int `json:"tasks,omitempty"`
	TasksUp int `json:"tasks_up,omitempty"`
	// FailedFrom is when the run of failed results the state ends with
	// began (zero when its last result passed). A link that failed once
	// under load a while ago turns failing at its first failure since, so
	// Since is its first failure then, and its second otherwise.
	FailedFrom time.Time `json:"failed_from,omitzero"`
}

// Key returns the state's key at its agent.
func (s LinkState) Key() Key {
	return Key{Peer: s.Peer, Path: s.Path, Probe: s.Probe, Direction: s.Direction}
}

// From and To are the link's ends in the direction its traffic starts:
// Agent → Peer for outbound states, Peer → Agent for inbound ones.
func (s LinkState) From() string {
	if s.Direction == Inbound {
		return s.Peer
	}
	return s.Agent
}

// To is the other end of From.
func (s LinkState) To() string {
	if s.Direction == Inbound {
		return s.Agent
	}
	return s.Peer
}

// MTU is the largest payload measured to cross one direction of one path,
// with the MTUs that should bound it.
type MTU struct {
	From       string    `json:"from"`
	To         string    `json:"to"`
	Path       string    `json:"path"`
	Largest    int       `json:"largest"`               // bytes of payload that crossed whole
	Ceiling    int       `json:"ceiling"`               // the largest payload tried
	OverlayMTU int       `json:"overlay_mtu,omitempty"` // the agent's overlay interface MTU
	Probes     int       `json:"probes"`                // datagrams the measurement cost
	Measured   time.Time `json:"measured"`
}

// NodeInfo is a node as Swarm reports it (managers' agents know).
type NodeInfo struct {
	Name         string `json:"name"`
	State        string `json:"state"`        // ready | down | unknown | disconnected
	Availability string `json:"availability"` // active | pause | drain
	Role         string `json:"role,omitempty"`
}

// Planned reports whether the node is out of service on purpose: drained
// or paused. A node that is down is a failure, not a plan.
func (n NodeInfo) Planned() bool { return n.Availability == "drain" || n.Availability == "pause" }

// View is everything one agent knows about its links, as it serves it to
// its peers (signed, over the peer protocol).
type View struct {
	Node      string             `json:"node"`
	Generated time.Time          `json:"generated"`
	Interval  time.Duration      `json:"interval"`          // the agent's mesh interval
	Via       string             `json:"via,omitempty"`     // set by the gatherer: self | published | overlay
	Links     []LinkState        `json:"links"`             // sorted by Key
	MTU       []MTU              `json:"mtu,omitempty"`     // measured MTUs of its outbound paths
	Swarm     []NodeInfo         `json:"swarm,omitempty"`   // nodes as its engine reports them (managers)
	Offsets   map[string]float64 `json:"offsets,omitempty"` // peer → clock offset in seconds (peer − self)

	DataPathPort int           `json:"data_path_port,omitempty"` // the Swarm's VXLAN port, as a manager's engine says
	Host         *HostEvidence `json:"host,omitempty"`           // the agent's interfaces and routes
	Started      time.Time     `json:"started,omitzero"`         // when the agent started
	// Delta: where the view stands in its agent's ViewLog, and whether it
	// is whole; nil from an agent that keeps none (and in its own view).
	Delta *Delta `json:"delta,omitempty"`
}

// Ways a view reached the gatherer.
const (
	ViaSelf      = "self"
	ViaPublished = "published"
	ViaOverlay   = "overlay"
)

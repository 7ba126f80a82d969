package links

import "time"

// Finding kinds, from the most to the least sweeping. A finding names the
// fault in operator words; the cells it explains point back to it.
const (
	FindingCutOff        = "cut-off"        // the asking node itself reaches no one: its view of the others is unreliable
	FindingHostDown      = "host-down"      // a node is unreachable on every path, or Swarm reports it down
	FindingNodeInbound   = "node-inbound"   // a node receives nothing from anyone on a path
	FindingNodeOutbound  = "node-outbound"  // nothing a node sends on a path arrives anywhere
	FindingMTUNode       = "mtu-node"       // large packets into (or out of) one node are lost on a path
	FindingMTU           = "mtu"            // large packets in one direction of one pair are lost
	FindingPublishedPort = "published-port" // a node's published port is dropped while its overlay works
	FindingEncrypted     = "encrypted"      // the encrypted overlay fails everywhere while the plain one works: ESP
	FindingChecksum      = "checksum"       // TCP and UDP over the overlay fail while ICMP passes: checksum offload
	// The Swarm control plane (path control) and the overlay networks' setup.
	FindingGossip        = "gossip"         // a node's gossip port (7946) is unreachable from every node
	FindingManagerPort   = "manager-port"   // a manager's cluster port (2377) is unreachable from every node
	FindingOverlayPeers  = "overlay-peers"  // a node is missing from another's overlay peer table, their overlay broken
	FindingControl       = "control"        // one node cannot reach another's control-plane port
	FindingSubnetOverlap = "subnet-overlap" // an overlay network's subnet holds a node's address
	FindingOneWay        = "one-way"        // one direction of one pair is broken, the other works
	FindingLinkDown      = "link-down"      // both directions of one pair are broken on a path
	FindingLoss          = "loss"           // a direction loses a share of its packets (degraded)
	FindingPeerKey       = "peer-key"       // a peer refuses our key or we refuse its
	FindingClockSkew     = "clock-skew"     // a peer's clock is outside (or near) the replay window
	FindingBusy          = "responder-busy" // a peer's responder had no free slot
	FindingCheckFailed   = "check-failed"   // a user-declared check of a target fails
	// The routing mesh's entry-node matrix (path ingress), per service port.
	FindingIngressMesh    = "ingress-mesh"    // every entry node fails alike while the tasks answer (IPVS)
	FindingIngressService = "ingress-service" // every entry node fails and no task answers: the service is down
	FindingIngressNode    = "ingress-node"    // one entry node fails from every node, unlike the others
	FindingIngressPair    = "ingress-pair"    // one node cannot get through one entry node
	FindingViewMissing    = "view-missing"    // a node's view did not arrive: the diagnosis is partial
)

// Severities of findings.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Finding is one localised fault.
type Finding struct {
	ID          string      `json:"id"`   // stable: kind/from/to/path
	Kind        string      `json:"kind"` // Finding*
	Severity    string      `json:"severity"`
	Node        string      `json:"node,omitempty"` // the node at fault, for node-wide findings
	From        string      `json:"from,omitempty"` // the direction that breaks, for pair findings
	To          string      `json:"to,omitempty"`
	Path        string      `json:"path,omitempty"`  // "" = every path
	Probe       string      `json:"probe,omitempty"` // user checks
	Cause       string      `json:"cause"`           // probes.Cause, or the finding's own word (host-down, one-way...)
	Summary     string      `json:"summary"`         // one line in operator words
	Advice      string      `json:"advice,omitempty"`
	LossPercent float64     `json:"loss_percent,omitempty"`
	Largest     int         `json:"largest,omitempty"` // mtu: largest payload measured to cross
	Since       time.Time   `json:"since,omitzero"`
	Evidence    []LinkState `json:"evidence,omitempty"`
	// Hosts is the host evidence of the nodes the finding names, from
	// their views (a node whose view is missing has none).
	Hosts map[string]HostEvidence `json:"hosts,omitempty"`
}

// Cell is one direction From → To of one path, as every view shows it.
type Cell struct {
	From        string    `json:"from"`
	To          string    `json:"to"`
	Path        string    `json:"path"`
	State       State     `json:"state"`
	Forward     State     `json:"forward"`   // To's record of From's beacons: the direction itself
	RoundTrip   State     `json:"roundtrip"` // From's echoes to To and back
	Large       State     `json:"large"`     // From's large echoes (MTU)
	Cause       string    `json:"cause,omitempty"`
	LossPercent float64   `json:"loss_percent,omitempty"`
	Since       time.Time `json:"since,omitzero"`
	Message     string    `json:"message,omitempty"`
	Finding     string    `json:"finding,omitempty"` // ID of the finding that explains it
}

// ViewInfo says how a node's view reached the diagnosis, or why it did not.
type ViewInfo struct {
	Via       string        `json:"via,omitempty"` // self | published | overlay
	Generated time.Time     `json:"generated,omitzero"`
	Started   time.Time     `json:"started,omitzero"`   // when that node's agent started
	Interval  time.Duration `json:"interval,omitempty"` // its mesh interval
	Missing   string        `json:"missing,omitempty"`  // why no view came
}

// Diagnosis is the one verdict on the cluster: the matrix cells, the ranked
// findings, and how complete the evidence was.
type Diagnosis struct {
	Generated time.Time `json:"generated"`
	Self      string    `json:"self"` // the node that answers
	// DiagnosedBy, when set, is the alert evaluator whose diagnosis Self
	// relays: an agent that is no evaluator holds only a few views and
	// answers a client from an evaluator's (see agent's diagrelay.go), its
	// own Checks in place of the evaluator's.
	DiagnosedBy string              `json:"diagnosed_by,omitempty"`
	Verdict     State               `json:"verdict"`
	Partial     bool                `json:"partial"` // some view is missing
	CutOff      bool                `json:"cut_off"` // Self itself is cut off: the rest is its own side only
	Nodes       []string            `json:"nodes"`
	Paths       []string            `json:"paths"`
	Views       map[string]ViewInfo `json:"views"`
	Findings    []Finding           `json:"findings"` // most severe first
	Cells       []Cell              `json:"cells"`    // by path, from, to
	Checks      []LinkState         `json:"checks"`   // Self's user checks of targets
}

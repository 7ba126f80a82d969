package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Alert names (the alertname label).
const (
	NameHostUnreachable  = "SwarmlinkHostUnreachable"
	NameLinkOneWay       = "SwarmlinkLinkOneWay"
	NameOverlayDataPlane = "SwarmlinkOverlayDataPlane"
	NameMTU              = "SwarmlinkMTU"
	NameLinkDown         = "SwarmlinkLinkDown"
	NameCheckFailed      = "SwarmlinkCheckFailed"
)

// alertNames lists every alert name, for metric initialisation.
func alertNames() []string {
	return []string{NameHostUnreachable, NameLinkOneWay, NameOverlayDataPlane, NameMTU, NameLinkDown, NameCheckFailed}
}

// Localised causes (the cause label of alerts that are not plain link or
// check alerts, which carry the probe's own cause).
const (
	CauseHostUnreachable  = "host-unreachable"
	CauseOneWay           = "one-way"
	CauseOverlayDataPlane = "overlay-data-plane"
	CauseMTU              = "mtu"
)

// Paths and directions the engine knows about.
const (
	PathDirect    = "direct"    // user-declared checks
	PathOverlay   = "overlay"   // mesh probes over the Swarm overlay network
	PathPublished = "published" // mesh probes to the peer's published port
	PathAll       = "all"       // host alerts: every path

	DirectionOutbound = "outbound" // this agent probed the peer
	DirectionInbound  = "inbound"  // the peer's probes to this agent (did or did not arrive)

	SourceCluster = "cluster" // source label of host alerts, identical on every agent
)

// Alert statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Severities.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// Status is a link's hysteresis state.
type Status string

// Link statuses. Pending is a healthy link whose last result failed: it may
// be about to become failing. Unknown is a link without results yet.
const (
	LinkUnknown Status = "unknown"
	LinkHealthy Status = "healthy"
	LinkPending Status = "pending"
	LinkFailing Status = "failing"
)

// LinkState is one link as one agent sees it: the unit of evidence.
type LinkState struct {
	Agent     string    `json:"agent"`     // the agent that observed it
	Peer      string    `json:"peer"`      // the other end
	Path      string    `json:"path"`      // direct | overlay | published
	Probe     string    `json:"probe"`     // e.g. overlay-tcp, overlay-oneway, or a user check name
	Direction string    `json:"direction"` // outbound (Agent probed Peer) | inbound (Peer's probes to Agent)
	Status    Status    `json:"status"`
	Cause     string    `json:"cause"`   // of the last result
	Message   string    `json:"message"` // of the last result
	Since     time.Time `json:"since"`   // when Status began
	Last      time.Time `json:"last"`    // time of the last result
	OKRun     int       `json:"ok_run"`  // consecutive successes
}

// ClusterView returns every agent's link states, for host localisation.
// Engine implements it for its own links; an implementation that gathers
// them from all agents is the caller's.
type ClusterView interface {
	LinkStates(ctx context.Context) ([]LinkState, error)
}

// Alert is one localised fault.
type Alert struct {
	Fingerprint  string            `json:"fingerprint"` // stable identity: hash of name, source, destination, path, probe
	Name         string            `json:"alertname"`
	Status       string            `json:"status"` // firing | resolved
	Source       string            `json:"source"`
	Destination  string            `json:"destination"`
	Path         string            `json:"path"`
	Probe        string            `json:"probe,omitempty"` // user checks only
	Cause        string            `json:"cause"`
	Severity     string            `json:"severity"`
	Peer         string            `json:"peer"`   // the other agent, from the reporter's view; "*" for all
	Shared       bool              `json:"shared"` // identical on every agent (host alerts)
	Summary      string            `json:"summary"`
	Description  string            `json:"description"`
	Evidence     []LinkState       `json:"evidence"`
	Labels       map[string]string `json:"labels,omitempty"`
	GeneratorURL string            `json:"generator_url,omitempty"`
	Reporter     string            `json:"reporter,omitempty"` // the agent that sent it
	StartsAt     time.Time         `json:"starts_at,omitzero"`
	EndsAt       time.Time         `json:"ends_at,omitzero"` // zero while firing
}

// fingerprint is the stable identity of an alert. The cause is left out on
// purpose: a changing cause must not turn one fault into two alerts.
func fingerprint(name, source, destination, path, probe string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{name, source, destination, path, probe}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// newAlert builds a firing alert with its fingerprint, severity, summary and
// description from the evidence.
func newAlert(name, source, destination, path, probe, cause, peer string, ev []LinkState) Alert {
	a := Alert{
		Fingerprint: fingerprint(name, source, destination, path, probe), Name: name, Status: StatusFiring,
		Source: source, Destination: destination, Path: path, Probe: probe, Cause: cause,
		Severity: SeverityWarning, Peer: peer, Evidence: ev,
	}
	if name == NameHostUnreachable {
		a.Severity, a.Shared = SeverityCritical, true
	}
	a.Summary = a.summary()
	a.Description = describe(a)
	return a
}

func (a Alert) summary() string {
	switch a.Name {
	case NameHostUnreachable:
		return fmt.Sprintf("host %s is unreachable on every path, in both directions", a.Destination)
	case NameLinkOneWay:
		return fmt.Sprintf("%s -> %s is broken on %s in that direction only", a.Source, a.Destination, a.Path)
	case NameOverlayDataPlane:
		return fmt.Sprintf("overlay data plane (VXLAN, UDP 4789) between %s and %s is down; published works", a.Source, a.Destination)
	case NameMTU:
		return fmt.Sprintf("MTU: small packets pass but large ones are lost from %s to %s on %s", a.Source, a.Destination, a.Path)
	case NameCheckFailed:
		return fmt.Sprintf("check %s from %s to %s fails (%s)", a.Probe, a.Source, a.Destination, a.Cause)
	}
	return fmt.Sprintf("link %s -> %s on %s is down (%s)", a.Source, a.Destination, a.Path, a.Cause)
}

// describe lists the evidence, one line per link.
func describe(a Alert) string {
	var b strings.Builder
	b.WriteString(a.Summary)
	b.WriteString(".\nEvidence:")
	for _, s := range a.Evidence {
		verdict := "passing"
		if s.Status == LinkFailing {
			verdict = "FAILING"
		} else if s.Status == LinkPending || s.Status == LinkUnknown {
			verdict = string(s.Status)
		}
		from, to := s.Agent, s.Peer
		if s.Direction == DirectionInbound {
			from, to = s.Peer, s.Agent
		}
		fmt.Fprintf(&b, "\n- %s -> %s %s (%s, seen by %s): %s, cause %s", from, to, s.Probe, s.Direction,
			s.Agent, verdict, s.Cause)
		if s.Message != "" && s.Status != LinkHealthy {
			fmt.Fprintf(&b, ": %s", s.Message)
		}
	}
	return b.String()
}

// labels is the Alertmanager label set of a: fixed for the alert's lifetime.
func labels(a Alert, cluster string) map[string]string {
	l := map[string]string{
		"alertname": a.Name, "source": a.Source, "destination": a.Destination, "path": a.Path,
		"cause": a.Cause, "severity": a.Severity, "cluster": cluster,
	}
	if a.Probe != "" {
		l["probe"] = a.Probe
	}
	return l
}

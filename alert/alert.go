package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/swarmlink/swarmlink/links"
)

// Alert names (the alertname label), one per finding kind of the
// diagnosis (package links).
const (
	NameHostUnreachable = "SwarmlinkHostUnreachable"
	NameNodeInbound     = "SwarmlinkNodeInbound"
	NameNodeOutbound    = "SwarmlinkNodeOutbound"
	NameMTU             = "SwarmlinkMTU"
	NamePublishedPort   = "SwarmlinkPublishedPort"
	NameLinkOneWay      = "SwarmlinkLinkOneWay"
	NameLinkDown        = "SwarmlinkLinkDown"
	NameLoss            = "SwarmlinkLoss"
	NamePeerKey         = "SwarmlinkPeerKey"
	NameClockSkew       = "SwarmlinkClockSkew"
	NameResponderBusy   = "SwarmlinkResponderBusy"
	NameCheckFailed     = "SwarmlinkCheckFailed"
	NameIngress         = "SwarmlinkIngress"
	NameEncrypted       = "SwarmlinkEncryptedOverlay"
	NameGossip          = "SwarmlinkGossip"
	NameManagerPort     = "SwarmlinkManagerPort"
	NameSubnetOverlap   = "SwarmlinkSubnetOverlap"
	NameChecksum        = "SwarmlinkChecksum"
)

// names maps a finding kind to its alert; kinds not listed raise nothing
// (a missing view, and this node cut off: the others report it).
var names = map[string]string{
	links.FindingHostDown: NameHostUnreachable, links.FindingNodeInbound: NameNodeInbound,
	links.FindingNodeOutbound: NameNodeOutbound, links.FindingMTUNode: NameMTU, links.FindingMTU: NameMTU,
	links.FindingPublishedPort: NamePublishedPort, links.FindingOneWay: NameLinkOneWay,
	links.FindingLinkDown: NameLinkDown, links.FindingLoss: NameLoss, links.FindingPeerKey: NamePeerKey,
	links.FindingClockSkew: NameClockSkew, links.FindingBusy: NameResponderBusy,
	links.FindingCheckFailed: NameCheckFailed,
	links.FindingIngressMesh: NameIngress, links.FindingIngressService: NameIngress,
	links.FindingIngressNode: NameIngress, links.FindingIngressPair: NameIngress,
	links.FindingEncrypted: NameEncrypted, links.FindingGossip: NameGossip, links.FindingOverlayPeers: NameGossip,
	links.FindingControl: NameGossip, links.FindingManagerPort: NameManagerPort,
	links.FindingSubnetOverlap: NameSubnetOverlap, links.FindingChecksum: NameChecksum,
}

// alertNames lists every alert name, for metric initialisation.
func alertNames() []string {
	return []string{NameHostUnreachable, NameNodeInbound, NameNodeOutbound, NameMTU, NamePublishedPort,
		NameLinkOneWay, NameLinkDown, NameLoss, NamePeerKey, NameClockSkew, NameResponderBusy, NameCheckFailed,
		NameIngress, NameEncrypted, NameGossip, NameManagerPort, NameSubnetOverlap,
		NameChecksum}
}

// Paths the engine knows about.
const (
	PathDirect    = links.PathDirect
	PathOverlay   = links.PathOverlay
	PathPublished = links.PathPublished
	PathAll       = "all" // host alerts: every path

	SourceCluster = "cluster" // source label of node-wide alerts, identical on every agent
)

// Alert statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Severities.
const (
	SeverityCritical = links.SeverityCritical
	SeverityWarning  = links.SeverityWarning
)

// Status is a link's hysteresis state.
type Status = links.State

// Link statuses.
const (
	LinkUnknown = links.Unknown
	LinkHealthy = links.Healthy
	LinkPending = links.Pending
	LinkFailing = links.Failing
)

// LinkState is one link as one agent sees it: the unit of evidence.
type LinkState = links.LinkState

// Alert is one localised fault.
type Alert struct {
	Fingerprint  string                        `json:"fingerprint"` // stable identity: hash of name, source, destination, path, probe
	Name         string                        `json:"alertname"`
	Status       string                        `json:"status"` // firing | resolved
	Source       string                        `json:"source"`
	Destination  string                        `json:"destination"`
	Path         string                        `json:"path"`
	Probe        string                        `json:"probe,omitempty"` // user checks only
	Cause        string                        `json:"cause"`
	Severity     string                        `json:"severity"`
	Peer         string                        `json:"peer"`   // the other agent, from the reporter's view; "*" for all
	Shared       bool                          `json:"shared"` // identical on every agent (host alerts)
	Summary      string                        `json:"summary"`
	Description  string                        `json:"description"`
	Node         string                        `json:"node,omitempty"`    // the node at fault, for node-wide alerts
	Finding      string                        `json:"finding,omitempty"` // the diagnosis finding it renders
	Advice       string                        `json:"advice,omitempty"`
	LossPercent  float64                       `json:"loss_percent,omitempty"`
	Evidence     []LinkState                   `json:"evidence"`
	Hosts        map[string]links.HostEvidence `json:"hosts,omitempty"` // the named nodes' interfaces and routes
	Labels       map[string]string             `json:"labels,omitempty"`
	GeneratorURL string                        `json:"generator_url,omitempty"`
	Reporter     string                        `json:"reporter,omitempty"` // the agent that sent it
	StartsAt     time.Time                     `json:"starts_at,omitzero"`
	EndsAt       time.Time                     `json:"ends_at,omitzero"` // zero while firing
}

// fingerprint is the stable identity of an alert. The cause is left out on
// purpose: a changing cause must not turn one fault into two alerts.
func fingerprint(name, source, destination, path, probe string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{name, source, destination, path, probe}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// describe lists the evidence, one line per link.
func describe(a Alert) string {
	var b strings.Builder
	b.WriteString(a.Summary)
	b.WriteString(".")
	if a.Advice != "" {
		b.WriteString("\nAdvice: " + a.Advice + ".")
	}
	b.WriteString("\nEvidence:")
	for _, s := range a.Evidence {
		verdict := "passing"
		if s.Status == LinkFailing {
			verdict = "FAILING"
		} else if s.Status == LinkPending || s.Status == LinkUnknown {
			verdict = string(s.Status)
		}
		from, to := s.From(), s.To()
		fmt.Fprintf(&b, "\n- %s -> %s %s (%s, seen by %s): %s, cause %s", from, to, s.Probe, s.Direction,
			s.Agent, verdict, s.Cause)
		if s.LossPercent > 0 {
			fmt.Fprintf(&b, ", loss %.0f%%", s.LossPercent)
		}
		if s.Message != "" && s.Status != LinkHealthy {
			fmt.Fprintf(&b, ": %s", s.Message)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(a.Hosts)) {
		fmt.Fprintf(&b, "\nHost %s:\n%s", n, a.Hosts[n])
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
	if a.Node != "" {
		l["node"] = a.Node
	}
	return l
}

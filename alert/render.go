package alert

import (
	"cmp"
	"slices"

	"github.com/swarmlink/swarmlink/links"
)

// maxEvidence bounds the evidence an alert carries.
const maxEvidence = 24

// render turns the diagnosis's findings into the alerts they call for:
// every finding kind that has an alert name, loss only past the configured
// loss percent, user checks only Self's own. Node-wide alerts have source
// "cluster" and the node as destination, so that every agent raises the
// same one.
func render(d links.Diagnosis, cfg Config) []Alert {
	var out []Alert
	for _, f := range d.Findings {
		name, ok := names[f.Kind]
		if !ok || (f.Kind == links.FindingLoss && f.LossPercent < cfg.LossPercent) {
			continue
		}
		out = append(out, fromFinding(name, f, d.Self))
	}
	return sortAlerts(out)
}

func fromFinding(name string, f links.Finding, self string) Alert {
	a := Alert{Name: name, Status: StatusFiring, Source: f.From, Destination: f.To, Path: cmp.Or(f.Path, PathAll),
		Probe: f.Probe, Cause: f.Cause, Severity: f.Severity, Node: f.Node, Finding: f.ID, Shared: true,
		Summary: f.Summary, Advice: f.Advice, LossPercent: f.LossPercent, Peer: cmp.Or(f.Node, f.To, f.From)}
	if f.Node != "" {
		a.Source, a.Destination = SourceCluster, f.Node
	}
	if f.Node == "" && f.From == "" && f.To == "" {
		a.Source = SourceCluster // every node, alike: the routing mesh of a service port
	}
	if f.Kind == links.FindingCheckFailed {
		a.Shared, a.Peer = false, f.To
	}
	a.Evidence = f.Evidence[:min(len(f.Evidence), maxEvidence)]
	a.Hosts = f.Hosts
	a.Fingerprint = fingerprint(a.Name, a.Source, a.Destination, a.Path, a.Probe)
	a.Description = describe(a)
	return a
}

func sortAlerts(out []Alert) []Alert {
	slices.SortFunc(out, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Source, b.Source),
			cmp.Compare(a.Destination, b.Destination), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Probe, b.Probe))
	})
	return out
}

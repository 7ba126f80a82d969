package alert

import (
	"cmp"
	"slices"
	"strings"
)

// Input is everything Localise looks at.
type Input struct {
	Self    string      // this agent
	Local   []LinkState // this agent's links (Agent == Self), suppressed peers left out
	Cluster []LinkState // every agent's links; nil when there is no cluster view
}

// Localise turns the current link states into the alerts they call for,
// sorted by name, source, destination, path and probe. It is a pure
// function: the same states always give the same alerts.
//
// Per peer, the most specific explanation wins: the host cut off (one alert
// instead of one per link), then per path MTU, one-way, the overlay data
// plane, and finally a plain link alert. When this agent fails to reach at
// least two peers on every link, it is this host that is cut off.
func Localise(in Input) []Alert {
	var out []Alert
	mesh := map[string][]LinkState{}
	for _, s := range in.Local {
		if s.Path != PathDirect {
			mesh[s.Peer] = append(mesh[s.Peer], s)
		} else if s.Status == LinkFailing && s.Direction == DirectionOutbound {
			out = append(out, newAlert(NameCheckFailed, in.Self, s.Peer, PathDirect, s.Probe, s.Cause, s.Peer,
				[]LinkState{s}))
		}
	}
	if a, ok := isolated(in, mesh); ok {
		return sortAlerts(append(out, a))
	}
	for _, peer := range sortedKeys(mesh) {
		out = append(out, peerAlerts(in, peer, mesh[peer])...)
	}
	return sortAlerts(out)
}

// isolated reports this agent itself cut off: every link to at least two
// peers failing (and, with a cluster view, every peer's link to it too).
func isolated(in Input, mesh map[string][]LinkState) (Alert, bool) {
	if len(mesh) < 2 {
		return Alert{}, false
	}
	var ev []LinkState
	for _, peer := range sortedKeys(mesh) {
		if !all(mesh[peer], isFailing) {
			return Alert{}, false
		}
		ev = append(ev, mesh[peer]...)
	}
	others := involving(in.Cluster, in.Self, in.Self)
	if !all(others, isFailing) {
		return Alert{}, false
	}
	ev = append(ev, others...)
	return newAlert(NameHostUnreachable, SourceCluster, in.Self, PathAll, "", CauseHostUnreachable, "*", ev), true
}

// peerAlerts localises the faults between this agent and peer.
func peerAlerts(in Input, peer string, states []LinkState) []Alert {
	if !slices.ContainsFunc(states, isFailing) {
		return nil
	}
	if ev, ok := hostDown(in, peer, states); ok {
		return []Alert{newAlert(NameHostUnreachable, SourceCluster, peer, PathAll, "", CauseHostUnreachable, peer, ev)}
	}
	var out []Alert
	for _, path := range pathsOf(states) {
		if a, ok := pathAlert(in, peer, path, states); ok {
			out = append(out, a)
		}
	}
	return out
}

// hostDown reports peer cut off: every outbound link to it failing, every
// inbound link from it failing, and with a cluster view every other agent's
// link to or from it failing too. Without a cluster view both directions
// must be seen failing here.
func hostDown(in Input, peer string, states []LinkState) ([]LinkState, bool) {
	out, inb := pick(states, "", DirectionOutbound), pick(states, "", DirectionInbound)
	if len(out) == 0 || !all(out, isFailing) || !all(inb, isFailing) {
		return nil, false
	}
	if in.Cluster == nil {
		return states, len(inb) > 0
	}
	others := involving(in.Cluster, peer, in.Self)
	if !all(others, isFailing) {
		return nil, false
	}
	return append(slices.Clone(states), others...), len(others) > 0 || len(inb) > 0
}

// pathAlert localises the fault on one path to peer, if there is one.
func pathAlert(in Input, peer, path string, states []LinkState) (Alert, bool) {
	out, inb := pick(states, path, DirectionOutbound), pick(states, path, DirectionInbound)
	outFail, inFail := slices.ContainsFunc(out, isFailing), slices.ContainsFunc(inb, isFailing)
	ev := append(slices.Clone(out), inb...)
	switch {
	case !outFail && !inFail:
		return Alert{}, false
	case isMTU(out):
		return newAlert(NameMTU, in.Self, peer, path, "", CauseMTU, peer, out), true
	case outFail && len(inb) > 0 && all(inb, isHealthy):
		return newAlert(NameLinkOneWay, in.Self, peer, path, "", CauseOneWay, peer, ev), true
	case inFail && len(out) > 0 && all(out, isHealthy):
		return newAlert(NameLinkOneWay, peer, in.Self, path, "", CauseOneWay, peer, ev), true
	case outFail && inFail && peerReceives(in, peer, path):
		return Alert{}, false // our direction works: the peer, source of the broken one, alerts
	case path == PathOverlay && len(out) > 0 && all(out, isFailing) && publishedWorks(states):
		ev = append(ev, pick(states, PathPublished, DirectionOutbound)...)
		return newAlert(NameOverlayDataPlane, in.Self, peer, path, "", CauseOverlayDataPlane, peer, ev), true
	case !outFail:
		return newAlert(NameLinkDown, peer, in.Self, path, "", firstCause(inb), peer, ev), true
	}
	return newAlert(NameLinkDown, in.Self, peer, path, "", firstCause(out), peer, ev), true
}

// isMTU: a probe failed with cause mtu, or a large echo fails while the
// small TCP echo on the same path passes.
func isMTU(out []LinkState) bool {
	if slices.ContainsFunc(out, func(s LinkState) bool { return isFailing(s) && s.Cause == CauseMTU }) {
		return true
	}
	largeFails := slices.ContainsFunc(out, func(s LinkState) bool { return isFailing(s) && strings.HasSuffix(s.Probe, "-large") })
	smallPasses := slices.ContainsFunc(out, func(s LinkState) bool { return isHealthy(s) && strings.HasSuffix(s.Probe, "-tcp") })
	return largeFails && smallPasses
}

// peerReceives reports, from the cluster view, that peer still receives
// this agent's one-way probes on path.
func peerReceives(in Input, peer, path string) bool {
	var seen []LinkState
	for _, s := range in.Cluster {
		if s.Agent == peer && s.Peer == in.Self && s.Path == path && s.Direction == DirectionInbound {
			seen = append(seen, s)
		}
	}
	return len(seen) > 0 && all(seen, isHealthy)
}

func publishedWorks(states []LinkState) bool {
	pub := pick(states, PathPublished, DirectionOutbound)
	return len(pub) > 0 && all(pub, isHealthy)
}

// involving returns the mesh links of other agents (not self) to or from host.
func involving(cluster []LinkState, host, self string) []LinkState {
	var out []LinkState
	for _, s := range cluster {
		if s.Agent != self && s.Path != PathDirect && (s.Agent == host || s.Peer == host) {
			out = append(out, s)
		}
	}
	return out
}

func pick(states []LinkState, path, direction string) []LinkState {
	var out []LinkState
	for _, s := range states {
		if (path == "" || s.Path == path) && s.Direction == direction {
			out = append(out, s)
		}
	}
	return out
}

func pathsOf(states []LinkState) []string {
	var out []string
	for _, s := range states {
		if !slices.Contains(out, s.Path) {
			out = append(out, s.Path)
		}
	}
	slices.Sort(out)
	return out
}

// firstCause is the cause of the first failing link that has one (a failing
// link whose last result passed says "ok", which explains nothing).
func firstCause(states []LinkState) string {
	for _, s := range states {
		if isFailing(s) && s.Cause != "" && s.Cause != "ok" {
			return s.Cause
		}
	}
	return "error"
}

func isFailing(s LinkState) bool { return s.Status == LinkFailing }
func isHealthy(s LinkState) bool { return s.Status == LinkHealthy }

func all(states []LinkState, f func(LinkState) bool) bool {
	for _, s := range states {
		if !f(s) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortAlerts(out []Alert) []Alert {
	slices.SortFunc(out, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Source, b.Source),
			cmp.Compare(a.Destination, b.Destination), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Probe, b.Probe))
	})
	return out
}

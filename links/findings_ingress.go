package links

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The entry-node matrix of the routing mesh: every agent probes each
// ingress-published port at every node's address (path ingress, role
// ingress, probe <service>:<port>, peer the entry node). A column is one
// entry node; the rules below tell one node's mesh from every node's, and
// both from a dead service.

// connectCell is from's connects to to on path (the routing mesh at entry
// node to, or to's control-plane ports). The path has one kind of probe, a
// connection: forward, round trip and large all say its state, so a
// healthy cell packs like any other.
func (x *index) connectCell(from, to, path string, role Role) Cell {
	states := x.about(from, to, path, Outbound, role)
	c := Cell{From: from, To: to, Path: path, State: combine(states)}
	c.Forward, c.RoundTrip, c.Large = c.State, c.State, c.State
	if c.State == Failing {
		c.explain(failingCause(states), states)
	}
	return c
}

// ingressPort is one service port's states, from every view.
type ingressPort struct {
	probe   string                 // <service>:<port>
	columns map[string][]LinkState // by entry node
	tasks   bool                   // some run compared the service's tasks
	tasksUp bool                   // and some task answered
}

// ingressPorts groups every view's ingress states by service port.
func (x *index) ingressPorts() []ingressPort {
	by := map[string]*ingressPort{}
	for _, n := range x.nodes {
		for _, s := range x.states[n] {
			if s.Path != PathIngress || s.Role != RoleIngress || s.Phase == PhaseRemoved {
				continue
			}
			p := by[s.Probe]
			if p == nil {
				p = &ingressPort{probe: s.Probe, columns: map[string][]LinkState{}}
				by[s.Probe] = p
			}
			p.columns[s.Peer] = append(p.columns[s.Peer], s)
			p.tasks = p.tasks || s.Tasks > 0
			p.tasksUp = p.tasksUp || s.TasksUp > 0
		}
	}
	out := make([]ingressPort, 0, len(by))
	for _, k := range slices.Sorted(maps.Keys(by)) {
		out = append(out, *by[k])
	}
	return out
}

// split sorts the port's entry nodes into those that answer someone and
// those that fail from at least two nodes and answer no one. Entry nodes
// already found down are neither.
func (p ingressPort) split(down map[string]bool) (works, fails []string) {
	for _, n := range slices.Sorted(maps.Keys(p.columns)) {
		col := p.columns[n]
		switch {
		case down[n]:
		case slices.ContainsFunc(col, func(s LinkState) bool { return s.Status == Healthy || s.Status == Pending }):
			works = append(works, n)
		case len(col) >= 2 && !slices.ContainsFunc(col, func(s LinkState) bool { return s.Status != Failing }):
			fails = append(fails, n)
		}
	}
	return works, fails
}

// ingress explains the routing mesh's failing cells, port by port.
func (f *finder) ingress() {
	for _, p := range f.x.ingressPorts() {
		works, fails := p.split(f.down)
		switch {
		case len(works) == 0 && len(fails) > 0 && p.tasks && !p.tasksUp:
			f.ingressService(p, fails)
		case len(works) == 0 && len(fails) > 0:
			mesh, odd := byCause(p, fails)
			f.ingressMesh(p, mesh)
			for _, n := range odd {
				f.ingressNode(p, n, mesh, "refuse")
			}
		default:
			for _, n := range fails {
				f.ingressNode(p, n, works, "answer")
			}
		}
		f.ingressPairs(p, fails)
	}
}

// byCause picks the entry nodes that fail alike (the commonest cause; the
// mesh itself) from those that fail otherwise (something of their own).
func byCause(p ingressPort, fails []string) (mesh, odd []string) {
	groups := map[string][]string{}
	for _, n := range fails {
		c := failingCause(p.columns[n])
		groups[c] = append(groups[c], n)
	}
	best := ""
	for _, c := range slices.Sorted(maps.Keys(groups)) {
		if best == "" || len(groups[c]) > len(groups[best]) {
			best = c
		}
	}
	for _, n := range fails {
		if failingCause(p.columns[n]) != best || len(groups[best]) == 1 && len(fails) > 1 {
			odd = append(odd, n)
		} else {
			mesh = append(mesh, n)
		}
	}
	return mesh, odd
}

func (f *finder) ingressMesh(p ingressPort, nodes []string) {
	if len(nodes) == 0 {
		return
	}
	cause := failingCause(p.columns[nodes[0]])
	where := "on every entry node (" + strings.Join(nodes, ", ") + ")"
	if len(nodes) < len(p.columns) {
		where = "on " + strings.Join(nodes, ", ")
	}
	summary := fmt.Sprintf("the routing mesh %s %s while the service's tasks answer: the service load balancer "+
		"(IPVS) is missing or broken on the nodes — the kernel may lack ip_vs", meshVerb(cause, p.probe), where)
	if !p.tasks {
		summary = fmt.Sprintf("the routing mesh %s %s; no task of the service was reachable to compare",
			meshVerb(cause, p.probe), where)
	}
	f.add(Finding{Kind: FindingIngressMesh, Path: PathIngress, Probe: p.probe, Cause: cause, Summary: summary,
		Advice: "load the IPVS modules on every node (modprobe ip_vs ip_vs_rr) and check the ingress network " +
			"(docker network inspect ingress --verbose); or publish the port in host mode to bypass the mesh",
		Evidence: p.failing(nodes...)}, f.ingressCells(nodes...)...)
}

func (f *finder) ingressNode(p ingressPort, n string, others []string, verb string) {
	cause := failingCause(p.columns[n])
	summary := fmt.Sprintf("%s's routing mesh %s from every node (%s)", n, meshVerb(cause, p.probe), cause)
	if len(others) > 0 {
		if len(others) == 1 {
			verb += "s"
		}
		summary += fmt.Sprintf(" while %s %s it", strings.Join(others, ", "), verb)
	}
	f.add(Finding{Kind: FindingIngressNode, Node: n, To: n, Path: PathIngress, Probe: p.probe, Cause: cause,
		Summary: summary + ": the fault is on " + n,
		Advice: fmt.Sprintf("on %s, check the firewall for the published port and the node's ingress network "+
			"(docker network inspect ingress --verbose: is %s in its peers?)", n, n),
		Evidence: p.failing(n)}, f.ingressCells(n)...)
}

func (f *finder) ingressService(p ingressPort, nodes []string) {
	f.add(Finding{Kind: FindingIngressService, Path: PathIngress, Probe: p.probe, Cause: failingCause(p.columns[nodes[0]]),
		Summary: fmt.Sprintf("%s fails through every entry node and none of the service's task IPs answers: "+
			"the service is down, not the routing mesh", p.probe),
		Advice:   "look at the service's tasks (docker service ps) and their logs",
		Evidence: p.failing(nodes...)}, f.ingressCells(nodes...)...)
}

// ingressPairs: a failing state in a column the rules above left.
func (f *finder) ingressPairs(p ingressPort, explained []string) {
	for _, n := range slices.Sorted(maps.Keys(p.columns)) {
		if f.down[n] || slices.Contains(explained, n) {
			continue
		}
		for _, s := range p.columns[n] {
			if s.Status != Failing || f.down[s.Agent] {
				continue
			}
			var cells []int
			if _, i, ok := f.cell(s.Agent, n, PathIngress); ok {
				cells = append(cells, i)
			}
			f.add(Finding{Kind: FindingIngressPair, From: s.Agent, To: n, Path: PathIngress, Probe: p.probe,
				Cause: s.Cause, Since: s.Since, Evidence: []LinkState{s},
				Summary: fmt.Sprintf("%s cannot reach %s through %s's routing mesh (%s): %s",
					s.Agent, p.probe, n, s.Cause, s.Message)}, cells...)
		}
	}
}

// ingressCells are the cells into the entry nodes, on path ingress.
func (f *finder) ingressCells(nodes ...string) []int {
	var out []int
	for _, n := range nodes {
		for _, from := range f.x.nodes {
			if _, i, ok := f.cell(from, n, PathIngress); ok {
				out = append(out, i)
			}
		}
	}
	return out
}

// failing is the port's failing states into the entry nodes.
func (p ingressPort) failing(nodes ...string) []LinkState {
	var out []LinkState
	for _, n := range nodes {
		for _, s := range p.columns[n] {
			if s.Status == Failing {
				out = append(out, s)
			}
		}
	}
	return out
}

// meshVerb says how the routing mesh failed probe (<service>:<port>).
func meshVerb(cause, probe string) string {
	svc, port, _ := strings.Cut(probe, ":")
	what := fmt.Sprintf("port %s (%s)", cmp.Or(port, "?"), svc)
	switch cause {
	case "refused":
		return "refuses " + what
	case "timeout":
		return "times out on " + what
	}
	return "fails on " + what
}

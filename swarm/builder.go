package swarm

import (
	"cmp"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

// builder turns one read of the cluster into the swarm checks and plans.
type builder struct {
	cfg    Config
	c      clusterState
	local  []netip.Addr
	checks []controller.Check
	plans  map[PlanKey]Plan
	errs   []LabelError
	own    string // the agents' own service, once seen (isSelf)
}

// network is one network the agent shares with a service.
type network struct{ id, name string }

// view is a service as the checks need it.
type view struct {
	name  string
	svc   swarm.Service
	tasks []swarm.Task // running, by slot then node
	nets  []network    // shared with this agent, never ingress; by name
	ports []int        // the tasks' TCP ports
}

// netSuffix tells the checks of a service apart per network, when it has
// more than one.
func (v view) netSuffix(n network) string {
	if len(v.nets) > 1 {
		return "@" + n.name
	}
	return ""
}

func (b *builder) service(svc swarm.Service) {
	name := svc.Spec.Name
	extra, optOut, errs := ParseServiceOptions(svc.Spec.Labels)
	for _, e := range errs {
		e.Service = name
		b.errs = append(b.errs, e)
	}
	tasks := slices.Clone(b.c.tasks[svc.ID])
	if optOut || len(tasks) == 0 || b.isSelf(svc.ID, tasks) {
		return
	}
	slices.SortFunc(tasks, func(x, y swarm.Task) int {
		return cmp.Or(cmp.Compare(x.Slot, y.Slot), cmp.Compare(b.hostname(x.NodeID), b.hostname(y.NodeID)))
	})
	v := view{name: name, svc: svc, tasks: tasks, nets: b.shared(tasks), ports: targetPorts(svc, extra)}
	b.taskChecks(v)
	b.vipChecks(v)
	b.ingressChecks(v)
	b.hostChecks(v)
	b.dnsCheck(v)
}

// isSelf says whether service id is the agents' own: one of its tasks is
// this agent (holds one of its addresses), or it was the last time this
// agent's task was listed. The peer mesh probes the agents.
func (b *builder) isSelf(id string, tasks []swarm.Task) bool {
	if b.own != "" && id == b.own {
		return true
	}
	for _, t := range tasks {
		for _, a := range t.NetworksAttachments {
			for _, cidr := range a.Addresses {
				if p, err := netip.ParsePrefix(cidr); err == nil && slices.Contains(b.local, p.Addr()) {
					b.own = id
					return true
				}
			}
		}
	}
	return false
}

// shared lists the service's networks this agent is attached to: those
// whose subnet holds one of its addresses. Never the ingress network: the
// ingress check covers it.
func (b *builder) shared(tasks []swarm.Task) []network {
	var out []network
	for _, t := range tasks {
		for _, a := range t.NetworksAttachments {
			known := slices.ContainsFunc(out, func(n network) bool { return n.id == a.Network.ID })
			if known || a.Network.Spec.Ingress || a.Network.Spec.Name == "ingress" || len(a.Addresses) == 0 {
				continue
			}
			p, err := netip.ParsePrefix(a.Addresses[0])
			if err == nil && slices.ContainsFunc(b.local, p.Masked().Contains) {
				out = append(out, network{id: a.Network.ID, name: a.Network.Spec.Name})
			}
		}
	}
	slices.SortFunc(out, func(x, y network) int { return cmp.Compare(x.name, y.name) })
	return out
}

func (b *builder) taskChecks(v view) {
	for _, n := range v.nets {
		for _, t := range v.tasks {
			addr, ok := taskAddr(t, n.id)
			if !ok {
				continue
			}
			for _, port := range v.ports {
				id := b.taskName(t) + "-" + strconv.Itoa(port) + v.netSuffix(n)
				b.add(v.name, PathTask, id, "task-"+id, probes.KindTCP, hostPort(addr.String(), port))
			}
		}
	}
}

func (b *builder) vipChecks(v view) {
	if mode := endpointMode(v.svc); mode != "" && mode != swarm.ResolutionModeVIP {
		return
	}
	for _, vip := range v.svc.Endpoint.VirtualIPs {
		i := slices.IndexFunc(v.nets, func(n network) bool { return n.id == vip.NetworkID })
		p, err := netip.ParsePrefix(vip.Addr)
		if i < 0 || err != nil {
			continue
		}
		for _, port := range v.ports {
			id := strconv.Itoa(port) + v.netSuffix(v.nets[i])
			target := hostPort(p.Addr().String(), port)
			b.add(v.name, PathVIP, id, "vip-"+id, KindVIP, target)
			b.plans[PlanKey{Kind: KindVIP, Target: target}] = b.plan(v, v.nets[i:i+1], port)
		}
	}
}

// ingressChecks probe each ingress-published TCP port at every ready
// node's address: the entry-node matrix. Each check's link goes to the
// entry node on path ingress, its probe named <service>:<port>, so that
// every agent's row lines up into one node × node matrix per port.
func (b *builder) ingressChecks(v view) {
	if b.c.selfAddr == "" {
		return
	}
	entries := b.entryNodes()
	for _, p := range endpointPorts(v.svc) {
		if p.PublishMode == swarm.PortConfigPublishModeHost || !isTCP(p) || p.PublishedPort == 0 {
			continue
		}
		port := strconv.Itoa(int(p.PublishedPort))
		for _, e := range entries {
			target := hostPort(e.addr, int(p.PublishedPort))
			c := b.add(v.name, PathIngress, e.name+"-"+port, v.name+":"+port, KindIngress, target)
			c.Link.Destination, c.Link.Role = e.name, links.RoleIngress
			b.plans[PlanKey{Kind: KindIngress, Target: target}] = b.plan(v, v.nets, int(p.TargetPort))
		}
	}
}

// entry is a node the routing mesh should answer on.
type entry struct{ name, addr string }

// entryNodes are the ready nodes with an address, by hostname; this node
// among them even when its own entry is not yet listed.
func (b *builder) entryNodes() []entry {
	var out []entry
	for id, n := range b.c.nodes {
		if addr := nodeAddr(n); addr != "" && n.Status.State == swarm.NodeStateReady {
			out = append(out, entry{name: b.hostname(id), addr: addr})
		}
	}
	if !slices.ContainsFunc(out, func(e entry) bool { return e.addr == b.c.selfAddr }) {
		out = append(out, entry{name: b.cfg.Self, addr: b.c.selfAddr})
	}
	slices.SortFunc(out, func(x, y entry) int { return cmp.Compare(x.name, y.name) })
	return out
}

// hostChecks probe each running task's host-mode ports on its node. The
// ports are the task's own (its PortStatus: the one place a port the Swarm
// picked is named), else the service's declared fixed ones: a task the
// Swarm started again after its node was down runs, and serves them, a
// while before its status lists them (over a minute once in CI).
func (b *builder) hostChecks(v view) {
	for _, t := range v.tasks {
		addr := nodeAddr(b.c.nodes[t.NodeID])
		ports := t.Status.PortStatus.Ports
		if !slices.ContainsFunc(ports, isHostPort) {
			ports = declaredPorts(v.svc)
		}
		for _, p := range ports {
			if !isHostPort(p) || !isTCP(p) || addr == "" {
				continue
			}
			id := b.hostname(t.NodeID) + "-" + strconv.Itoa(int(p.PublishedPort))
			b.add(v.name, PathHost, id, "host-"+id, probes.KindTCP, hostPort(addr, int(p.PublishedPort)))
		}
	}
}

func (b *builder) dnsCheck(v view) {
	if len(v.nets) == 0 {
		return
	}
	target := "tasks." + v.name
	c := b.add(v.name, PathDNS, "tasks", "tasks", KindDNS, target)
	c.Spec.DNS = &probes.DNSOptions{Resolver: b.cfg.Resolver, Transport: "udp"}
	b.plans[PlanKey{Kind: KindDNS, Target: target}] = b.plan(v, v.nets, 0)
}

// add appends a check and returns it, to be completed before the next add.
func (b *builder) add(service, path, id, name string, kind probes.Kind, target string) *controller.Check {
	b.checks = append(b.checks, controller.Check{
		Key:      SourceName + "/" + service + "/" + path + "/" + id,
		Origin:   SourceName,
		Link:     controller.Link{Source: b.cfg.Self, Destination: service, Path: path},
		Spec:     probes.Spec{Name: name, Kind: kind, Target: target, Timeout: b.cfg.Timeout, Expect: probes.ExpectReachable},
		Interval: b.cfg.Interval,
	})
	return &b.checks[len(b.checks)-1]
}

func (b *builder) plan(v view, nets []network, port int) Plan {
	p := Plan{ServiceID: v.svc.ID, Service: v.name, Port: port, Tasks: map[string][]netip.Addr{}}
	for _, n := range nets {
		p.Networks = append(p.Networks, n.id)
		for _, t := range v.tasks {
			if a, ok := taskAddr(t, n.id); ok {
				p.Tasks[n.id] = append(p.Tasks[n.id], a)
			}
		}
	}
	return p
}

// taskName is a task's stable name within its service: its slot when
// replicated, its node's hostname when global.
func (b *builder) taskName(t swarm.Task) string {
	if t.Slot > 0 {
		return strconv.Itoa(t.Slot)
	}
	return b.hostname(t.NodeID)
}

func (b *builder) hostname(nodeID string) string {
	return cmp.Or(b.c.nodes[nodeID].Description.Hostname, nodeID)
}

// targetPorts are the service's TCP target ports plus extra, sorted.
func targetPorts(svc swarm.Service, extra []int) []int {
	ports := slices.Clone(extra)
	for _, p := range endpointPorts(svc) {
		if isTCP(p) && p.TargetPort > 0 {
			ports = append(ports, int(p.TargetPort))
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// endpointPorts are the service's ports as the manager set them up, or as
// its spec asks when the manager has not yet.
func endpointPorts(svc swarm.Service) []swarm.PortConfig {
	if len(svc.Endpoint.Ports) > 0 || svc.Spec.EndpointSpec == nil {
		return svc.Endpoint.Ports
	}
	return svc.Spec.EndpointSpec.Ports
}

// declaredPorts are the ports the service's spec declares (the endpoint's
// when the spec has none).
func declaredPorts(svc swarm.Service) []swarm.PortConfig {
	if svc.Spec.EndpointSpec != nil {
		return svc.Spec.EndpointSpec.Ports
	}
	return svc.Endpoint.Ports
}

func endpointMode(svc swarm.Service) swarm.ResolutionMode {
	if svc.Spec.EndpointSpec != nil && svc.Spec.EndpointSpec.Mode != "" {
		return svc.Spec.EndpointSpec.Mode
	}
	return svc.Endpoint.Spec.Mode
}

// isHostPort: published on its task's node (host mode), at a known port.
func isHostPort(p swarm.PortConfig) bool {
	return p.PublishMode == swarm.PortConfigPublishModeHost && p.PublishedPort != 0
}

func isTCP(p swarm.PortConfig) bool {
	return p.Protocol == "" || p.Protocol == swarm.PortConfigProtocolTCP
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

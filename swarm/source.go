package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/controller"
)

// DefaultResolver is Docker's embedded DNS server, as seen from a container.
const DefaultResolver = "127.0.0.11:53"

// Config configures a Source.
type Config struct {
	Self       string              // this agent: the checks' Link.Source
	Interval   time.Duration       // between runs of a check; default 30s
	Timeout    time.Duration       // per run; default 5s, at most Interval
	Resolver   string              // for tasks.<service>; default DefaultResolver
	LocalAddrs func() []netip.Addr // this agent's addresses; default InterfaceAddrs
	// Containers lists this host's containers: the Swarm task among them
	// that holds one of LocalAddrs is this agent, its service the agents'
	// own (left to the peer mesh). Nil: known only from the tasks' addresses.
	Containers ContainerLister
}

func (c Config) withDefaults() Config {
	c.Interval = cmp.Or(c.Interval, 30*time.Second)
	c.Timeout = min(cmp.Or(c.Timeout, 5*time.Second), c.Interval)
	c.Resolver = cmp.Or(c.Resolver, DefaultResolver)
	if c.LocalAddrs == nil {
		c.LocalAddrs = InterfaceAddrs
	}
	return c
}

// Source is the controller.Source of the swarm checks. On a manager, for
// every service with running tasks (unless labelled
// swarmlink.swarm-checks=false, or it is the agents' own: one of its tasks
// holds this agent's address, and the peer mesh probes it), it returns:
//
//   - task: tcp to each task IP at each of the service's TCP target ports
//     (published ports' targets and swarmlink.port), on every network this
//     agent shares with the service;
//   - vip: swarm-vip to the service VIP on each of those networks, compared
//     with the task IPs (endpoint mode vip only);
//   - ingress: swarm-ingress to every ready node's address at each
//     ingress-published TCP port, compared with the task IPs at the target
//     port: one row of the entry-node matrix (destination: the entry node,
//     path ingress, probe <service>:<port>);
//   - host: tcp to each task's node address at its host-mode published port;
//   - dns: swarm-dns of tasks.<service> on the embedded resolver, compared
//     with the running tasks' IPs.
//
// Keys are "swarm/<service>/<path>/<id>"; the destination is the service
// (the entry node for ingress).
// It writes the composite checks' plans into its Catalog. On a worker it
// reads the Swarm through a Relay's snapshot, and without one returns no
// checks and no error. Safe for concurrent use.
type Source struct {
	api     ClusterReader
	catalog *Catalog
	cfg     Config
	problems

	mu  sync.Mutex
	own string // ID of the service one of whose tasks was this agent, once seen
}

// ownService and setOwnService keep the agents' own service: once seen
// holding this agent, it stays skipped while the cluster's list of running
// tasks leaves this agent's task out (its node down or cut off a while).
func (s *Source) ownService() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.own
}

// learnOwn finds this agent's own task container among the host's
// containers (it holds one of local), until it has: the Swarm lists a task
// as running some seconds after its container started, and a snapshot
// older than that does not list it at all.
func (s *Source) learnOwn(ctx context.Context, local []netip.Addr) {
	if s.cfg.Containers == nil || s.ownService() != "" {
		return
	}
	list, err := s.cfg.Containers.ContainerList(ctx, container.ListOptions{
		Filters: filters.NewArgs(filters.Arg("label", serviceIDLabel))})
	if err != nil {
		return
	}
	for _, c := range list {
		if c.NetworkSettings == nil {
			continue
		}
		for _, n := range c.NetworkSettings.Networks {
			if a, err := netip.ParseAddr(n.IPAddress); err == nil && slices.Contains(local, a) {
				s.setOwnService(c.Labels[serviceIDLabel])
				return
			}
		}
	}
}

// serviceIDLabel is the label the Swarm puts on a task's container.
const serviceIDLabel = "com.docker.swarm.service.id"

func (s *Source) setOwnService(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.own = id
}

var _ controller.Source = (*Source)(nil)

// NewSource returns the swarm source reading the cluster through api and
// keeping the plans in catalog (shared with the Prober).
func NewSource(api ClusterReader, catalog *Catalog, cfg Config, log *zap.Logger) *Source {
	if log == nil {
		log = zap.NewNop()
	}
	return &Source{api: api, catalog: catalog, cfg: cfg.withDefaults(),
		problems: problems{log: log.With(zap.String("component", "swarm"), zap.String("source", SourceName))}}
}

// Name returns "swarm".
func (s *Source) Name() string { return SourceName }

// Desired reads services, tasks and nodes and returns every swarm check.
func (s *Source) Desired(ctx context.Context) ([]controller.Check, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	c, err := readCluster(ctx, s.api)
	if errors.Is(err, ErrNotManager) {
		s.onWorker("not a swarm manager: the managers' agents make the swarm checks", err)
		s.catalog.Replace(nil)
		s.setErrors(nil)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.onManager()
	local := s.cfg.LocalAddrs()
	s.learnOwn(ctx, local)
	b := &builder{cfg: s.cfg, c: c, local: local, plans: map[PlanKey]Plan{}, own: s.ownService()}
	for _, svc := range c.services {
		b.service(svc)
	}
	s.setOwnService(b.own)
	slices.SortFunc(b.checks, func(x, y controller.Check) int { return cmp.Compare(x.Key, y.Key) })
	s.catalog.Replace(b.plans)
	s.setErrors(b.errs)
	return b.checks, nil
}

// clusterState is what one Desired reads from a manager.
type clusterState struct {
	selfAddr string                  // this node's address in the swarm
	nodes    map[string]swarm.Node   // by ID
	services []swarm.Service         // sorted by name
	tasks    map[string][]swarm.Task // running, by service ID
}

// swarmRead is one read of a manager's engine: what both the sources
// (readCluster) and the workers' snapshot (TakeSnapshot) start from.
type swarmRead struct {
	info     system.Info
	services []swarm.Service
	nodes    []swarm.Node
	tasks    []swarm.Task // desired and running
}

// readSwarm reads the engine's info, services, nodes and running tasks. On a
// worker the error wraps ErrNotManager.
func readSwarm(ctx context.Context, api ClusterReader) (swarmRead, error) {
	info, err := api.Info(ctx)
	if err != nil {
		return swarmRead{}, fmt.Errorf("docker info: %w", err)
	}
	if !info.Swarm.ControlAvailable {
		return swarmRead{}, fmt.Errorf("node %s (swarm %s): %w", info.Name, info.Swarm.LocalNodeState, ErrNotManager)
	}
	r := swarmRead{info: info}
	if r.services, err = api.ServiceList(ctx, swarm.ServiceListOptions{}); err != nil {
		return swarmRead{}, notManager("listing services", err)
	}
	if r.nodes, err = api.NodeList(ctx, swarm.NodeListOptions{}); err != nil {
		return swarmRead{}, notManager("listing nodes", err)
	}
	if r.tasks, err = runningTasks(ctx, api, ""); err != nil {
		return swarmRead{}, err
	}
	return r, nil
}

func readCluster(ctx context.Context, api ClusterReader) (clusterState, error) {
	r, err := readSwarm(ctx, api)
	if err != nil {
		return clusterState{}, err
	}
	c := clusterState{selfAddr: r.info.Swarm.NodeAddr, nodes: map[string]swarm.Node{}, services: r.services,
		tasks: map[string][]swarm.Task{}}
	for _, n := range r.nodes {
		c.nodes[n.ID] = n
	}
	for _, t := range r.tasks {
		c.tasks[t.ServiceID] = append(c.tasks[t.ServiceID], t)
	}
	slices.SortFunc(c.services, func(a, b swarm.Service) int { return cmp.Compare(a.Spec.Name, b.Spec.Name) })
	return c, nil
}

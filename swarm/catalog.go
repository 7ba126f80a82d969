package swarm

import (
	"maps"
	"net/netip"
	"sync"

	"github.com/swarmlink/swarmlink/probes"
)

// PlanKey names the plan of one composite check: its kind and target
// (a VIP, a node's ingress address or a tasks.<service> name, each unique).
type PlanKey struct {
	Kind   probes.Kind
	Target string
}

// Plan is what a composite swarm check probes besides its target: the
// service, the networks whose task addresses count, and the tasks' port.
// It holds only facts that stay while the service does, so a task that is
// replaced does not change the check; the prober reads the live tasks.
type Plan struct {
	ServiceID string
	Service   string
	Networks  []string // network IDs the agent shares with the service
	Port      int      // the tasks' port to probe (vip, ingress); 0 for dns

	// Tasks are the running tasks' addresses per network ID at plan time:
	// what the prober uses when it has no TaskLister or the API fails.
	Tasks map[string][]netip.Addr
}

// Catalog holds the plans of the current swarm checks: written by Source on
// every Desired, read by Prober on every run. Safe for concurrent use.
type Catalog struct {
	mu    sync.RWMutex
	plans map[PlanKey]Plan
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{plans: map[PlanKey]Plan{}} }

// Replace swaps in the whole set of plans.
func (c *Catalog) Replace(plans map[PlanKey]Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plans = maps.Clone(plans)
}

// Lookup returns the plan of the check with key k.
func (c *Catalog) Lookup(k PlanKey) (Plan, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.plans[k]
	return p, ok
}

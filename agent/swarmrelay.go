package agent

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/swarm"
)

// snapshotFetcher asks managers' agents for their swarm snapshot, trying
// prefer first; it returns the snapshot and the agent that sent it.
type snapshotFetcher func(ctx context.Context, prefer string) (swarm.Snapshot, error)

// swarmRelay makes the swarm checks run on every node. On a manager it
// takes a snapshot of the Swarm every refresh and serves it to the
// workers' agents (served); on a worker it fetches one from any manager's
// agent (fetch, over the authenticated peer protocol) into the reader the
// sources and probers read, keeping the last good one when no manager
// answers, and saying so in the status.
type swarmRelay struct {
	self   string
	local  swarm.ClusterReader
	reader *swarm.Relay
	log    *zap.Logger
	fetch  snapshotFetcher // set once the mesh is up; nil: no peers to ask

	served atomic.Pointer[[]byte] // a manager's snapshot, as JSON

	mu     sync.Mutex
	status SwarmRelayStatus
}

// SwarmRelayStatus is the relay's part of /api/v1/status.
type SwarmRelayStatus struct {
	Role     string    `json:"role"`                 // manager | worker | "" before the first sync
	From     string    `json:"from,omitempty"`       // the manager's agent the snapshot in use came from (a worker)
	Taken    time.Time `json:"taken,omitzero"`       // when the snapshot in use was read
	Services int       `json:"services"`             // in the snapshot in use
	Error    string    `json:"error,omitempty"`      // the last sync's failure; the last good snapshot stays in use
	Since    time.Time `json:"error_since,omitzero"` // since when syncs fail
	// Events is the engine's event stream, which triggers a sync and a
	// reconcile on each change between refreshes; nil: refresh only.
	Events *EventWatchStatus `json:"events,omitempty"`
}

func newSwarmRelay(self string, local swarm.ClusterReader, log *zap.Logger) *swarmRelay {
	return &swarmRelay{self: self, local: local, reader: swarm.NewRelay(local), log: log}
}

// swarmJSON is the snapshot the agent serves to workers' agents, if any.
func (a *Agent) swarmJSON() []byte {
	if a.swarm == nil {
		return nil
	}
	return a.swarm.relay.snapshotJSON()
}

// snapshotJSON is what the responder serves: a manager's last snapshot.
func (r *swarmRelay) snapshotJSON() []byte {
	if b := r.served.Load(); b != nil {
		return *b
	}
	return nil
}

// sync takes (manager) or fetches (worker) a snapshot; it says whether the
// checks may have changed.
func (r *swarmRelay) sync(ctx context.Context, now time.Time) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := swarm.TakeSnapshot(ctx, r.local, r.self, now)
	switch {
	case err == nil:
		b, merr := json.Marshal(s)
		if merr != nil {
			r.failed("manager", fmt.Errorf("encoding the snapshot: %w", merr), now)
			return false
		}
		r.served.Store(&b)
		r.succeeded("manager", s)
		return false // the sources read the engine itself
	case !errors.Is(err, swarm.ErrNotManager):
		r.failed("", err, now)
		return false
	}
	r.served.Store(nil)
	if r.fetch == nil {
		r.failed("worker", errors.New("no peer mesh: no manager's agent to ask for the swarm"), now)
		return false
	}
	s, err = r.fetch(ctx, r.Status().From)
	if err != nil {
		r.failed("worker", err, now)
		return false
	}
	r.reader.Set(s)
	r.succeeded("worker", s)
	return true
}

func (r *swarmRelay) succeeded(role string, s swarm.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = SwarmRelayStatus{Role: role, Taken: s.Taken, Services: len(s.Services)}
	if role == "worker" {
		r.status.From = s.Manager
	}
}

func (r *swarmRelay) failed(role string, err error, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status.Error == "" {
		r.status.Since = now.UTC()
		r.log.Warn("swarm relay: keeping the last good snapshot", zap.String("role", role), zap.Error(err))
	}
	r.status.Role, r.status.Error = role, err.Error()
}

// waiting: a worker without a snapshot yet (it asks again soon, not a
// refresh later: its peers are still being discovered).
func (r *swarmRelay) waiting() bool {
	_, ok := r.reader.Snapshot()
	return !ok && r.Status().Role == "worker"
}

// managers are the hostnames of the managers in the last snapshot.
func (r *swarmRelay) managers() map[string]bool {
	s, ok := r.reader.Snapshot()
	if !ok {
		return nil
	}
	out := map[string]bool{}
	for _, n := range s.Nodes {
		if n.Spec.Role == "manager" {
			out[n.Description.Hostname] = true
		}
	}
	return out
}

// Status is the relay's status.
func (r *swarmRelay) Status() SwarmRelayStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// fetchSwarm asks the managers' agents among the mesh's peers, prefer
// first, for a snapshot, each over its published path, then its overlay.
func (a *Agent) fetchSwarm(ctx context.Context, prefer string) (swarm.Snapshot, error) {
	managers := managerPeers(a.mesh.source.Peers(), a.mesh.self.Name, prefer, a.swarm.relay.managers())
	if len(managers) == 0 {
		return swarm.Snapshot{}, errors.New("no manager's agent among the peers")
	}
	var errs []string
	for _, p := range managers {
		for _, try := range a.views.paths(p) {
			raw, err := a.fetchOne(ctx, try.addr, p.Name)
			var s swarm.Snapshot
			if err == nil {
				err = json.Unmarshal(raw, &s)
			}
			if err == nil {
				return s, nil
			}
			errs = append(errs, p.Name+" via "+try.via+": "+err.Error())
		}
	}
	return swarm.Snapshot{}, fmt.Errorf("no manager's agent answered (%s)", strings.Join(errs, "; "))
}

// fetchOne asks one manager's agent at addr, within the mesh timeout: a
// manager whose engine is down must not use up the time the others have.
func (a *Agent) fetchOne(ctx context.Context, addr, peer string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Mesh.Timeout)
	defer cancel()
	return a.mesh.prober.FetchSwarm(ctx, addr, peer)
}

// managerPeers are the managers' agents among peers but self, prefer (the
// one that answered last) first, then by name. A peer is a manager by its
// identity or by the last snapshot's node list (known): an agent's identity
// says the role its node had when the agent started, and a node promoted
// since is a manager only in the Swarm's list.
func managerPeers(peers []mesh.Peer, self, prefer string, known map[string]bool) []mesh.Peer {
	out := slices.DeleteFunc(slices.Clone(peers), func(p mesh.Peer) bool {
		return (p.Role != "manager" && !known[p.Name]) || p.Name == self || p.State == mesh.StateDrain
	})
	slices.SortFunc(out, func(x, y mesh.Peer) int {
		return cmp.Or(-cmp.Compare(b2i(x.Name == prefer), b2i(y.Name == prefer)), cmp.Compare(x.Name, y.Name))
	})
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

package mesh

import (
	"cmp"
	"context"
	"slices"
)

// Peer is another agent as discovery sees it.
type Peer struct {
	Name          string // agent name: what its answers are signed with
	NodeID        string // Swarm node ID, when known
	OverlayAddr   string // task address on the overlay network (overlay path)
	EncryptedAddr string // task address on the encrypted agent network (encrypted path)
	UnderlayAddr  string // host address (published path)
	PublishedPort int    // published port of this host; 0 = the source's default
	Role          string // manager | worker | "" when unknown
	State         string // discovery's word: ready, down, drain, running, static...
}

// Peer states set by this package's discoverers.
const (
	StateRunning = "running" // a task answering in DNS
	StateStatic  = "static"  // configured by hand
	StateDrain   = "drain"   // a drained Swarm node: runs no agent, never probed
	StateLost    = "lost"    // no longer listed by discovery, still probed for a while (Source.LostHold)
)

// Discoverer lists peers. Peers returns the whole current list, not a delta,
// and is called on every reconcile.
type Discoverer interface {
	Peers(ctx context.Context) ([]Peer, error)
}

// StaticHost is a plain Docker host reached through its published port.
type StaticHost struct {
	Name          string // agent name on that host; defaults to Address
	Address       string // host name or IP
	PublishedPort int    // 0 = the source's default
}

// Static discovers a fixed list of hosts, for plain Docker hosts that are
// not in a swarm and talk through published ports.
type Static struct {
	Hosts []StaticHost
}

var _ Discoverer = Static{}

// Peers returns one peer per host.
func (s Static) Peers(context.Context) ([]Peer, error) {
	out := make([]Peer, 0, len(s.Hosts))
	for _, h := range s.Hosts {
		name := cmp.Or(h.Name, h.Address)
		out = append(out, Peer{Name: name, UnderlayAddr: h.Address, PublishedPort: h.PublishedPort, State: StateStatic})
	}
	return out, nil
}

// Merge combines peer lists into one, sorted by name. It drops self, known
// by name, hostname, node ID or any of its addresses, and peers without a
// name. Peers with the same name, or the same node ID, are one peer: empty
// fields are filled from later lists, so pass the lists most trusted first
// (e.g. DNS with identities, then Docker nodes, then static hosts).
func Merge(self Identity, lists ...[]Peer) []Peer {
	byName := map[string]*Peer{}
	byNode := map[string]string{} // node ID -> name it was first seen under
	for _, list := range lists {
		for _, p := range list {
			if p.Name == "" || isSelf(self, p) {
				continue
			}
			name := p.Name
			if first, ok := byNode[p.NodeID]; ok && p.NodeID != "" {
				name = first
			}
			cur, ok := byName[name]
			if !ok {
				cp := p
				byName[name] = &cp
				cur = &cp
			}
			fill(cur, p)
			if cur.NodeID != "" {
				byNode[cur.NodeID] = cmp.Or(byNode[cur.NodeID], name)
			}
		}
	}
	out := make([]Peer, 0, len(byName))
	for _, p := range byName {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Peer) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// fill sets every empty field of dst from src.
func fill(dst *Peer, src Peer) {
	dst.NodeID = cmp.Or(dst.NodeID, src.NodeID)
	dst.OverlayAddr = cmp.Or(dst.OverlayAddr, src.OverlayAddr)
	dst.EncryptedAddr = cmp.Or(dst.EncryptedAddr, src.EncryptedAddr)
	dst.UnderlayAddr = cmp.Or(dst.UnderlayAddr, src.UnderlayAddr)
	dst.PublishedPort = cmp.Or(dst.PublishedPort, src.PublishedPort)
	dst.Role = cmp.Or(dst.Role, src.Role)
	dst.State = cmp.Or(dst.State, src.State)
}

func isSelf(self Identity, p Peer) bool {
	switch {
	case p.Name == self.Name, self.Hostname != "" && p.Name == self.Hostname:
		return true
	case self.NodeID != "" && p.NodeID == self.NodeID:
		return true
	case p.OverlayAddr != "" && slices.Contains(self.OverlayAddrs, p.OverlayAddr):
		return true
	}
	return p.UnderlayAddr != "" && slices.Contains(self.UnderlayAddrs, p.UnderlayAddr)
}

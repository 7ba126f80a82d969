package mesh

import (
	"cmp"
	"slices"
	"time"
)

// Round is the subset round containing now: floor(now / Interval). Every
// agent computes the same round from its clock.
func (s *Source) Round(now time.Time) int64 {
	return now.UnixNano() / int64(s.cfg.Interval)
}

// NextRound is when the round after the one containing now starts: in
// subset mode the desired set changes then, so reconcile at that time.
func (s *Source) NextRound(now time.Time) time.Time {
	return time.Unix(0, (s.Round(now)+1)*int64(s.cfg.Interval))
}

// RoundsToCover is how many consecutive rounds it takes, with n agents
// (self included) each probing k others per round, until every ordered
// pair has been probed: ceil((n-1)/k), or 1 when every peer is probed.
func RoundsToCover(n, k int) int {
	others := n - 1
	if k <= 0 || k >= others {
		return 1
	}
	return (others + k - 1) / k
}

// subset picks this round's peers. The agents, self included, sorted by
// name, form a ring; an agent's "others" are the ring read from just after
// itself. In round r an agent probes others[r*k mod (n-1)] and the k-1 that
// follow. Consecutive rounds take consecutive blocks of k, so any
// ceil((n-1)/k) consecutive rounds cover every ordered pair; and since each
// agent probes the same ring distances in a round, each agent also receives
// exactly k probes per round. The follow-ups come on top (see followUps).
func (s *Source) subset(peers []Peer, now time.Time) []Peer {
	k, m := s.cfg.SubsetK, len(peers)
	if k <= 0 || k >= m {
		return peers
	}
	ring := ringFrom(s.self.Name, peers)
	offset := int(s.Round(now)%int64(m)) * k % m
	if offset < 0 {
		offset += m
	}
	out := make([]Peer, 0, k)
	for j := range k {
		out = append(out, ring[(offset+j)%m])
	}
	return append(out, s.followUps(ring, offset, k)...)
}

// followUps are the peers outside this round's block that this agent's
// links to fail or have just failed (SetFollowUp), at most k of them, in
// ring order after the block. They are probed every round until their
// links pass again: a link is otherwise probed once per rotation, and it
// takes FailingAfter results to fail and RecoverAfter to heal, so a cut
// node took two rotations (300 s at 50 agents, subset 10, 30 s) to be
// found, and a healed one as long to be cleared, one link at a time.
func (s *Source) followUps(ring []Peer, offset, k int) []Peer {
	s.mu.Lock()
	troubled := s.followUp
	s.mu.Unlock()
	if troubled == nil {
		return nil
	}
	follow := troubled()
	var out []Peer
	for j := k; j < len(ring) && len(out) < k; j++ {
		if p := ring[(offset+j)%len(ring)]; follow[p.Name] {
			out = append(out, p)
		}
	}
	return out
}

// DueFrom returns the peers due to probe this agent in round: the peers
// whose subset of that round holds it, computed as every agent computes its
// own (the same ring of names; the peer lists of the agents agree). Every
// probeable peer is due in every round without subset mode. A destination
// judges a peer's arrivals only for the rounds the peer was due: in subset
// mode a round without them says nothing.
func (s *Source) DueFrom(round int64) map[string]bool {
	peers := probeable(s.Peers())
	due := make(map[string]bool, len(peers))
	k, m := s.cfg.SubsetK, len(peers)
	if k <= 0 || k >= m {
		for _, p := range peers {
			due[p.Name] = true
		}
		return due
	}
	names := make([]string, 0, m+1)
	for _, p := range peers {
		names = append(names, p.Name)
	}
	names = append(names, s.self.Name)
	slices.Sort(names)
	n := len(names)
	me, _ := slices.BinarySearch(names, s.self.Name)
	offset := int(((round%int64(m))+int64(m))%int64(m)) * k % m
	for at, name := range names {
		if at == me {
			continue
		}
		// This agent's place in name's ring (its others, read from just
		// after it), then its distance into this round's block.
		j := (me - at - 1 + n) % n
		due[name] = (j-offset+m)%m < k
	}
	return due
}

// ringFrom returns peers (self excluded) in ring order starting just after
// self's place among all names.
func ringFrom(self string, peers []Peer) []Peer {
	byName := func(a, b Peer) int { return cmp.Compare(a.Name, b.Name) }
	sorted := slices.SortedFunc(slices.Values(peers), byName)
	start, _ := slices.BinarySearchFunc(sorted, Peer{Name: self}, byName)
	return slices.Concat(sorted[start:], sorted[:start])
}

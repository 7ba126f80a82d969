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
// exactly k probes per round.
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
	return out
}

// ringFrom returns peers (self excluded) in ring order starting just after
// self's place among all names.
func ringFrom(self string, peers []Peer) []Peer {
	byName := func(a, b Peer) int { return cmp.Compare(a.Name, b.Name) }
	sorted := slices.SortedFunc(slices.Values(peers), byName)
	start, _ := slices.BinarySearchFunc(sorted, Peer{Name: self}, byName)
	return slices.Concat(sorted[start:], sorted[:start])
}

package mesh

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
)

// Why a TCP connection was refused or dropped before it authenticated; a
// bounded set used as the reason label of
// swarmlink_mesh_connections_rejected_total.
const (
	ConnBusy         = "busy"          // every slot is held by an authenticated peer
	ConnPerIP        = "per_ip"        // its source IP holds MaxUnauthPerIP unauthenticated connections
	ConnEvicted      = "evicted"       // the oldest unauthenticated connection, closed for a newcomer
	ConnHelloTimeout = "hello_timeout" // no authenticating first frame within FirstFrame
	ConnHelloInvalid = "hello_invalid" // its first frame was refused
)

// ConnReasons lists every connection rejection reason, for metric
// initialisation.
func ConnReasons() []string {
	return []string{ConnBusy, ConnPerIP, ConnEvicted, ConnHelloTimeout, ConnHelloInvalid}
}

// connTable admits TCP connections so that peers are served first: at most
// max are open, at most perIP of them unauthenticated per source IP, and
// when all slots are taken the oldest unauthenticated connection makes way
// for a newcomer. An authenticated connection is never evicted, so
// strangers only ever compete with each other. Safe for concurrent use.
type connTable struct {
	max, perIP int

	mu     sync.Mutex
	open   int
	unauth *list.List // of *slot, oldest first
	byIP   map[netip.Addr]int
}

// slot is one admitted connection.
type slot struct {
	c       net.Conn
	ip      netip.Addr
	elem    *list.Element // in unauth while unauthenticated
	evicted bool          // closed for a newcomer; its place is already freed
}

func newConnTable(max, perIP int) *connTable {
	return &connTable{max: max, perIP: perIP, unauth: list.New(), byIP: map[netip.Addr]int{}}
}

// admit takes c, or returns the reason it is refused. victim, when not
// nil, was evicted to make room: the caller closes it.
func (t *connTable) admit(c net.Conn) (s, victim *slot, reason string) {
	ip := remoteIP(c)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byIP[ip] >= t.perIP {
		return nil, nil, ConnPerIP
	}
	if t.open >= t.max {
		front := t.unauth.Front()
		if front == nil {
			return nil, nil, ConnBusy
		}
		victim = front.Value.(*slot)
		t.drop(victim)
		victim.evicted = true
	}
	s = &slot{c: c, ip: ip}
	s.elem = t.unauth.PushBack(s)
	t.byIP[ip]++
	t.open++
	return s, victim, ""
}

// authenticated marks s as a peer's: it can no longer be evicted.
func (t *connTable) authenticated(s *slot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forget(s)
}

// release frees s's place when its connection ends.
func (t *connTable) release(s *slot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !s.evicted {
		t.drop(s)
	}
}

// drop frees s's place; the caller holds mu.
func (t *connTable) drop(s *slot) {
	t.forget(s)
	t.open--
}

// forget takes s off the unauthenticated list; the caller holds mu.
func (t *connTable) forget(s *slot) {
	if s.elem == nil {
		return
	}
	t.unauth.Remove(s.elem)
	s.elem = nil
	if t.byIP[s.ip]--; t.byIP[s.ip] <= 0 {
		delete(t.byIP, s.ip)
	}
}

func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

package mesh

import (
	"net"
	"testing"
)

// addrConn is a net.Conn that only has a remote address.
type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }

func connFrom(ip string) net.Conn {
	return addrConn{remote: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}
}

// TestConnTable checks the table's accounting: peers keep their slots,
// the oldest stranger makes way, one address is capped, and every place
// comes back when its connection ends.
func TestConnTable(t *testing.T) {
	tab := newConnTable(3, 2)
	peer, _, _ := tab.admit(connFrom("10.0.0.1"))
	tab.authenticated(peer)
	s1, _, _ := tab.admit(connFrom("10.0.0.2"))
	s2, _, _ := tab.admit(connFrom("10.0.0.2"))
	if _, _, reason := tab.admit(connFrom("10.0.0.2")); reason != ConnPerIP {
		t.Fatalf("third stranger from one address: reason %q, want %q", reason, ConnPerIP)
	}
	s3, victim, reason := tab.admit(connFrom("10.0.0.3"))
	if reason != "" || victim != s1 {
		t.Fatalf("full table: reason %q, victim %v; want the oldest stranger evicted", reason, victim)
	}
	tab.authenticated(s2)
	tab.authenticated(s3)
	if _, _, reason := tab.admit(connFrom("10.0.0.4")); reason != ConnBusy {
		t.Fatalf("table full of peers: reason %q, want %q", reason, ConnBusy)
	}
	for _, s := range []*slot{s1, s2, s3, peer} { // s1's place was freed when it was evicted
		tab.release(s)
	}
	if tab.open != 0 || tab.unauth.Len() != 0 || len(tab.byIP) != 0 {
		t.Fatalf("after every release: open %d, unauthenticated %d, addresses %d; want 0", tab.open, tab.unauth.Len(), len(tab.byIP))
	}
}

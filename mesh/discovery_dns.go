package mesh

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// DNSTasks defaults.
const (
	DefaultResolver        = "127.0.0.11:53" // Docker's embedded DNS, in every container
	DefaultPort            = 9471
	DefaultIdentityTimeout = 2 * time.Second
	DefaultIdentityWorkers = 8
	DefaultIdentityTTL     = 5 * time.Minute
)

// DNSTasks discovers the agents of a Swarm service by resolving
// tasks.<Service> through Docker's embedded DNS, which works on workers too.
// Each address becomes a peer on the overlay; its name, node and underlay
// address come from an identity query to the responder at that address
// (cached per address for CacheTTL, bounded concurrency, short timeouts).
// When the query fails the peer keeps a cached identity if it has one, else
// it is named by its address.
//
// Zero values of the optional fields select the defaults. Use a DNSTasks by
// pointer; Peers is safe for concurrent use.
type DNSTasks struct {
	Service     string        // Swarm service name
	Resolver    string        // DNS server host:port; default 127.0.0.11:53
	Port        int           // responder port on the overlay; default 9471
	Key         []byte        // shared key for identity queries
	Timeout     time.Duration // per identity query; default 2 s
	Concurrency int           // parallel identity queries; default 8
	CacheTTL    time.Duration // identity cache lifetime; default 5 min

	mu    sync.Mutex
	cache map[string]cachedIdentity // by address; pruned to the current tasks
}

type cachedIdentity struct {
	id   Identity
	at   time.Time // when it answered
	gone time.Time // since when its address is out of tasks.<service>; zero while in
}

var _ Discoverer = (*DNSTasks)(nil)

// Peers resolves the tasks and identifies each one.
func (d *DNSTasks) Peers(ctx context.Context) ([]Peer, error) {
	ips, err := d.lookup(ctx)
	if err != nil {
		return nil, err
	}
	ids := d.identities(ctx, ips)
	out := make([]Peer, 0, len(ips))
	for _, ip := range ips {
		p := Peer{Name: ip, OverlayAddr: ip, State: StateRunning}
		if id, ok := ids[ip]; ok {
			p.Name, p.NodeID, p.Role, p.EncryptedAddr = id.Name, id.NodeID, id.Role, id.EncryptedAddr
			if len(id.UnderlayAddrs) > 0 {
				p.UnderlayAddr = id.UnderlayAddrs[0]
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// lookup returns the sorted task addresses.
func (d *DNSTasks) lookup(ctx context.Context) ([]string, error) {
	server := d.Resolver
	if server == "" {
		server = DefaultResolver
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, network, server)
	}}
	name := "tasks." + d.Service + "." // absolute: no search domains
	addrs, err := r.LookupIPAddr(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("resolving %s via %s: %w", name, server, err)
	}
	ips := make([]string, 0, len(addrs))
	for _, a := range addrs {
		ips = append(ips, a.IP.String())
	}
	slices.Sort(ips)
	return slices.Compact(ips), nil
}

// identities returns what is known of each address: a fresh cache entry, a
// new answer, or a stale entry when the query failed. An address that left
// the service is remembered for the TTL: the embedded DNS drops a cut-off
// node's task and lists it again once the node is back, when the overlay
// may not carry the identity query yet, and the peer must come back under
// its name (its checks, its history, its rejoin grace), not its address.
// So the cache holds the service's addresses and those of the last TTL.
func (d *DNSTasks) identities(ctx context.Context, ips []string) map[string]Identity {
	now := time.Now()
	known, stale := d.fromCache(ips, now)
	var mu sync.Mutex
	g := new(errgroup.Group)
	g.SetLimit(cmp.Or(max(d.Concurrency, 0), DefaultIdentityWorkers))
	for _, ip := range stale {
		g.Go(func() error {
			id, err := d.query(ctx, ip)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				known[ip] = cachedIdentity{id: id, at: now}
			}
			return nil
		})
	}
	_ = g.Wait() // failures only mean "not identified"
	out := make(map[string]Identity, len(known))
	for ip, c := range known {
		out[ip] = c.id
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for ip, c := range d.cache {
		if _, in := known[ip]; !in && d.remembered(c, now) {
			c.gone = cmp.Or(c.gone, now)
			known[ip] = c
		}
	}
	d.cache = known
	return out
}

func (d *DNSTasks) ttl() time.Duration {
	if d.CacheTTL <= 0 {
		return DefaultIdentityTTL
	}
	return d.CacheTTL
}

// remembered says whether c, if its address left the service, left it
// within the TTL.
func (d *DNSTasks) remembered(c cachedIdentity, now time.Time) bool {
	return c.gone.IsZero() || now.Sub(c.gone) <= d.ttl()
}

// fromCache returns the cached entries for ips and the addresses to query
// (missing, older than the TTL, or back in the service; a stale entry
// stays until replaced).
func (d *DNSTasks) fromCache(ips []string, now time.Time) (map[string]cachedIdentity, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	known := make(map[string]cachedIdentity, len(ips))
	var query []string
	for _, ip := range ips {
		c, ok := d.cache[ip]
		back := ok && !c.gone.IsZero()
		if ok = ok && d.remembered(c, now); ok {
			c.gone = time.Time{}
			known[ip] = c
		}
		if !ok || back || now.Sub(c.at) > d.ttl() {
			query = append(query, ip)
		}
	}
	return known, query
}

func (d *DNSTasks) query(ctx context.Context, ip string) (Identity, error) {
	timeout, port := d.Timeout, d.Port
	if timeout <= 0 {
		timeout = DefaultIdentityTimeout
	}
	if port == 0 {
		port = DefaultPort
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return QueryIdentity(ctx, net.JoinHostPort(ip, strconv.Itoa(port)), d.Key)
}

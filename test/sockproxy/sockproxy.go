// Package sockproxy is a least-privilege Docker API proxy for the test
// suite: it listens on a unix socket, forwards to an engine's socket only
// the read-only requests (GET and HEAD) whose path is on an allow-list,
// answers everything else 403, and counts both. The e2e suite runs an agent
// behind it to prove the agent needs nothing more than DefaultAllow.
package sockproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultAllow is the set of endpoints swarmlink's agent calls, without the
// optional /v1.NN version prefix: version negotiation (/_ping), the node's
// facts (/info), and the swarm and label sources' and the mesh's
// discovery (/nodes, /services, /tasks, /containers/json: lists only), the
// event stream that triggers a re-read (/events), and the overlay networks
// with their peer tables (/networks, and /networks/* for one network: the
// only inspect of one object). An entry ending in /* matches one more
// path segment.
func DefaultAllow() []string {
	return []string{"/_ping", "/info", "/nodes", "/services", "/tasks", "/containers/json", "/events",
		"/networks", "/networks/*"}
}

// versioned splits an API path into its optional /v1.NN prefix and the rest.
var versioned = regexp.MustCompile(`^(/v1\.[0-9]+)?(/.*)$`)

// Proxy is the filtering reverse proxy. It is safe for concurrent use.
type Proxy struct {
	allow []string
	rp    *httputil.ReverseProxy

	mu      sync.Mutex
	allowed map[string]int // forwarded requests by endpoint (unversioned)
	denied  []string       // "METHOD path" of each refused request
}

// New returns a proxy to the engine listening on the unix socket upstream
// that forwards only GET and HEAD requests to the endpoints in allow.
func New(upstream string, allow []string) *Proxy {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", upstream)
	}}
	p := &Proxy{allow: slices.Clone(allow), allowed: map[string]int{}}
	p.rp = &httputil.ReverseProxy{Transport: tr, FlushInterval: -1, Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker"
	}}
	return p
}

// ServeHTTP forwards an allowed request and refuses any other with 403.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	endpoint, ok := p.permitted(r)
	p.mu.Lock()
	if ok {
		p.allowed[endpoint]++
	} else {
		p.denied = append(p.denied, r.Method+" "+r.URL.RequestURI())
	}
	p.mu.Unlock()
	if !ok {
		http.Error(w, "sockproxy: "+r.Method+" "+r.URL.Path+" is not allowed", http.StatusForbidden)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// permitted returns the request's unversioned endpoint and whether it may
// pass: a read-only method, a clean path as sent (no "..", no escapes that
// could decode to one) and an endpoint on the allow-list, exactly.
func (p *Proxy) permitted(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", false
	}
	u := r.URL
	if u.RawPath != "" || path.Clean(u.Path) != u.Path {
		return "", false
	}
	m := versioned.FindStringSubmatch(u.Path)
	if m == nil || !slices.ContainsFunc(p.allow, func(a string) bool { return matches(a, m[2]) }) {
		return "", false
	}
	return m[2], true
}

// matches says whether endpoint is allow, or one segment under allow's
// prefix when allow ends in /*.
func matches(allow, endpoint string) bool {
	prefix, wild := strings.CutSuffix(allow, "/*")
	if !wild {
		return allow == endpoint
	}
	rest, ok := strings.CutPrefix(endpoint, prefix+"/")
	return ok && rest != "" && !strings.Contains(rest, "/")
}

// Allowed returns how many requests were forwarded, by endpoint.
func (p *Proxy) Allowed() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.allowed))
	for k, v := range p.allowed {
		out[k] = v
	}
	return out
}

// Denied returns the refused requests ("METHOD path?query"), oldest first.
func (p *Proxy) Denied() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.denied)
}

// Listen opens a unix socket at path for the proxy, replacing a stale one.
func Listen(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing stale socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	return l, nil
}

// Serve serves the proxy on l and blocks until ctx is done, then shuts down
// within 5 s and closes l. Requests run under ctx: a streaming one (an
// event stream) ends with it instead of holding the shutdown.
func (p *Proxy) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

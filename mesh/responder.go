package mesh

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// Responder defaults.
const (
	DefaultListen   = ":9471"
	DefaultMaxConns = 256
	// DefaultMaxUnauthPerIP is the default of MaxUnauthPerIP.
	DefaultMaxUnauthPerIP = 32
	DefaultConnTimeout    = 10 * time.Second
	// DefaultFirstFrame bounds how long a new connection may take to
	// deliver its first, authenticating frame (its hello): a prober sends
	// it at once, so a client that holds connection slots without speaking
	// (to exhaust MaxConns) loses them quickly.
	DefaultFirstFrame = time.Second
	// DefaultStallTimeout is how long a frame from an authenticated sender
	// may stop arriving part-way before the responder says how much it got
	// (a signed partial-frame refusal: the request leg loses large packets).
	// It must be well below a prober's timeout.
	DefaultStallTimeout = time.Second
)

// ResponderOptions configure a Responder. Key and Identity.Name are
// required; zero values of the rest select the defaults.
type ResponderOptions struct {
	Addr         string        // TCP and UDP listen address; default ":9471"
	Key          []byte        // shared HMAC key
	Identity     Identity      // answered to identity requests; Name signs every answer
	MaxPayload   int           // largest accepted body; default 64 KiB
	ReplayWindow time.Duration // accepted clock skew; default ±30 s
	NonceCache   int           // remembered nonces; default 16384
	MaxConns     int           // concurrent TCP connections; default 256
	// MaxUnauthPerIP bounds the connections one source IP may hold before
	// they authenticate; default 32. Behind a NAT (the routing mesh of a
	// published port) peers share an IP, but each is unauthenticated only
	// for the moment its first frame takes.
	MaxUnauthPerIP int
	ConnTimeout    time.Duration // idle deadline per TCP read and write; default 10 s
	FirstFrame     time.Duration // deadline for a new connection's first frame; default 1 s
	StallTimeout   time.Duration // silence allowed inside an authenticated frame; default 1 s
	Inbound        InboundSink   // told about every authenticated probe; may be nil
	// View returns the JSON of this agent's links.View for the body of a
	// peer's FetchView (authenticated, at most MaxPayload bytes; the
	// asker's position in the view it holds, or empty); nil serves none.
	// Called on serving goroutines: it must be safe for concurrent use and
	// return quickly.
	View func(req []byte) []byte
	// Swarm returns the JSON of the swarm.Snapshot this agent serves to
	// workers' agents (FetchSwarm), nil when it has none; the option nil
	// serves none. The same rules as View.
	Swarm func() []byte
	// Diagnosis returns the JSON of the links.Packed diagnosis this agent
	// serves to agents that do not diagnose the whole cluster themselves
	// (FetchDiagnosis), nil while it has none to serve (it is not an
	// evaluator); the option nil serves none. The same rules as View.
	Diagnosis func() []byte
}

// Responder answers other agents' probes on one port, over TCP (framed) and
// UDP (one datagram per message): echo requests get their payload back,
// identity requests get Identity, view requests (TCP) get View, MTU probes
// (UDP) a small ack, beacons are only recorded. Every authenticated echo
// request and beacon is reported to Inbound.
//
// Input that fails authentication, freshness, recipient or size checks is
// counted by reason and dropped. On TCP the connection is closed on the
// first bad frame, after saying why where it can: a 4-byte refusal code
// for a tag that does not verify, another version or no free slot; a
// signed refusal to a sender whose key verified (clock skew, another
// recipient, a frame that stopped arriving part-way). On UDP nothing
// refused is ever answered, so the UDP side cannot be used to reflect or
// amplify traffic.
//
// TCP connections are admitted so that peers are served first (see
// MaxConns, MaxUnauthPerIP, FirstFrame and PreAuthPayload).
//
// A Responder serves once: Start blocks until its context is done. Its
// methods are safe for concurrent use.
type Responder struct {
	opts     ResponderOptions
	log      *zap.Logger
	guard    *Guard
	sign     *Codec
	identity []byte // JSON, encoded once
	maxMsg   int
	conns    *connTable
	clock    func() time.Time // time.Now; tests move it

	messages *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	rejected *prometheus.CounterVec
	panics   prometheus.Counter

	mu  sync.Mutex
	tcp net.Listener
	udp *net.UDPConn
}

// NewResponder validates opts, applies defaults and registers the
// responder's metrics on reg.
func NewResponder(opts ResponderOptions, log *zap.Logger, reg prometheus.Registerer) (*Responder, error) {
	if len(opts.Key) == 0 {
		return nil, errors.New("responder: key is required")
	}
	if opts.Identity.Name == "" || len(opts.Identity.Name) > maxNameLen {
		return nil, fmt.Errorf("responder: identity name must be 1 to %d bytes", maxNameLen)
	}
	opts = responderDefaults(opts)
	id, err := json.Marshal(opts.Identity)
	if err != nil {
		return nil, fmt.Errorf("responder: encoding identity: %w", err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	r := &Responder{
		opts: opts, identity: id, maxMsg: MaxMessage(opts.MaxPayload),
		log:   log.With(zap.String("component", "mesh"), zap.String("part", "responder")),
		guard: NewGuard(opts.ReplayWindow, opts.NonceCache),
		sign:  NewCodec(opts.Key),
		conns: newConnTable(opts.MaxConns, opts.MaxUnauthPerIP),
		clock: time.Now,
	}
	if err := r.register(reg); err != nil {
		return nil, err
	}
	return r, nil
}

func responderDefaults(o ResponderOptions) ResponderOptions {
	if o.Addr == "" {
		o.Addr = DefaultListen
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.MaxUnauthPerIP <= 0 {
		o.MaxUnauthPerIP = DefaultMaxUnauthPerIP
	}
	if o.ConnTimeout <= 0 {
		o.ConnTimeout = DefaultConnTimeout
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = min(DefaultStallTimeout, o.ConnTimeout)
	}
	if o.FirstFrame <= 0 {
		o.FirstFrame = min(DefaultFirstFrame, o.ConnTimeout)
	}
	return o
}

func (r *Responder) register(reg prometheus.Registerer) error {
	r.messages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "swarmlink_peer_messages_total",
		Help: "Authenticated messages the peer responder accepted, by transport and type.",
	}, []string{"transport", "type"})
	r.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "swarmlink_peer_dropped_total",
		Help: "Inputs the peer responder dropped unanswered, by transport and reason.",
	}, []string{"transport", "reason"})
	r.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "swarmlink_mesh_connections_rejected_total",
		Help: "TCP connections the peer responder refused or dropped before they authenticated, by reason.",
	}, []string{"reason"})
	r.panics = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "swarmlink_peer_panics_total",
		Help: "Panics recovered while the peer responder handled a message.",
	})
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	for _, c := range []prometheus.Collector{r.messages, r.dropped, r.rejected, r.panics} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("responder: registering metrics: %w", err)
		}
	}
	for _, reason := range ConnReasons() {
		r.rejected.WithLabelValues(reason)
	}
	for _, t := range []string{"tcp", "udp"} {
		for _, reason := range Reasons() {
			r.dropped.WithLabelValues(t, string(reason))
		}
	}
	return nil
}

// Listen binds the TCP listener and the UDP socket on the same port. With
// port 0, TCP picks a free port and UDP binds the same number (retried a few
// times should that UDP port be taken). Start calls Listen when it has not
// been called; call it first to learn Addr.
func (r *Responder) Listen(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tcp != nil {
		return nil
	}
	host, port, err := net.SplitHostPort(r.opts.Addr)
	if err != nil {
		return fmt.Errorf("responder: listen address %q: %w", r.opts.Addr, err)
	}
	attempts := 1
	if port == "0" {
		attempts = 5
	}
	for ; attempts > 0; attempts-- {
		if err = r.listenPair(ctx, host, port); err == nil {
			return nil
		}
	}
	return err
}

func (r *Responder) listenPair(ctx context.Context, host, port string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("responder: listening on tcp %s: %w", r.opts.Addr, err)
	}
	bound := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	pc, err := lc.ListenPacket(ctx, "udp", net.JoinHostPort(host, bound))
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("responder: listening on udp port %s: %w", bound, err)
	}
	udp := pc.(*net.UDPConn)
	_ = udp.SetReadBuffer(4 << 20) // best effort: room for bursts of large echoes
	r.tcp, r.udp = ln, udp
	return nil
}

// Addr returns the bound address (host:port), or "" before Listen.
func (r *Responder) Addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tcp == nil {
		return ""
	}
	return r.tcp.Addr().String()
}

// Start listens (unless Listen was called) and serves until ctx is done,
// then closes both sockets and waits for open connections to end. It
// returns nil after ctx is done, or the first fatal socket error.
func (r *Responder) Start(ctx context.Context) error {
	if err := r.Listen(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	ln, udp := r.tcp, r.udp
	r.mu.Unlock()
	r.log.Info("peer responder listening", zap.String("addr", ln.Addr().String()))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		<-gctx.Done()
		_ = ln.Close()
		_ = udp.Close()
		return nil
	})
	g.Go(func() error { return r.serveTCP(gctx, ln) })
	g.Go(func() error { return r.serveUDP(gctx, udp) })
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// handle authenticates and answers one message of size bytes. It returns
// the message, the encoded answer (none when none is due; release it once
// sent) and, when the message is refused, a *DropError; a refusal may come
// with a signed answer saying why, which only TCP sends.
func (r *Responder) handle(b []byte, transport string, from netip.AddrPort) (m Message, out framed, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panics.Inc()
			r.log.Error("panic handling peer message", zap.Any("panic", p), zap.Stack("stack"))
			out, err = framed{}, drop(ReasonMalformed, "internal error")
		}
	}()
	if m, err = r.admit(b); err != nil {
		return m, r.refusal(m, err), err
	}
	out, err = r.dispatch(m, len(b), transport, from)
	return m, out, err
}

// refusal is the signed answer to an authenticated sender whose message
// was refused for its clock or its recipient; nil for any other refusal.
func (r *Responder) refusal(m Message, err error) framed {
	switch ReasonOf(err) {
	case ReasonClockSkew:
		return r.reject(m.Sender, m.Nonce, m.Path, rejectClockSkew, nil)
	case ReasonRecipient:
		return r.reject(m.Sender, m.Nonce, m.Path, rejectRecipient, []byte(m.Recipient))
	}
	return framed{}
}

// admit authenticates b and checks that it is for this agent and fresh.
func (r *Responder) admit(b []byte) (Message, error) {
	m, err := r.sign.Decode(b, r.opts.MaxPayload)
	if err != nil {
		return m, err
	}
	if m.Recipient != "" && m.Recipient != r.opts.Identity.Name {
		return m, drop(ReasonRecipient, "addressed to %q", m.Recipient)
	}
	return m, r.guard.Check(m, r.clock())
}

// dispatch answers an admitted message.
func (r *Responder) dispatch(m Message, size int, transport string, from netip.AddrPort) (framed, error) {
	now := r.clock()
	switch {
	case m.Type == TypeEchoRequest:
		r.inbound(m, transport, now, from)
		return r.answer(m, TypeEchoResponse, m.Body, m.Pad, transport)
	case m.Type == TypeIdentityRequest:
		return r.answer(m, TypeIdentityResponse, r.identity, 0, transport)
	case m.Type == TypeViewRequest && transport == "tcp":
		return r.view(m)
	case m.Type == TypeSwarmRequest && transport == "tcp":
		return r.swarm(m)
	case m.Type == TypeDiagRequest && transport == "tcp":
		return r.diagnosis(m)
	case m.Type == TypeMTUProbe && transport == "udp":
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(size))
		return r.answer(m, TypeMTUAck, n[:], 0, transport)
	case m.Type == TypeBeacon:
		r.inbound(m, InboundBeacon, now, from)
		r.messages.WithLabelValues(transport, m.Type.String()).Inc()
		return framed{}, nil
	}
	return framed{}, drop(ReasonMalformed, "unexpected %s over %s", m.Type, transport)
}

// answer encodes the answer of type t to req, with body and pad bytes of
// padding.
func (r *Responder) answer(req Message, t Type, body []byte, pad int, transport string) (framed, error) {
	r.messages.WithLabelValues(transport, req.Type.String()).Inc()
	resp := NewMessage(t, r.opts.Identity.Name, req.Path, r.clock())
	resp.Recipient, resp.Seq, resp.Body, resp.Pad = req.Sender, req.Seq, body, pad
	return r.sign.frame(resp)
}

// reject is a signed refusal for agent to of its request with nonce ref.
func (r *Responder) reject(to string, ref [NonceSize]byte, path string, code byte, detail []byte) framed {
	m := NewMessage(TypeReject, r.opts.Identity.Name, path, r.clock())
	m.Recipient, m.Body = to, rejectBody(code, ref, detail)
	f, err := r.sign.frame(m)
	if err != nil { // names come from decoded messages: cannot be too long
		r.log.Error("encoding a refusal", zap.Error(err))
	}
	return f
}

func (r *Responder) inbound(m Message, kind string, at time.Time, from netip.AddrPort) {
	if r.opts.Inbound == nil {
		return
	}
	in := Inbound{From: m.Sender, Path: m.Path, Kind: kind, At: at, Seq: m.Seq, Size: m.Size()}
	if from.IsValid() {
		in.Addr = from.String()
	}
	r.opts.Inbound.OnInbound(in)
}

// count records why an input was dropped; errors without a reason (plain
// I/O errors) are not drops.
func (r *Responder) count(transport string, err error) {
	if reason := ReasonOf(err); reason != "" {
		r.dropped.WithLabelValues(transport, string(reason)).Inc()
		r.log.Debug("peer input dropped", zap.String("transport", transport), zap.Error(err))
	}
}

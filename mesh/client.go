package mesh

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// Client defaults.
const (
	DefaultSmallSize      = 64
	DefaultLargeThreshold = 1200
	DefaultUDPCount       = 3
	DefaultUDPGap         = 100 * time.Millisecond
	DefaultClientTimeout  = 5 * time.Second

	// UDPMaxPayload is the largest echo body sent over UDP: a whole message,
	// whatever the names in its header, must fit one IPv4 UDP datagram
	// (65507 bytes). Larger UDP sizes are capped to it.
	UDPMaxPayload = 65507 - HeaderBound
)

// ErrAuthRefused is reported when a peer's responder takes a TCP request and
// closes the connection without answering. A responder closes on any frame it
// drops; with a well-formed request of a sane size that almost always means
// the two agents hold different keys (a clock skewed beyond the replay window
// looks the same and is the next suspect).
var ErrAuthRefused = errors.New("peer refused authentication (wrong key?) or has no free connection slot")

// ClientOptions configure the peer prober. Key and Self are required for
// probes; zero values of the rest select the defaults.
type ClientOptions struct {
	Key            []byte        // shared HMAC key
	Self           string        // this agent's name, the sender of every request
	MaxPayload     int           // largest echo body; default 64 KiB
	ReplayWindow   time.Duration // accepted clock skew of answers; default ±30 s
	SmallSize      int           // size of the pre-check before a large echo; default 64
	LargeThreshold int           // sizes above this get a small pre-check; default 1200
	UDPGap         time.Duration // wait for an answer before the next datagram; default 100 ms
	Timeout        time.Duration // bound when ctx has no deadline; default 5 s
}

// Prober runs probes.KindPeer probes against other agents' responders. It
// is safe for concurrent use.
type Prober struct {
	opts   ClientOptions
	guard  *Guard
	beacon atomic.Uint64 // last beacon sequence number sent
}

var _ probes.Prober = (*Prober)(nil)

// NewProber returns the peer prober; register it for probes.KindPeer.
func NewProber(opts ClientOptions) *Prober { return newClient(opts) }

func newClient(o ClientOptions) *Prober {
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.SmallSize <= 0 {
		o.SmallSize = DefaultSmallSize
	}
	if o.LargeThreshold <= 0 {
		o.LargeThreshold = DefaultLargeThreshold
	}
	if o.UDPGap <= 0 {
		o.UDPGap = DefaultUDPGap
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultClientTimeout
	}
	return &Prober{opts: o, guard: NewGuard(o.ReplayWindow, 0)}
}

// Probe runs one peer probe: an echo over spec.Peer.Transport of Size bytes
// (a TCP echo, or Count UDP datagrams), preceded by a small echo when Size
// is large, or Count one-way beacons when OneWay.
//
// Causes: ok; refused/timeout/reset/unreachable/dns from the network;
// mismatch when an answer does not verify or comes from another peer than
// PeerOptions.Peer; mtu when the small echo passes and the large one times
// out; error (with ErrAuthRefused's text) when a TCP peer closes on our
// request, which is what a responder does with a tag made by another key.
func (p *Prober) Probe(ctx context.Context, spec probes.Spec) probes.Result {
	ctx, cancel := p.bound(ctx)
	defer cancel()
	o, err := p.options(spec)
	if err != nil {
		return probes.Result{Cause: probes.CauseError, Message: err.Error()}
	}
	switch {
	case o.OneWay:
		return p.beacons(ctx, spec.Target, o)
	case o.Size > p.opts.LargeThreshold:
		return p.largeEcho(ctx, spec.Target, o)
	}
	return p.echo(ctx, spec.Target, o)
}

// options validates spec for this prober and fills defaults.
func (p *Prober) options(spec probes.Spec) (probes.PeerOptions, error) {
	if spec.Peer == nil {
		return probes.PeerOptions{}, errors.New("peer probe without peer options")
	}
	if p.opts.Self == "" || len(p.opts.Key) == 0 {
		return probes.PeerOptions{}, errors.New("peer prober has no key or self name")
	}
	o := *spec.Peer
	if o.Transport == "" {
		o.Transport = "tcp"
	}
	if o.Transport != "tcp" && o.Transport != "udp" {
		return o, fmt.Errorf("peer probe transport %q: want tcp or udp", o.Transport)
	}
	if o.Size <= 0 {
		o.Size = p.opts.SmallSize
	}
	if o.Transport == "udp" || o.OneWay {
		o.Size = min(o.Size, UDPMaxPayload)
	}
	if o.Size > p.opts.MaxPayload {
		return o, fmt.Errorf("peer probe size %d exceeds the max payload %d", o.Size, p.opts.MaxPayload)
	}
	if o.Count <= 0 {
		o.Count = DefaultUDPCount
	}
	return o, nil
}

// largeEcho first echoes SmallSize bytes with at most half of the time left,
// then Size bytes: only the pair tells an MTU black hole from a dead peer.
func (p *Prober) largeEcho(ctx context.Context, target string, o probes.PeerOptions) probes.Result {
	small := o
	small.Size = p.opts.SmallSize
	sctx, cancel := context.WithTimeout(ctx, time.Until(deadline(ctx))/2)
	r := p.echo(sctx, target, small)
	cancel()
	if r.Cause != probes.CauseOK {
		r.Message = fmt.Sprintf("small (%d B) echo: %s", small.Size, r.Message)
		return r
	}
	r = p.echo(ctx, target, o)
	if r.Cause == probes.CauseTimeout {
		r.Cause, r.Reachable = probes.CauseMTU, true
		r.Message = fmt.Sprintf("small (%d B) echo passes, %d B echo times out: MTU black hole on the path",
			small.Size, o.Size)
	}
	return r
}

// echo runs one echo on o.Transport and checks who answered.
func (p *Prober) echo(ctx context.Context, target string, o probes.PeerOptions) probes.Result {
	var r probes.Result
	var sender string
	if o.Transport == "udp" {
		r, sender = p.udpEcho(ctx, target, o)
	} else {
		r, sender = p.tcpEcho(ctx, target, o)
	}
	if r.Cause == probes.CauseOK && o.Peer != "" && sender != o.Peer {
		r.Cause = probes.CauseMismatch
		r.Message = fmt.Sprintf("%s answered as %q, expected %q", target, sender, o.Peer)
	}
	return r
}

// tcpEcho sends one echo request of o.Size bytes on a new connection.
func (p *Prober) tcpEcho(ctx context.Context, target string, o probes.PeerOptions) (probes.Result, string) {
	req := NewMessage(TypeEchoRequest, p.opts.Self, o.Path, time.Now())
	req.Seq, req.Body = randomSeq(), filler(o.Size)
	resp, rtt, err := p.roundTrip(ctx, target, req)
	if err == nil {
		err = checkEcho(req, resp)
	}
	if err != nil {
		return failure(err), ""
	}
	return probes.Result{
		Reachable: true, Cause: probes.CauseOK, RTT: rtt, Sent: 1, Received: 1,
		Message: fmt.Sprintf("tcp echo of %d B from %s in %s", o.Size, resp.Sender, rtt.Round(time.Microsecond)),
	}, resp.Sender
}

// roundTrip sends req on a new TCP connection and reads one verified answer.
// rtt runs from the write to the answer, without the connect. Errors are
// *opError.
func (p *Prober) roundTrip(ctx context.Context, target string, req Message) (resp Message, rtt time.Duration, err error) {
	b, err := Encode(p.opts.Key, req)
	if err != nil {
		return Message{}, 0, &opError{"encode", err}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return Message{}, 0, &opError{"connect " + target, ctxErr(ctx, err)}
	}
	defer conn.Close()
	defer probes.BindConn(ctx, conn)()
	start := time.Now()
	if err := WriteFrame(conn, b); err != nil {
		return Message{}, 0, &opError{"send to " + target, ctxErr(ctx, err)}
	}
	frame, err := ReadFrame(conn, MaxMessage(p.opts.MaxPayload))
	rtt = time.Since(start)
	if err != nil {
		return Message{}, rtt, &opError{"answer from " + target, receiveErr(ctx, err)}
	}
	resp, err = p.verify(frame, target)
	return resp, rtt, err
}

// verify authenticates an answer; a bad one is a mismatch.
func (p *Prober) verify(b []byte, target string) (Message, error) {
	m, err := Decode(p.opts.Key, b, p.opts.MaxPayload)
	if err == nil {
		err = p.guard.Check(m, time.Now())
	}
	if err != nil {
		return Message{}, &opError{"answer from " + target, errMismatch(err.Error())}
	}
	return m, nil
}

// checkEcho says whether resp answers req.
func checkEcho(req, resp Message) error {
	switch {
	case resp.Type != TypeEchoResponse:
		return &opError{"echo", errMismatch("got a " + resp.Type.String())}
	case resp.Seq != req.Seq:
		return &opError{"echo", errMismatch("answer to another request")}
	case !bytes.Equal(resp.Body, req.Body):
		return &opError{"echo", errMismatch(fmt.Sprintf("payload of %d B differs from the %d B sent", len(resp.Body), len(req.Body)))}
	}
	return nil
}

func (p *Prober) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, p.opts.Timeout)
}

// deadline is ctx's deadline; bound guarantees there is one.
func deadline(ctx context.Context) time.Time {
	dl, _ := ctx.Deadline()
	return dl
}

// filler is an n-byte payload. Freshness comes from the random Seq and the
// nonce, so the payload itself need not be random.
func filler(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func randomSeq() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 1 // room to count up without wrapping
}

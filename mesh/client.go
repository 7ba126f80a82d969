package mesh

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

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

// ClientOptions configure the peer prober. Key and Self are required for
// probes; zero values of the rest select the defaults.
type ClientOptions struct {
	Key            []byte        // shared HMAC key
	Self           string        // this agent's name, the sender of every request
	MaxPayload     int           // largest echo body; default 64 KiB
	ReplayWindow   time.Duration // accepted clock skew of answers; default ±30 s
	SmallSize      int           // size of the pre-check before a large echo; default 64, at most PreAuthPayload
	LargeThreshold int           // sizes above this get a small pre-check; default 1200, at most PreAuthPayload
	UDPGap         time.Duration // wait for an answer before the next datagram; default 100 ms
	Timeout        time.Duration // bound when ctx has no deadline; default 5 s

	Log        *zap.Logger           // may be nil
	Registerer prometheus.Registerer // for the clock offset gauge; may be nil
}

// Prober runs probes.KindPeer probes against other agents' responders. It
// is safe for concurrent use.
type Prober struct {
	opts      ClientOptions
	sign      *Codec
	guard     *Guard
	clocks    *clocks
	beaconSeq beaconSeqs // last beacon sequence number sent, per target and path
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
	// A responder reads larger frames only once one has authenticated the
	// connection: the pre-check must fit, and anything larger needs one.
	o.SmallSize = min(o.SmallSize, PreAuthPayload)
	o.LargeThreshold = min(o.LargeThreshold, PreAuthPayload)
	if o.UDPGap <= 0 {
		o.UDPGap = DefaultUDPGap
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultClientTimeout
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	log := o.Log.With(zap.String("component", "mesh"), zap.String("part", "prober"))
	guard := NewGuard(o.ReplayWindow, 0)
	return &Prober{opts: o, sign: NewCodec(o.Key), guard: guard, clocks: newClocks(guard.Window(), log, o.Registerer)}
}

// Probe runs one peer probe: an echo over spec.Peer.Transport of Size bytes
// (a TCP echo, or Count UDP datagrams), preceded by a small echo when Size
// is large (on the same connection over TCP), or Count one-way beacons when
// OneWay. Requests are addressed to PeerOptions.Peer when set.
//
// Causes: ok; refused/timeout/reset/unreachable/dns from the network (see
// probes.Classify); mismatch when an answer is not the expected one or
// comes from another agent than PeerOptions.Peer; auth when the peer
// refuses our key or its answer does not verify with it; clock-skew (with
// the measured offset) when the peer's clock is outside the replay window;
// busy when its responder has no free slot; mtu when the small echo passes
// and the large one does not, with Result.Leg saying which half was lost
// when that is known. A UDP echo to a peer with another key or a skewed
// clock gets no answer: a timeout.
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

// largeEcho runs a large echo over UDP or TCP: only its failure beside
// a small echo's success tells an MTU black hole from a dead peer. Over
// UDP both echoes run on one socket (answers to the small one that come
// late are told apart by their sequence numbers).
func (p *Prober) largeEcho(ctx context.Context, target string, o probes.PeerOptions) probes.Result {
	if o.Transport == "tcp" {
		return p.largeTCP(ctx, target, o)
	}
	conn, err := dialUDP(ctx, target)
	if err != nil {
		r := failure(err)
		r.Message = fmt.Sprintf("udp echo of %d B: %s", o.Size, r.Message)
		return r
	}
	defer conn.Close()
	defer probes.BindConn(ctx, conn)()
	small := o
	small.Size = p.opts.SmallSize
	sctx, cancel := context.WithTimeout(ctx, time.Until(deadline(ctx))/2)
	r, sender := p.udpEchoOn(sctx, conn, target, small)
	cancel()
	r = p.checkSender(target, o, r, sender)
	if r.Cause != probes.CauseOK {
		r.Message = fmt.Sprintf("udp echo of %d B: %s", o.Size, r.Message)
		return r
	}
	r, sender = p.udpEchoOn(ctx, conn, target, o)
	r = p.checkSender(target, o, r, sender)
	if r.Cause == probes.CauseTimeout {
		r.Cause, r.Reachable = probes.CauseMTU, true
		r.Message = fmt.Sprintf("udp echo of %d B times out while %d B echoes pass: MTU black hole on the path",
			o.Size, small.Size)
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
	return p.checkSender(target, o, r, sender)
}

// checkSender turns a passed echo answered by another agent than o.Peer
// into a mismatch.
func (p *Prober) checkSender(target string, o probes.PeerOptions, r probes.Result, sender string) probes.Result {
	if r.Cause == probes.CauseOK && o.Peer != "" && sender != o.Peer {
		r.Cause = probes.CauseMismatch
		r.Message = fmt.Sprintf("%s answered as %q, expected %q", target, sender, o.Peer)
	}
	return r
}

// tcpEcho sends one echo request of o.Size bytes on a new connection.
func (p *Prober) tcpEcho(ctx context.Context, target string, o probes.PeerOptions) (probes.Result, string) {
	s, err := p.dial(ctx, target, o.Peer)
	if err != nil {
		return failure(err), ""
	}
	defer s.end()
	return s.echo(ctx, o)
}

// echo runs one TCP echo of o.Size bytes on the session.
func (s *session) echo(ctx context.Context, o probes.PeerOptions) (probes.Result, string) {
	req := s.request(TypeEchoRequest, o.Path, nil)
	req.Pad = o.Size
	resp, rtt, err := s.exchange(ctx, req, s.p.opts.MaxPayload)
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

// roundTrip sends req on a new TCP connection and reads one verified answer
// of at most maxAnswer body bytes. Errors are *opError.
func (p *Prober) roundTrip(ctx context.Context, target string, req Message, maxAnswer int) (Message, error) {
	s, err := p.dial(ctx, target, req.Recipient)
	if err != nil {
		return Message{}, err
	}
	defer s.end()
	resp, _, err := s.exchange(ctx, req, maxAnswer)
	resp.Body = s.keep(resp.Body)
	return resp, err
}

// authenticate opens an answer of at most maxBody body bytes and checks
// that it is fresh.
func (p *Prober) authenticate(b []byte, maxBody int, sentAt, recvAt time.Time) (Message, error) {
	m, err := p.open(b, maxBody)
	if err != nil {
		return m, err
	}
	return m, p.fresh(m, sentAt, recvAt)
}

// open decodes an answer and checks that it is addressed to this prober.
func (p *Prober) open(b []byte, maxBody int) (Message, error) {
	m, err := p.sign.Decode(b, maxBody)
	switch {
	case ReasonOf(err) == ReasonBadMAC:
		return m, errForeignKey
	case ReasonOf(err) == ReasonOversized:
		return m, err
	case err != nil:
		return m, errMismatch("not a swarmlink answer: " + err.Error())
	case m.Sender == p.opts.Self && m.Recipient != p.opts.Self:
		return m, errMismatch("our own request came back: a reflector, not a responder")
	case m.Recipient != p.opts.Self:
		return m, errMismatch(fmt.Sprintf("an answer addressed to %q", m.Recipient))
	}
	return m, nil
}

// fresh checks m against the replay guard and, once it passes, records
// the sender's clock offset: an answer the guard refuses may be an old one
// replayed, and must not move the offset. A signed clock-skew refusal
// skips the guard (the skew is its point); session.verify checks that it
// refuses our request, and records its offset then.
func (p *Prober) fresh(m Message, sentAt, recvAt time.Time) error {
	if m.Type == TypeReject && len(m.Body) > 0 && m.Body[0] == rejectClockSkew {
		return nil
	}
	off := offset(m, sentAt, recvAt)
	switch ReasonOf(p.guard.Check(m, recvAt)) {
	case "":
		p.clocks.observe(m.Sender, off)
		return nil
	case ReasonClockSkew:
		return &ClockSkewError{Offset: off, Window: p.guard.Window()}
	}
	return errMismatch("a replayed answer")
}

// offset is m's sender's clock minus ours, taking m to have been stamped
// halfway between our send and our receive.
func offset(m Message, sentAt, recvAt time.Time) time.Duration {
	mid := sentAt.Add(recvAt.Sub(sentAt) / 2)
	return time.Unix(0, m.Timestamp).Sub(mid)
}

// checkEcho says whether resp answers req.
func checkEcho(req, resp Message) error {
	switch {
	case resp.Type != TypeEchoResponse:
		return &opError{"echo", errMismatch("got a " + resp.Type.String())}
	case resp.Seq != req.Seq:
		return &opError{"echo", errMismatch("answer to another request")}
	case resp.Pad != req.Pad || !bytes.Equal(resp.Body, req.Body):
		return &opError{"echo", errMismatch(fmt.Sprintf("payload of %d B differs from the %d B sent", resp.Size(), req.Size()))}
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

func randomSeq() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 1 // room to count up without wrapping
}

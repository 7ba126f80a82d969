package mesh

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// udpEcho sends o.Count echo requests of o.Size bytes, one at a time: the
// next leaves when the previous is answered or after UDPGap (so a burst of
// large datagrams never overruns a socket buffer), then it waits for late
// answers until all are in or ctx ends. Any answer makes the peer
// reachable; partial loss shows in LossPercent.
func (p *Prober) udpEcho(ctx context.Context, target string, o probes.PeerOptions) (probes.Result, string) {
	conn, err := dialUDP(ctx, target)
	if err != nil {
		return failure(err), ""
	}
	defer conn.Close()
	defer probes.BindConn(ctx, conn)()
	return p.udpEchoOn(ctx, conn, target, o)
}

// udpEchoOn is udpEcho on conn, a socket connected to target.
func (p *Prober) udpEchoOn(ctx context.Context, conn net.Conn, target string, o probes.PeerOptions) (probes.Result, string) {
	run := &udpRun{
		p: p, conn: conn, target: target, peer: o.Peer, path: o.Path, base: randomSeq(), size: o.Size,
		sentAt: make([]time.Time, o.Count), got: make([]bool, o.Count), buf: getBuf(maxDatagram),
		out: getBuf(HeaderBound + o.Size),
	}
	defer run.release()
	for i := 0; i < o.Count && ctx.Err() == nil; i++ {
		if err := run.send(ctx, i); err != nil {
			return run.result(err)
		}
		if err := run.collect(ctx, i, time.Now().Add(p.opts.UDPGap)); err != nil {
			return run.result(err)
		}
	}
	return run.result(run.collect(ctx, -1, deadline(ctx)))
}

// udpRun is the state of one UDP echo run.
type udpRun struct {
	p      *Prober
	conn   net.Conn
	target string
	peer   string // the recipient of requests
	path   string
	base   uint64 // Seq of the first request
	size   int    // bytes of padding in each request
	sentAt []time.Time
	got    []bool
	buf    []byte // answers in, from getBuf
	out    []byte // requests out, from getBuf

	sent, received int
	rttSum         time.Duration
	sender         string
	bad            error // the last answer that did not verify
}

// release gives the run's buffers back.
func (u *udpRun) release() {
	putBuf(u.buf)
	putBuf(u.out)
}

func (u *udpRun) send(ctx context.Context, i int) error {
	m := NewMessage(TypeEchoRequest, u.p.opts.Self, u.path, time.Now())
	m.Recipient, m.Seq, m.Pad = u.peer, u.base+uint64(i), u.size
	b, err := u.p.sign.Append(u.out[:0], m)
	if err != nil {
		return &opError{"encode", err}
	}
	u.sentAt[i] = time.Now()
	if _, err := u.conn.Write(b); err != nil {
		return &opError{"send to " + u.target, ctxErr(ctx, err)}
	}
	u.sent++
	return nil
}

// collect reads answers until request wait is answered (every sent request
// when wait < 0) or until passes. Running out of time is not an error.
func (u *udpRun) collect(ctx context.Context, wait int, until time.Time) error {
	for !u.done(wait) {
		_ = u.conn.SetReadDeadline(until)
		n, err := u.conn.Read(u.buf)
		if err != nil {
			err = ctxErr(ctx, err)
			if isTimeout(err) {
				return nil
			}
			return &opError{"answer from " + u.target, err}
		}
		u.accept(u.buf[:n])
	}
	return nil
}

func (u *udpRun) done(wait int) bool {
	if wait >= 0 {
		return u.got[wait]
	}
	return u.received == u.sent
}

// accept records one answer datagram when it verifies and answers one of
// our requests; duplicates and strays are ignored, and anything else that
// claims one of our sequence numbers (a reflected request, another payload)
// is remembered as a bad answer.
func (u *udpRun) accept(b []byte) {
	m, err := u.p.open(b, u.p.opts.MaxPayload)
	if err != nil {
		u.bad = &opError{"answer from " + u.target, err}
		return
	}
	i := m.Seq - u.base
	if m.Seq < u.base || i >= uint64(len(u.got)) || u.got[i] {
		return // a late answer to an earlier run, or a duplicate
	}
	if err := u.p.fresh(m, u.sentAt[i], time.Now()); err != nil {
		u.bad = &opError{"answer from " + u.target, err}
		return
	}
	if err := checkEcho(Message{Type: TypeEchoRequest, Seq: m.Seq, Pad: u.size}, m); err != nil {
		u.bad = err
		return
	}
	u.got[i] = true
	u.received++
	u.rttSum += time.Since(u.sentAt[i])
	u.sender = m.Sender
}

// result summarises the run; err is what stopped it early, if anything.
func (u *udpRun) result(err error) (probes.Result, string) {
	r := probes.Result{Sent: u.sent, Received: u.received}
	if u.sent > 0 {
		r.LossPercent = 100 * float64(u.sent-u.received) / float64(u.sent)
	}
	switch {
	case u.received > 0:
		r.Reachable, r.Cause = true, probes.CauseOK
		r.RTT = u.rttSum / time.Duration(u.received)
		r.Message = fmt.Sprintf("udp echo of %d B: %d/%d answered by %s, avg rtt %s",
			u.size, u.received, u.sent, u.sender, r.RTT.Round(time.Microsecond))
		return r, u.sender
	case err != nil:
		f := failure(err)
		r.Reachable, r.Cause, r.Message = f.Reachable, f.Cause, f.Message
	case u.bad != nil:
		f := failure(u.bad)
		r.Reachable, r.Cause, r.Message = f.Reachable, f.Cause, f.Message
	default:
		r.Cause = probes.CauseTimeout
		r.Message = fmt.Sprintf("udp echo of %d B: no answer to %d datagrams from %s (lost, or the peer holds another key)",
			u.size, u.sent, u.target)
	}
	return r, ""
}

// beacons sends o.Count one-way beacons. Nothing answers a beacon, so the
// run is reachable unless sending fails; the receiver's inbound tracker
// judges whether they arrived.
func (p *Prober) beacons(ctx context.Context, target string, o probes.PeerOptions) probes.Result {
	conn, err := dialUDP(ctx, target)
	if err != nil {
		return failure(err)
	}
	defer conn.Close()
	defer probes.BindConn(ctx, conn)()
	out := getBuf(HeaderBound + o.Size)
	defer putBuf(out)
	for i := range o.Count {
		m := NewMessage(TypeBeacon, p.opts.Self, o.Path, time.Now())
		m.Recipient, m.Seq, m.Pad = o.Peer, p.beaconSeq.next(target, o.Path), o.Size
		b, err := p.sign.Append(out[:0], m)
		if err == nil {
			_, err = conn.Write(b)
		}
		if err != nil {
			r := failure(&opError{"send beacon to " + target, ctxErr(ctx, err)})
			r.Sent = i
			return r
		}
	}
	return probes.Result{
		Reachable: true, Cause: probes.CauseOK, Sent: o.Count,
		Message: fmt.Sprintf("sent %d beacons to %s; the receiver judges their arrival", o.Count, target),
	}
}

func dialUDP(ctx context.Context, target string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", target)
	if err != nil {
		return nil, &opError{"connect " + target, ctxErr(ctx, err)}
	}
	return conn, nil
}

// beaconSeqs numbers beacons per target and path, from 1, so that the
// receiver counts exactly how many of a run's beacons it missed.
type beaconSeqs struct {
	mu   sync.Mutex
	last map[string]uint64
}

func (b *beaconSeqs) next(target, path string) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]uint64{}
	}
	k := target + "|" + path
	b.last[k]++
	return b.last[k]
}

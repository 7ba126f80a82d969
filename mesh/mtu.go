package mesh

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// MTU measurement bounds.
const (
	// MaxMTUProbes bounds the datagrams one MeasureMTU sends.
	MaxMTUProbes = 32
	// MTUResolution is the precision MeasureMTU bisects to, in bytes.
	MTUResolution = 8
	maxUDPPayload = 65507
)

// MTUResult is the outcome of MeasureMTU: Largest is the largest UDP
// payload (bytes of one datagram) that crossed to the responder, Ceiling
// the largest tried, Probes the datagrams sent.
type MTUResult struct {
	Largest int
	Ceiling int
	Probes  int
}

// MeasureMTU finds the largest UDP payload, up to ceiling bytes, that
// crosses from this agent to the responder at addr. Datagrams leave with
// the DF bit set, so nothing on the way fragments them; the responder
// acks each with a small signed datagram, so only the forward direction is
// measured. It probes the smallest size (which must pass), the ceiling,
// then bisects to MTUResolution; each size gets two tries, and the whole
// run at most MaxMTUProbes datagrams, within ctx. A size the kernel
// refuses to send (EMSGSIZE) is too big locally. Safe for concurrent use.
func (p *Prober) MeasureMTU(ctx context.Context, addr string, ceiling int) (MTUResult, error) {
	ctx, cancel := p.bound(ctx)
	defer cancel()
	run, err := p.newMTURun(ctx, addr)
	if err != nil {
		return MTUResult{Ceiling: ceiling}, fmt.Errorf("measuring mtu to %s: %w", addr, err)
	}
	defer run.conn.Close()
	res, err := run.measure(ctx, min(ceiling, maxUDPPayload))
	if err != nil {
		return res, fmt.Errorf("measuring mtu to %s: %w", addr, err)
	}
	return res, nil
}

// mtuRun is the state of one measurement.
type mtuRun struct {
	p        *Prober
	conn     net.Conn
	target   string
	overhead int // bytes of a probe beyond its body
	wait     time.Duration
	buf      []byte // acks in
	out      []byte // probes out
	probes   int
}

func (p *Prober) newMTURun(ctx context.Context, target string) (*mtuRun, error) {
	d := net.Dialer{Control: func(network, _ string, c syscall.RawConn) error { return setDontFragment(network, c) }}
	conn, err := d.DialContext(ctx, "udp", target)
	if err != nil {
		return nil, &opError{"connect " + target, ctxErr(ctx, err)}
	}
	empty, err := p.sign.Append(nil, NewMessage(TypeMTUProbe, p.opts.Self, "", time.Now()))
	if err != nil {
		_ = conn.Close()
		return nil, &opError{"encode", err}
	}
	return &mtuRun{p: p, conn: conn, target: target, overhead: len(empty),
		buf: make([]byte, MaxMessage(64)), out: make([]byte, 0, maxDatagram)}, nil
}

// measure runs the search up to ceiling.
func (m *mtuRun) measure(ctx context.Context, ceiling int) (MTUResult, error) {
	res := MTUResult{Ceiling: ceiling}
	if ceiling < m.overhead {
		return res, fmt.Errorf("ceiling of %d bytes is below the smallest probe (%d)", ceiling, m.overhead)
	}
	m.wait = max(time.Until(deadline(ctx))/4, time.Millisecond)
	ok, err := m.try(ctx, m.overhead)
	if res.Probes = m.probes; err != nil || !ok {
		return res, cmpErr(err, &opError{"answer from " + m.target, context.DeadlineExceeded})
	}
	lo, hi := m.overhead, ceiling+1 // lo crossed, hi did not (or is beyond the ceiling)
	if ok, err = m.try(ctx, ceiling); ok {
		lo = ceiling
	}
	for err == nil && hi-lo > MTUResolution && m.probes+4 <= MaxMTUProbes && ctx.Err() == nil {
		mid := lo + (hi-lo)/2
		if ok, err = m.try(ctx, mid); ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	if err == nil && hi <= ceiling && ctx.Err() == nil {
		err = m.confirm(ctx, hi)
	}
	res.Largest, res.Probes = lo, m.probes
	if err == nil && ctx.Err() != nil && hi-lo > MTUResolution {
		// Cut short: lo is only what crossed so far, not the largest.
		err = &opError{"mtu search to " + m.target, fmt.Errorf("incomplete after %d probes: %w", m.probes, ctx.Err())}
	}
	return res, err
}

// confirm sends once more the smallest size that failed, waiting four
// times as long as the search did (at least 200 ms, at most 500 ms or
// what is left of ctx): a search that ends short must not be a slow
// peer's. The search waits a few of the first ack's round trips, and at
// 200 agents on two cores the acks of the busiest nodes came later than
// that: they measured 80 B on links that carried 64 KiB echoes. A black
// hole loses the datagram again (the wait is what confirming one costs,
// and the e2e suite's black holes are diagnosed from the measurements
// within 8 s: a second's wait made them late); one that crosses makes the
// search an error, not a measurement.
func (m *mtuRun) confirm(ctx context.Context, size int) error {
	m.wait = max(min(time.Until(deadline(ctx)), min(max(4*m.wait, 200*time.Millisecond), 500*time.Millisecond)), time.Millisecond)
	ok, err := m.probe(ctx, size)
	switch {
	case errors.Is(err, syscall.EMSGSIZE):
		return nil
	case err != nil:
		return err
	case ok:
		return &opError{"mtu search to " + m.target, fmt.Errorf("%d B failed in the search but crossed when given %s: the answers came too late to measure", size, m.wait)}
	}
	return nil
}

func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// try sends a datagram of size bytes, up to three times until one is
// acked: a lossy path must not read as a small MTU.
// The first ack sets the wait for the rest to a few round trips.
func (m *mtuRun) try(ctx context.Context, size int) (bool, error) {
	for range 3 {
		start := time.Now()
		ok, err := m.probe(ctx, size)
		if errors.Is(err, syscall.EMSGSIZE) {
			return false, nil // too big for the local interface
		}
		if ok || err != nil {
			if ok && size == m.overhead { // the first probe: time its round trip
				m.wait = min(max(4*time.Since(start)+50*time.Millisecond, 50*time.Millisecond), 500*time.Millisecond)
			}
			return ok, err
		}
	}
	return false, nil
}

// probe sends one datagram of size bytes and waits for its ack.
func (m *mtuRun) probe(ctx context.Context, size int) (bool, error) {
	req := NewMessage(TypeMTUProbe, m.p.opts.Self, "", time.Now())
	req.Seq, req.Pad = randomSeq(), size-m.overhead
	b, err := m.p.sign.Append(m.out[:0], req)
	if err != nil {
		return false, &opError{"encode", err}
	}
	sentAt := time.Now()
	if _, err := m.conn.Write(b); err != nil {
		return false, &opError{"send to " + m.target, ctxErr(ctx, err)}
	}
	m.probes++
	until := sentAt.Add(m.wait)
	if dl := deadline(ctx); dl.Before(until) {
		until = dl
	}
	return m.awaitAck(ctx, req.Seq, size, sentAt, until)
}

// awaitAck reads datagrams until the ack of seq for size arrives or until
// passes; other datagrams (late acks of earlier probes) are skipped.
func (m *mtuRun) awaitAck(ctx context.Context, seq uint64, size int, sentAt, until time.Time) (bool, error) {
	for {
		_ = m.conn.SetReadDeadline(until)
		n, err := m.conn.Read(m.buf)
		if err != nil {
			if err = ctxErr(ctx, err); isTimeout(err) {
				return false, nil
			}
			return false, &opError{"answer from " + m.target, err}
		}
		ack, err := m.p.open(m.buf[:n], 64)
		if err != nil || ack.Type != TypeMTUAck || ack.Seq != seq || len(ack.Body) != 4 {
			continue
		}
		if m.p.fresh(ack, sentAt, time.Now()) == nil && int(binary.BigEndian.Uint32(ack.Body)) == size {
			return true, nil
		}
	}
}

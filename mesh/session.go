package mesh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// session is one TCP connection of a prober to a responder. Its exchanges
// run one at a time; every answer must be addressed to this prober, and a
// refusal must name one of the requests sent on this connection.
type session struct {
	p      *Prober
	conn   net.Conn
	target string
	peer   string            // the expected responder, the recipient of requests; "" = any
	sent   [][NonceSize]byte // nonces of the requests sent, for binding refusals
	writes chan error        // results of background writes
	in     []byte            // the last answer's frame, from getBuf
}

// dial opens a session to target. Errors are *opError.
func (p *Prober) dial(ctx context.Context, target, peer string) (*session, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return nil, &opError{"connect " + target, ctxErr(ctx, err)}
	}
	return &session{p: p, conn: conn, target: target, peer: peer, writes: make(chan error, 4)}, nil
}

// close closes the connection; it may run at any time, from any goroutine.
func (s *session) close() { _ = s.conn.Close() }

// end closes the session and gives back its last frame: what the
// session's answers hold (a Body) is gone after it, unless kept with keep.
func (s *session) end() {
	s.close()
	putBuf(s.in)
	s.in = nil
}

// keep returns b, part of the session's last answer, in memory that
// outlives end.
func (s *session) keep(b []byte) []byte {
	if pooled(s.in) {
		return bytes.Clone(b)
	}
	return b
}

// request is a fresh message of type t from this prober to the session's peer.
func (s *session) request(t Type, path string, body []byte) Message {
	m := NewMessage(t, s.p.opts.Self, path, time.Now())
	m.Recipient, m.Seq, m.Body = s.peer, randomSeq(), body
	return m
}

// exchange sends req and reads one verified answer of at most maxAnswer
// body bytes, within ctx. rtt runs from the write to the answer. The write
// runs on its own goroutine, so that a responder's refusal is read even
// while a large request is stuck in a black hole. Errors are *opError.
func (s *session) exchange(ctx context.Context, req Message, maxAnswer int) (Message, time.Duration, error) {
	f, err := s.p.sign.frame(req)
	if err != nil {
		return Message{}, 0, &opError{"encode", err}
	}
	_ = s.conn.SetDeadline(deadline(ctx))
	stop := context.AfterFunc(ctx, s.close)
	defer stop()
	s.sent = append(s.sent, req.Nonce)
	start := time.Now()
	go func() {
		err := writeMessage(s.conn, f)
		f.release()
		s.writes <- err
	}()
	frame, err := s.read(ctx, maxAnswer)
	rtt := time.Since(start)
	if err != nil {
		return Message{}, rtt, &opError{"answer from " + s.target, s.writeErr(ctx, err)}
	}
	m, err := s.verify(frame, maxAnswer, start, start.Add(rtt))
	if err != nil {
		return m, rtt, &opError{"answer from " + s.target, err}
	}
	return m, rtt, nil
}

// read reads one answer frame. A frame that stops part-way is a
// partialError on the reply leg: the responder did answer.
func (s *session) read(ctx context.Context, maxAnswer int) ([]byte, error) {
	n, err := readLength(s.conn, MaxMessage(maxAnswer))
	if err != nil {
		return nil, receiveErr(ctx, err)
	}
	putBuf(s.in) // the previous answer is done with
	b, got, err := readBody(s.conn, n)
	s.in = b
	if err != nil && isTimeout(ctxErr(ctx, err)) {
		return nil, cutShort(probes.LegReply, got, n, ctxErr(ctx, err))
	}
	if err != nil {
		return nil, receiveErr(ctx, err)
	}
	return b, nil
}

// writeErr prefers a failed write's error (a reset while sending says more
// than the read that followed), unless the read failed on a refusal or a
// timeout.
func (s *session) writeErr(ctx context.Context, readErr error) error {
	select {
	case werr := <-s.writes:
		if werr != nil && !isTimeout(readErr) && refusalOf(readErr) == nil {
			return ctxErr(ctx, werr)
		}
	default:
	}
	return readErr
}

func refusalOf(err error) error {
	for _, r := range []error{ErrAuthRefused, ErrBusy, ErrVersionRefused} {
		if errors.Is(err, r) {
			return r
		}
	}
	return nil
}

// verify authenticates an answer and turns a refusal into its error.
func (s *session) verify(b []byte, maxAnswer int, sentAt, recvAt time.Time) (Message, error) {
	m, err := s.p.authenticate(b, maxAnswer, sentAt, recvAt)
	if err != nil || m.Type != TypeReject {
		return m, err
	}
	code, ref, detail, ok := parseReject(m.Body)
	if !ok || !slices.Contains(s.sent, ref) {
		return m, errMismatch("a refusal of another request")
	}
	switch code {
	case rejectClockSkew:
		off := offset(m, sentAt, recvAt)
		s.p.clocks.observe(m.Sender, off)
		return m, &ClockSkewError{Offset: off, Window: s.p.guard.Window()}
	case rejectNoView:
		return m, errNoView
	case rejectNoSwarm:
		return m, ErrNoSwarm
	case rejectNoDiag:
		return m, ErrNoDiagnosis
	case rejectRecipient:
		return m, errMismatch(fmt.Sprintf("%s refused a request addressed to %q", m.Sender, detail))
	case rejectPartial:
		if got, want, ok := parsePartial(detail); ok {
			return m, &partialError{leg: probes.LegRequest, got: got, want: want}
		}
	}
	return m, errMismatch(fmt.Sprintf("a refusal with unknown code %d", code))
}

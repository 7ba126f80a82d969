package mesh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// opError is a failed step of a probe: op says what was attempted
// ("connect 10.0.1.5:9471"), err why.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// mismatchError is an answer that came but is not the expected one.
type mismatchError struct{ detail string }

func (e *mismatchError) Error() string { return e.detail }

func errMismatch(detail string) error { return &mismatchError{detail} }

// Refusals a responder states before closing a TCP connection.
var (
	// ErrAuthRefused: the responder could not verify our request's tag.
	// Between agents of one mesh that means the two hold different keys.
	ErrAuthRefused = errors.New("peer refused our key: wrong mesh key?")
	// ErrBusy: the responder had no free connection slot for us.
	ErrBusy = errors.New("peer responder is busy: no free connection slot")
	// ErrVersionRefused: the responder speaks another protocol version.
	ErrVersionRefused = errors.New("peer refused our protocol version: agents of different releases?")
)

// errForeignKey is an answer whose tag does not verify with our key: the
// answering agent holds another key (or is not an agent of this mesh).
var errForeignKey = errors.New("answer does not verify with our key: wrong mesh key?")

// ClockSkewError says a peer's clock is too far from ours for the replay
// window: Offset is the peer's clock minus ours, measured from its
// authenticated answer.
type ClockSkewError struct {
	Offset time.Duration
	Window time.Duration
}

// Error gives the measured offset and the window.
func (e *ClockSkewError) Error() string {
	return fmt.Sprintf("peer clock is %+.1fs off ours (replay window ±%s)", e.Offset.Seconds(), e.Window)
}

// partialError is a frame that stopped arriving part-way: on Leg
// (probes.LegRequest or LegReply), got of want bytes arrived. A document
// (a view, a swarm snapshot) is large and its sender may be busy: one that
// stops arriving says less than an echo does.
type partialError struct {
	leg       string
	got, want int
	document  bool
}

// minPathPayload is the TCP payload of a 576-byte IPv4 packet, the least
// MTU a path must carry (RFC 791): what is missing of a frame within it
// could have crossed in one packet, so no MTU black hole stopped it.
const minPathPayload = 536

// cutShort is what a frame that timed out part-way on leg says: a
// partialError (an MTU black hole may have stopped it), unless what is
// missing fits in one packet of any path, when its sender stalled and err
// (the timeout) stands. At K=200 a busy peer's 160-byte echo answer that
// came late read as "partial reply: MTU black hole on the reply path", and
// MTU findings followed.
func cutShort(leg string, got, want int, err error) error {
	if want-got <= minPathPayload {
		return fmt.Errorf("frame stalled after %d of %d bytes (the rest fits any path's MTU: a busy peer): %w", got, want, err)
	}
	return &partialError{leg: leg, got: got, want: want}
}

func (e *partialError) Error() string {
	what := "partial frame at the responder"
	if e.leg == probes.LegReply {
		what = "partial reply"
	}
	if e.document {
		return fmt.Sprintf("%s: got %d of %d bytes before the deadline: a peer too busy to send it, or an MTU black hole on the %s path",
			what, e.got, e.want, e.leg)
	}
	return fmt.Sprintf("%s: got %d of %d bytes: MTU black hole on the %s path", what, e.got, e.want, e.leg)
}

// failure turns a probe error into a result that is not reachable, except
// for the causes that prove something answered.
func failure(err error) probes.Result {
	c, msg := Classify(err)
	r := probes.Result{Cause: c, Message: msg}
	switch c {
	case probes.CauseMismatch, probes.CauseAuth, probes.CauseClockSkew, probes.CauseBusy, probes.CauseMTU:
		r.Reachable = true
	}
	var pe *partialError
	if errors.As(err, &pe) {
		r.Leg = pe.leg
	}
	return r
}

// Classify maps an error of this package's probes, identity queries and
// view fetches to a cause and an "op: reason" message. Mesh-specific errors
// (refusals, clock skew, partial frames, mismatches) are judged here; every
// network error is left to probes.Classify, so the same socket error gets
// the same cause whatever the prober.
func Classify(err error) (probes.Cause, string) {
	op, inner := "", err
	var oe *opError
	if errors.As(err, &oe) {
		op, inner = oe.op, oe.err
	}
	if c, reason, ok := meshCause(inner); ok {
		return c, joinOp(op, reason)
	}
	return probes.Classify(op, inner)
}

func meshCause(err error) (probes.Cause, string, bool) {
	var (
		mm   *mismatchError
		skew *ClockSkewError
		pe   *partialError
	)
	switch {
	case errors.Is(err, ErrAuthRefused), errors.Is(err, errForeignKey):
		return probes.CauseAuth, rootText(err), true
	case errors.Is(err, ErrBusy):
		return probes.CauseBusy, ErrBusy.Error(), true
	case errors.Is(err, ErrVersionRefused):
		return probes.CauseMismatch, ErrVersionRefused.Error(), true
	case errors.As(err, &skew):
		return probes.CauseClockSkew, skew.Error(), true
	case errors.As(err, &pe):
		return probes.CauseMTU, pe.Error(), true
	case errors.As(err, &mm):
		return probes.CauseMismatch, mm.detail, true
	}
	return "", "", false
}

// rootText is the text of the innermost wrapped error.
func rootText(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func joinOp(op, reason string) string {
	if op == "" {
		return reason
	}
	return op + ": " + reason
}

func isTimeout(err error) bool {
	c, _ := probes.Classify("", err)
	return c == probes.CauseTimeout
}

// receiveErr explains a failure to read an answer after the request went
// out: a frame that is not ours is a mismatch; the peer closing without a
// word is a reset.
func receiveErr(ctx context.Context, err error) error {
	err = ctxErr(ctx, err)
	if ReasonOf(err) != "" {
		return errMismatch("not a swarmlink answer: " + err.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("peer closed the connection without answering: %w", syscall.ECONNRESET)
	}
	return err
}

// ctxErr prefers ctx's error once ctx is done, so that an I/O error caused by
// bindConn closing the socket reads as the timeout or cancellation it is.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

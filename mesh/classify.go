package mesh

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

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

// failure turns a probe error into a result that is not reachable, except
// for the causes that prove something answered.
func failure(err error) probes.Result {
	c, msg := classify(err)
	reachable := c == probes.CauseMismatch || errors.Is(err, ErrAuthRefused)
	return probes.Result{Reachable: reachable, Cause: c, Message: msg}
}

// classify maps err to a cause and an "op: reason" message. It mirrors the
// shared probe vocabulary but stays inside mesh so the package stands alone.
func classify(err error) (probes.Cause, string) {
	op := ""
	var oe *opError
	if errors.As(err, &oe) {
		op = oe.op
	}
	c, reason := cause(err)
	if op == "" {
		return c, reason
	}
	return c, op + ": " + reason
}

func cause(err error) (probes.Cause, string) {
	var (
		dnsErr *net.DNSError
		mm     *mismatchError
		errno  syscall.Errno
	)
	switch {
	case errors.Is(err, ErrAuthRefused):
		return probes.CauseError, ErrAuthRefused.Error()
	case errors.As(err, &mm):
		return probes.CauseMismatch, mm.detail
	case errors.As(err, &dnsErr):
		return probes.CauseDNS, dnsErr.Err
	case errors.As(err, &errno):
		return errnoCause(errno), errno.Error()
	case isTimeout(err):
		return probes.CauseTimeout, "timed out"
	case errors.Is(err, context.Canceled):
		return probes.CauseError, "canceled"
	}
	var oe *opError
	if errors.As(err, &oe) {
		return probes.CauseError, oe.err.Error()
	}
	return probes.CauseError, err.Error()
}

func errnoCause(e syscall.Errno) probes.Cause {
	switch e {
	case syscall.ECONNREFUSED:
		return probes.CauseRefused
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED:
		return probes.CauseReset
	case syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.ENETDOWN:
		return probes.CauseUnreachable
	case syscall.ETIMEDOUT:
		return probes.CauseTimeout
	}
	return probes.CauseError
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// receiveErr explains a failure to read an answer after the request went
// out: the peer closing or resetting is a refusal of our request (see
// ErrAuthRefused); a frame that is not ours is a mismatch.
func receiveErr(ctx context.Context, err error) error {
	err = ctxErr(ctx, err)
	if ReasonOf(err) != "" {
		return errMismatch("not a swarmlink answer: " + err.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return ErrAuthRefused
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

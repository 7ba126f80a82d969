package probes

import (
	"context"
	"errors"
	"io"
	"net"
	"time"
)

// defaultWait bounds a probe whose context carries no deadline, so that a
// silent peer cannot hold a probe (and its socket) forever. Run normally
// supplies spec.Timeout, which wins.
const defaultWait = 10 * time.Second

// withDeadline returns ctx unchanged when it has a deadline, else bounded by
// defaultWait.
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, defaultWait)
}

// DeadlineCloser is the part of net.Conn and net.PacketConn BindConn needs.
type DeadlineCloser interface {
	io.Closer
	SetDeadline(t time.Time) error
}

// bindConn ties c to ctx: its deadline is ctx's deadline and it is closed
// when ctx is done, which unblocks any pending read or write without a
// goroutine of our own. The caller still closes c and calls stop when done.
func BindConn(ctx context.Context, c DeadlineCloser) (stop func() bool) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	return context.AfterFunc(ctx, func() { _ = c.Close() })
}

// ctxErr reports an I/O error caused by bindConn closing the socket as the
// timeout or cancellation it really is; other errors keep their detail.
func ctxErr(ctx context.Context, err error) error {
	if errors.Is(err, net.ErrClosed) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

package probes

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
)

// maxTCPRead bounds how much a TCP probe reads while looking for Expect.
const maxTCPRead = 64 << 10

// TCP probes a TCP endpoint: Target is host:port. It connects, then, when
// TCPOptions say so, writes Send and reads until Expect shows up. The target
// is Reachable once the connection is established, whatever happens after:
// an isolation check fails as soon as anything accepts. TCP is stateless and
// safe for concurrent use.
type TCP struct{}

var _ Prober = (*TCP)(nil)

// Probe runs one TCP check.
func (*TCP) Probe(ctx context.Context, spec Spec) Result {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", spec.Target)
	if err != nil {
		return failure("connect "+spec.Target, ctxErr(ctx, err))
	}
	defer conn.Close()

	r := Result{Reachable: true, Cause: CauseOK, Message: "connected to " + spec.Target}
	opts := spec.TCP
	if opts == nil || (opts.Send == "" && opts.Expect == "") {
		return r // connected: nothing to bind the connection's I/O to ctx for
	}
	stop := BindConn(ctx, conn)
	defer stop()
	if opts.Send != "" {
		if _, err := io.WriteString(conn, opts.Send); err != nil {
			return reachableFailure("send to "+spec.Target, ctxErr(ctx, err))
		}
	}
	if opts.Expect == "" {
		return r
	}
	return expectTCP(ctx, conn, spec.Target, opts.Expect)
}

// expectTCP reads from conn until want appears, the peer closes, the buffer
// limit is hit or ctx ends. Data that arrived without want is a mismatch,
// silence is a timeout (or whatever the read error classifies as).
func expectTCP(ctx context.Context, conn net.Conn, target, want string) Result {
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < maxTCPRead {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if strings.Contains(string(got), want) {
			return Result{Reachable: true, Cause: CauseOK, Message: "got expected reply from " + target}
		}
		if err == nil {
			continue
		}
		if len(got) > 0 || errors.Is(err, io.EOF) {
			break
		}
		return reachableFailure("read from "+target, ctxErr(ctx, err))
	}
	return Result{Reachable: true, Cause: CauseMismatch,
		Message: "read from " + target + ": got " + quoteShort(got) + ", want substring " + quoteShort([]byte(want))}
}

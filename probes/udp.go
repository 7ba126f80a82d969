package probes

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"time"
)

// defaultUDPPayload is sent when UDPOptions.Payload is empty.
const defaultUDPPayload = "swarmlink-udp-probe"

// UDP probes a UDP service at Target (host:port) by sending Count datagrams
// one after the other and waiting for each reply: by default the payload
// echoed back, or any datagram containing UDPOptions.Expect.
//
// The socket is connected, so an ICMP port unreachable surfaces as
// ECONNREFUSED (cause refused). Outcomes:
//   - at least one expected reply: Reachable, cause ok even with partial
//     loss. UDP is lossy by design and UDPOptions has no loss threshold (ICMP
//     has one), so loss is reported in LossPercent and the message for the
//     controller or metrics to judge, not turned into a failure here;
//   - only unexpected replies: Reachable (something answers), cause mismatch;
//   - no reply at all: not Reachable, cause timeout, LossPercent 100.
//
// UDP is stateless and safe for concurrent use.
type UDP struct{}

var _ Prober = (*UDP)(nil)

// echoStats counts one exchange of datagrams or echo requests.
type echoStats struct {
	sent, received int
	unexpected     int           // replies that did not match
	rttSum         time.Duration // over received
}

// Probe runs one UDP check.
func (*UDP) Probe(ctx context.Context, spec Spec) Result {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	opts := cmp.Or(spec.UDP, &UDPOptions{})
	payload := []byte(cmp.Or(opts.Payload, defaultUDPPayload))
	want := []byte(cmp.Or(opts.Expect, string(payload)))
	op := "udp " + spec.Target

	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", spec.Target)
	if err != nil {
		return failure(op, ctxErr(ctx, err))
	}
	defer conn.Close()
	stop := BindConn(ctx, conn)
	defer stop()

	st, err := udpExchange(ctx, conn, payload, want, max(opts.Count, 1))
	return echoResult(op, st, err, 100)
}

// udpExchange sends count datagrams, each after the previous one's reply or
// its share of the time left, so that one lost datagram cannot eat the time
// of the others. It stops at the first error that is not a lost datagram.
func udpExchange(ctx context.Context, conn net.Conn, payload, want []byte, count int) (echoStats, error) {
	var st echoStats
	buf := make([]byte, 64<<10)
	for i := range count {
		if ctx.Err() != nil {
			break
		}
		dl, _ := ctx.Deadline()
		sent := time.Now()
		until := sent.Add(time.Until(dl) / time.Duration(count-i))
		if _, err := conn.Write(payload); err != nil {
			return st, ctxErr(ctx, err)
		}
		st.sent++
		matched, unexpected, err := awaitUDPReply(ctx, conn, buf, want, until)
		st.unexpected += unexpected
		if matched {
			st.received++
			st.rttSum += time.Since(sent)
		}
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// awaitUDPReply reads until a datagram containing want arrives or until
// passes; the latter is a lost datagram, not an error. It also counts the
// datagrams that did not match.
func awaitUDPReply(ctx context.Context, conn net.Conn, buf, want []byte, until time.Time) (matched bool, unexpected int, err error) {
	_ = conn.SetReadDeadline(until)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if err = ctxErr(ctx, err); isTimeout(err) {
				return false, unexpected, nil
			}
			return false, unexpected, err
		}
		if bytes.Contains(buf[:n], want) {
			return true, unexpected, nil
		}
		unexpected++
	}
}

// echoResult turns the stats of a UDP or ICMP exchange into a Result.
// maxLoss is the loss percentage still accepted as ok when some replies
// arrived; above it the result is a (Reachable) mismatch.
func echoResult(op string, st echoStats, err error, maxLoss float64) Result {
	r := Result{Sent: st.sent, Received: st.received}
	if st.sent > 0 {
		r.LossPercent = 100 * float64(st.sent-st.received) / float64(st.sent)
	}
	if st.received > 0 {
		r.RTT = st.rttSum / time.Duration(st.received)
	}
	summary := fmt.Sprintf("%d/%d replies, %.3g%% loss", st.received, st.sent, r.LossPercent)
	switch {
	case st.received > 0 && r.LossPercent > maxLoss:
		r.Reachable, r.Cause = true, CauseMismatch
		r.Message = fmt.Sprintf("%s: %s, more than %.3g%%", op, summary, maxLoss)
	case st.received > 0:
		r.Reachable, r.Cause = true, CauseOK
		r.Message = fmt.Sprintf("%s: %s, avg rtt %v", op, summary, r.RTT.Round(time.Microsecond))
	case err != nil:
		r.Cause, r.Message = Classify(op, err)
	case st.unexpected > 0:
		r.Reachable, r.Cause = true, CauseMismatch
		r.Message = fmt.Sprintf("%s: %s, %d unexpected replies", op, summary, st.unexpected)
	default:
		r.Cause, r.Message = CauseTimeout, fmt.Sprintf("%s: no reply, %s", op, summary)
	}
	if err != nil && st.received > 0 {
		_, why := Classify("", err)
		r.Message += "; stopped early: " + why
	}
	return r
}

package mesh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/probes"
)

// maxDatagram is the largest UDP datagram a socket can deliver.
const maxDatagram = 1 << 16

// serveTCP accepts connections until ln is closed, admitting each through
// the connection table (see connTable): a refused connection is told it
// is busy and closed at once, so a flood cannot pin goroutines or memory.
// It waits for its connections before returning.
func (r *Responder) serveTCP(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return fmt.Errorf("responder: accepting: %w", err)
		}
		s, ok := r.admitConn(c)
		if !ok {
			continue
		}
		wg.Go(func() {
			defer r.conns.release(s)
			defer r.recoverPanic()
			r.serveConn(ctx, &peerConn{c: c, slot: s})
		})
	}
}

// admitConn takes c into the connection table, closing it or the connection
// evicted for it as the table says.
func (r *Responder) admitConn(c net.Conn) (*slot, bool) {
	s, victim, reason := r.conns.admit(c)
	if victim != nil {
		r.rejected.WithLabelValues(ConnEvicted).Inc()
		writeCode(victim.c, codeBusy)
		_ = victim.c.Close()
	}
	if s == nil {
		r.rejected.WithLabelValues(reason).Inc()
		if reason == ConnBusy {
			r.dropped.WithLabelValues("tcp", string(ReasonBusy)).Inc()
		}
		writeCode(c, codeBusy)
		_ = c.Close()
		return nil, false
	}
	return s, true
}

// peerConn is the state of one served TCP connection.
type peerConn struct {
	c      net.Conn
	slot   *slot
	authed bool            // a frame on it has authenticated
	sender string          // the sender of its frames, once authed
	path   string          // the path of its last frame
	last   [NonceSize]byte // nonce of its last authenticated request
}

// serveConn answers frames on c until the peer closes, a deadline passes,
// ctx ends or a frame is refused: the first refused frame closes the
// connection, after the refusal is stated (see refuse).
func (r *Responder) serveConn(ctx context.Context, pc *peerConn) {
	defer pc.c.Close()
	stop := context.AfterFunc(ctx, func() { _ = pc.c.Close() })
	defer stop()
	_ = pc.c.SetDeadline(time.Now().Add(r.opts.FirstFrame))
	for {
		b, err := r.readFrame(pc)
		if err != nil {
			r.refuse(pc, err, nil)
			return
		}
		m, reply, err := r.handle(b, "tcp", pc.c.RemoteAddr())
		if err != nil {
			r.refuse(pc, err, reply)
			return
		}
		if !pc.authed {
			r.conns.authenticated(pc.slot)
		}
		if reply != nil && r.write(pc, reply) != nil {
			return
		}
		pc.authed, pc.sender, pc.path, pc.last = true, m.Sender, m.Path, m.Nonce
	}
}

// readFrame reads pc's next frame. Until a frame has authenticated, a
// frame may announce at most PreAuthPayload bytes and must arrive within
// the first-frame deadline; after, up to MaxPayload, within ConnTimeout,
// and a frame that stops arriving part-way is a partialError.
func (r *Responder) readFrame(pc *peerConn) ([]byte, error) {
	if !pc.authed {
		return ReadFrame(pc.c, min(r.maxMsg, MaxMessage(PreAuthPayload)))
	}
	_ = pc.c.SetReadDeadline(time.Now().Add(r.opts.ConnTimeout))
	n, err := readLength(pc.c, r.maxMsg)
	if err != nil {
		return nil, err
	}
	b, got, err := readBody(stallReader{pc.c, r.opts.StallTimeout}, n)
	if err != nil && isTimeout(err) {
		return nil, cutShort(probes.LegRequest, got, n, err)
	}
	return b, err
}

// refuse counts why pc's input was refused and tells the sender, where it
// can: the signed refusal handle made (clock skew, another recipient), a
// signed partial-frame refusal to an authenticated sender, a refusal code
// for a tag that does not verify or another version. Other input
// (malformed, oversized, replayed) is closed on without a word.
func (r *Responder) refuse(pc *peerConn, err error, signed []byte) {
	r.countHello(pc, err)
	var pe *partialError
	if errors.As(err, &pe) {
		r.dropped.WithLabelValues("tcp", string(ReasonPartial)).Inc()
		signed = r.reject(pc.sender, pc.last, pc.path, rejectPartial, partialDetail(pe.got, pe.want))
	}
	r.count("tcp", err)
	switch {
	case signed != nil:
		_ = r.write(pc, signed)
	case ReasonOf(err) == ReasonBadMAC:
		writeCode(pc.c, codeAuth)
	case ReasonOf(err) == ReasonVersion:
		writeCode(pc.c, codeVersion)
	}
}

// countHello counts a connection that ends before it authenticated.
func (r *Responder) countHello(pc *peerConn, err error) {
	switch {
	case pc.authed || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF):
	case isTimeout(err):
		r.rejected.WithLabelValues(ConnHelloTimeout).Inc()
	default:
		r.rejected.WithLabelValues(ConnHelloInvalid).Inc()
	}
}

func (r *Responder) write(pc *peerConn, b []byte) error {
	_ = pc.c.SetWriteDeadline(time.Now().Add(r.opts.ConnTimeout))
	err := WriteFrame(pc.c, b)
	if err != nil {
		r.log.Debug("writing peer answer", zap.Stringer("remote", pc.c.RemoteAddr()), zap.Error(err))
	}
	return err
}

// serveUDP answers datagrams until conn is closed. Datagrams are handled in
// turn on this goroutine: each is small work, and a single reader keeps the
// memory use at one buffer.
func (r *Responder) serveUDP(ctx context.Context, conn *net.UDPConn) error {
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("responder: reading udp: %w", err)
		}
		_, reply, err := r.handle(buf[:n], "udp", net.UDPAddrFromAddrPort(from))
		if err != nil {
			r.count("udp", err)
			continue
		}
		if reply == nil {
			continue
		}
		if _, err := conn.WriteToUDPAddrPort(reply, from); err != nil {
			r.log.Debug("writing peer answer", zap.Stringer("remote", from), zap.Error(err))
		}
	}
}

// recoverPanic keeps the responder alive when a connection's goroutine
// panics, and counts it.
func (r *Responder) recoverPanic() {
	if p := recover(); p != nil {
		r.panics.Inc()
		r.log.Error("panic serving peer connection", zap.Any("panic", p), zap.Stack("stack"))
	}
}

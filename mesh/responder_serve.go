package mesh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
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
		if !r.serveFrame(pc) {
			return
		}
	}
}

// serveFrame reads, answers and gives back one frame of pc; false when the
// connection is done.
func (r *Responder) serveFrame(pc *peerConn) bool {
	b, err := r.readFrame(pc)
	if err != nil {
		r.refuse(pc, err, framed{})
		return false
	}
	defer putBuf(b)
	m, out, err := r.handle(b, "tcp", addrPort(pc.c.RemoteAddr()))
	if err != nil {
		r.refuse(pc, err, out)
		return false
	}
	if !pc.authed {
		r.conns.authenticated(pc.slot)
	}
	if !out.none() {
		err = r.write(pc, out)
		out.release()
		if err != nil {
			return false
		}
	}
	pc.authed, pc.sender, pc.path, pc.last = true, m.Sender, m.Path, m.Nonce
	return true
}

// readFrame reads pc's next frame. Until a frame has authenticated, a
// frame may announce at most PreAuthPayload bytes and must arrive within
// the first-frame deadline; after, up to MaxPayload, within ConnTimeout,
// and a frame that stops arriving part-way is a partialError.
func (r *Responder) readFrame(pc *peerConn) ([]byte, error) {
	if !pc.authed {
		n, err := readLength(pc.c, min(r.maxMsg, MaxMessage(PreAuthPayload)))
		if err != nil {
			return nil, err
		}
		b, _, err := readBody(pc.c, n)
		return b, err
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
func (r *Responder) refuse(pc *peerConn, err error, signed framed) {
	r.countHello(pc, err)
	if pe, ok := errors.AsType[*partialError](err); ok {
		r.dropped.WithLabelValues("tcp", string(ReasonPartial)).Inc()
		signed.release() // none comes with a partial frame; the refusal says it
		signed = r.reject(pc.sender, pc.last, pc.path, rejectPartial, partialDetail(pe.got, pe.want))
	}
	defer signed.release()
	r.count("tcp", err)
	switch {
	case !signed.none():
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

func (r *Responder) write(pc *peerConn, out framed) error {
	_ = pc.c.SetWriteDeadline(time.Now().Add(r.opts.ConnTimeout))
	err := writeMessage(pc.c, out)
	if err != nil {
		r.log.Debug("writing peer answer", zap.Stringer("remote", pc.c.RemoteAddr()), zap.Error(err))
	}
	return err
}

// serveUDP answers datagrams until conn is closed. Datagrams are handled in
// turn on this goroutine: each is small work, and a single reader keeps the
// memory use at two buffers, one for datagrams in and one for answers.
func (r *Responder) serveUDP(ctx context.Context, conn *net.UDPConn) error {
	buf, answer := make([]byte, maxDatagram), make([]byte, 0, maxDatagram)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("responder: reading udp: %w", err)
		}
		_, out, err := r.handle(buf[:n], "udp", from)
		if err != nil {
			out.release()
			r.count("udp", err)
			continue
		}
		if out.none() {
			continue
		}
		answer = out.datagram(answer[:0])
		out.release()
		if _, err := conn.WriteToUDPAddrPort(answer, from); err != nil {
			r.log.Debug("writing peer answer", zap.Stringer("remote", from), zap.Error(err))
		}
	}
}

// addrPort is a's address and port; zero when a is not a TCP or UDP address.
func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// recoverPanic keeps the responder alive when a connection's goroutine
// panics, and counts it.
func (r *Responder) recoverPanic() {
	if p := recover(); p != nil {
		r.panics.Inc()
		r.log.Error("panic serving peer connection", zap.Any("panic", p), zap.Stack("stack"))
	}
}

package mesh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"
)

// maxDatagram is the largest UDP datagram a socket can deliver.
const maxDatagram = 1 << 16

// serveTCP accepts connections until ln is closed. A connection beyond
// MaxConns is closed at once and counted as busy, so a flood cannot pin
// goroutines or memory. It waits for its connections before returning.
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
		select {
		case r.slots <- struct{}{}:
		default:
			r.dropped.WithLabelValues("tcp", string(ReasonBusy)).Inc()
			_ = c.Close()
			continue
		}
		wg.Go(func() {
			defer func() { <-r.slots }()
			defer r.recoverPanic()
			r.serveConn(ctx, c)
		})
	}
}

// serveConn answers frames on c until the peer closes, a deadline passes,
// ctx ends or a frame is bad: the first bad frame closes the connection.
func (r *Responder) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	for wait := r.opts.FirstFrame; ; wait = r.opts.ConnTimeout {
		_ = c.SetDeadline(time.Now().Add(wait))
		b, err := ReadFrame(c, r.maxMsg)
		if err != nil {
			r.count("tcp", err)
			return
		}
		reply, err := r.handle(b, "tcp", c.RemoteAddr())
		if err != nil {
			r.count("tcp", err)
			return
		}
		if reply == nil {
			continue
		}
		if err := WriteFrame(c, reply); err != nil {
			r.log.Debug("writing peer answer", zap.Stringer("remote", c.RemoteAddr()), zap.Error(err))
			return
		}
	}
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
		reply, err := r.handle(buf[:n], "udp", net.UDPAddrFromAddrPort(from))
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

package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/mesh"
)

// targets are the servers under load, all on cfg.host.
type targets struct {
	responder string // mesh responder, TCP and UDP on one port
	tcpEcho   string // baseline: plain framed TCP echo
	udpEcho   string // baseline: plain UDP echo
	key       []byte
	reg       *prometheus.Registry // the responder's metrics
}

// startTargets starts the responder and the baseline servers; they serve
// until ctx is done, and wait blocks until all of them have stopped.
func startTargets(ctx context.Context, host string) (t targets, wait func(), err error) {
	t.key = make([]byte, 32)
	_, _ = rand.Read(t.key)
	t.reg = prometheus.NewRegistry()
	r, err := mesh.NewResponder(mesh.ResponderOptions{Addr: net.JoinHostPort(host, "0"), Key: t.key,
		Identity: mesh.Identity{Name: "load-responder"}}, zap.NewNop(), t.reg)
	if err != nil {
		return t, nil, err
	}
	if err := r.Listen(ctx); err != nil {
		return t, nil, err
	}
	t.responder = r.Addr()
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Start(ctx) })
	if t.tcpEcho, err = serveTCPEcho(ctx, &wg, host); err != nil {
		return t, wg.Wait, err
	}
	if t.udpEcho, err = serveUDPEcho(ctx, &wg, host); err != nil {
		return t, wg.Wait, err
	}
	return t, wg.Wait, nil
}

// serveTCPEcho answers every length-prefixed frame with the same frame, one
// goroutine per connection: the responder's framing without its protocol.
func serveTCPEcho(ctx context.Context, wg *sync.WaitGroup, host string) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("baseline tcp echo: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	wg.Go(func() {
		defer stop()
		var conns sync.WaitGroup
		defer conns.Wait()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { echoFrames(ctx, c) })
		}
	})
	return ln.Addr().String(), nil
}

func echoFrames(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	buf := make([]byte, 4, 512)
	for {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(c, buf[:4]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(buf[:4])
		if n > 1<<20 {
			return
		}
		buf = slices.Grow(buf[:4], int(n))
		if _, err := io.ReadFull(c, buf[4:4+n]); err != nil {
			return
		}
		if _, err := c.Write(buf[:4+n]); err != nil {
			return
		}
	}
}

// serveUDPEcho sends every datagram back from one reader goroutine, like
// the responder's UDP side, with the same socket buffer.
func serveUDPEcho(ctx context.Context, wg *sync.WaitGroup, host string) (string, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("baseline udp echo: %w", err)
	}
	conn := pc.(*net.UDPConn)
	_ = conn.SetReadBuffer(4 << 20)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	wg.Go(func() {
		defer stop()
		buf := make([]byte, 64<<10)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteToUDPAddrPort(buf[:n], from)
		}
	})
	return conn.LocalAddr().String(), nil
}

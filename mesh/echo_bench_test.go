package mesh_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// The echo benchmarks put the real Responder and Prober next to a plain echo
// server and client doing the same I/O over loopback, so that the figure to
// read is the ratio responder/baseline of the same run (this machine is
// shared and noisy; absolute numbers are not comparable between runs).
//
// "dial" benchmarks open a connection (or a UDP socket) per echo, as the
// Prober does in production; "conn" benchmarks reuse one, which isolates the
// per-message protocol cost (encode, HMAC, replay guard) from connection
// setup.

var benchKey = []byte("bench-key-0123456789abcdef-0123456")

const benchTimeout = 2 * time.Second

// benchTCPSizes are the TCP payloads: the small echo and the 64 KiB MTU echo.
var benchTCPSizes = []int{64, 64 << 10}

// benchUDPSizes are the UDP payloads; a whole message must fit one datagram.
var benchUDPSizes = []int{64, mesh.UDPMaxPayload}

// BenchmarkTCPEchoDial is one TCP echo on a new connection per operation:
// Prober.Probe against a Responder, and a plain framed echo as the baseline.
// "responder-precheck" is the Prober's default for large sizes: a 64 B echo
// first, then the large one (two connections).
func BenchmarkTCPEchoDial(b *testing.B) {
	resp := benchResponder(b)
	base := benchTCPEchoServer(b)
	for _, size := range benchTCPSizes {
		b.Run(sizeName(size)+"/baseline", func(b *testing.B) {
			payload := benchPayload(size)
			benchLoop(b, size, func() error { return plainTCPDialEcho(base, payload) })
		})
		b.Run(sizeName(size)+"/responder", func(b *testing.B) {
			benchProbe(b, resp, benchProber(false), probes.PeerOptions{Transport: "tcp", Size: size})
		})
		if size > mesh.DefaultLargeThreshold {
			b.Run(sizeName(size)+"/responder-precheck", func(b *testing.B) {
				benchProbe(b, resp, benchProber(true), probes.PeerOptions{Transport: "tcp", Size: size})
			})
		}
	}
}

// BenchmarkTCPEchoConn is one framed echo per operation on a connection that
// stays open: encode+HMAC, frame, answer, verify against a plain frame echo.
func BenchmarkTCPEchoConn(b *testing.B) {
	resp := benchResponder(b)
	base := benchTCPEchoServer(b)
	for _, size := range benchTCPSizes {
		b.Run(sizeName(size)+"/baseline", func(b *testing.B) {
			conn := benchDial(b, "tcp", base)
			payload := benchPayload(size)
			buf := make([]byte, size)
			benchLoop(b, size, func() error { return plainTCPEcho(conn, payload, buf) })
		})
		b.Run(sizeName(size)+"/responder", func(b *testing.B) {
			conn := benchDial(b, "tcp", resp.addr)
			c := newBenchClient(size)
			benchLoop(b, size, func() error { return c.tcpEcho(conn) })
		})
	}
	resp.checkNoDrops(b)
}

// BenchmarkUDPEchoDial is one UDP echo (Count 1) on a new socket per
// operation: Prober.Probe against a Responder, and a plain datagram echo.
func BenchmarkUDPEchoDial(b *testing.B) {
	resp := benchResponder(b)
	base := benchUDPEchoServer(b)
	for _, size := range benchUDPSizes {
		b.Run(sizeName(size)+"/baseline", func(b *testing.B) {
			payload := benchPayload(size)
			buf := make([]byte, 64<<10)
			benchLoop(b, size, func() error {
				conn, err := net.DialTimeout("udp", base, benchTimeout)
				if err != nil {
					return err
				}
				defer conn.Close()
				return plainUDPEcho(conn, payload, buf)
			})
		})
		b.Run(sizeName(size)+"/responder", func(b *testing.B) {
			benchProbe(b, resp, benchProber(false), probes.PeerOptions{Transport: "udp", Size: size, Count: 1})
		})
	}
}

// BenchmarkUDPEchoConn is one datagram echo per operation on one connected
// socket: the authenticated message against the bare payload.
func BenchmarkUDPEchoConn(b *testing.B) {
	resp := benchResponder(b)
	base := benchUDPEchoServer(b)
	for _, size := range benchUDPSizes {
		b.Run(sizeName(size)+"/baseline", func(b *testing.B) {
			conn := benchDial(b, "udp", base)
			payload := benchPayload(size)
			buf := make([]byte, 64<<10)
			benchLoop(b, size, func() error { return plainUDPEcho(conn, payload, buf) })
		})
		b.Run(sizeName(size)+"/responder", func(b *testing.B) {
			conn := benchDial(b, "udp", resp.addr)
			c := newBenchClient(size)
			benchLoop(b, size, func() error { return c.udpEcho(conn) })
		})
	}
	resp.checkNoDrops(b)
}

// benchLoop runs op b.N times (b.Loop), reporting allocations and the
// payload size as bytes per operation; any error fails the benchmark.
func benchLoop(b *testing.B, size int, op func() error) {
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchProbe runs spec through probes.Run, as a controller job does.
func benchProbe(b *testing.B, resp *benchResp, p *mesh.Prober, o probes.PeerOptions) {
	spec := probes.Spec{Name: "bench", Kind: probes.KindPeer, Target: resp.addr, Timeout: benchTimeout,
		Expect: probes.ExpectReachable, Peer: &o}
	ctx := context.Background()
	benchLoop(b, o.Size, func() error {
		if r := probes.Run(ctx, p, spec); !r.Passed {
			return fmt.Errorf("probe failed: %s: %s", r.Cause, r.Message)
		}
		return nil
	})
	resp.checkNoDrops(b)
}

// benchProber returns a Prober; without precheck the small echo before a
// large one is turned off, so one probe is one echo like the baseline's.
func benchProber(precheck bool) *mesh.Prober {
	o := mesh.ClientOptions{Key: benchKey, Self: "bench-prober"}
	if !precheck {
		o.LargeThreshold = 1 << 30
	}
	return mesh.NewProber(o)
}

// benchResp is a Responder serving on loopback until the benchmark ends.
type benchResp struct {
	addr string
	reg  *prometheus.Registry
}

func benchResponder(b *testing.B) *benchResp {
	b.Helper()
	reg := prometheus.NewRegistry()
	r, err := mesh.NewResponder(mesh.ResponderOptions{Addr: "127.0.0.1:0", Key: benchKey,
		Identity: mesh.Identity{Name: "bench-responder"}}, zap.NewNop(), reg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Listen(ctx); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return &benchResp{addr: r.Addr(), reg: reg}
}

// checkNoDrops fails b when the responder dropped anything: a benchmark of
// legitimate traffic that is partly rejected measures the wrong thing.
func (r *benchResp) checkNoDrops(b *testing.B) {
	b.Helper()
	families, err := r.reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "swarmlink_peer_dropped_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if v := m.GetCounter().GetValue(); v > 0 {
				b.Errorf("responder dropped %v inputs (%v)", v, m.GetLabel())
			}
		}
	}
}

// benchClient sends authenticated echo requests on a connection it is given,
// the way the Prober does minus the dial.
type benchClient struct {
	body  []byte
	seq   uint64
	guard *mesh.Guard
	buf   []byte
}

func newBenchClient(size int) *benchClient {
	return &benchClient{body: benchPayload(size), guard: mesh.NewGuard(0, 0), buf: make([]byte, 64<<10)}
}

func (c *benchClient) request() ([]byte, error) {
	c.seq++
	m := mesh.NewMessage(mesh.TypeEchoRequest, "bench-prober", "overlay", time.Now())
	m.Seq, m.Body = c.seq, c.body
	return mesh.Encode(benchKey, m)
}

func (c *benchClient) check(b []byte) error {
	m, err := mesh.Decode(benchKey, b, mesh.DefaultMaxPayload)
	if err == nil {
		err = c.guard.Check(m, time.Now())
	}
	switch {
	case err != nil:
		return err
	case m.Type != mesh.TypeEchoResponse || m.Seq != c.seq || !bytes.Equal(m.Body, c.body):
		return errors.New("answer does not match the request")
	}
	return nil
}

func (c *benchClient) tcpEcho(conn net.Conn) error {
	_ = conn.SetDeadline(time.Now().Add(benchTimeout))
	req, err := c.request()
	if err != nil {
		return err
	}
	if err := mesh.WriteFrame(conn, req); err != nil {
		return err
	}
	frame, err := mesh.ReadFrame(conn, mesh.MaxMessage(mesh.DefaultMaxPayload))
	if err != nil {
		return err
	}
	return c.check(frame)
}

func (c *benchClient) udpEcho(conn net.Conn) error {
	_ = conn.SetDeadline(time.Now().Add(benchTimeout))
	req, err := c.request()
	if err != nil {
		return err
	}
	if _, err := conn.Write(req); err != nil {
		return err
	}
	n, err := conn.Read(c.buf)
	if err != nil {
		return err
	}
	return c.check(c.buf[:n])
}

// benchTCPEchoServer is the baseline: a plain TCP server that answers each
// length-prefixed frame with the same frame, one goroutine per connection.
func benchTCPEchoServer(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	b.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { plainTCPServe(c) })
		}
	})
	return ln.Addr().String()
}

func plainTCPServe(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4, 512) // grown to the largest frame seen
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

// plainTCPDialEcho is the baseline client of a probe: dial, one frame echo,
// compare, close.
func plainTCPDialEcho(addr string, payload []byte) error {
	conn, err := net.DialTimeout("tcp", addr, benchTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	return plainTCPEcho(conn, payload, make([]byte, len(payload)))
}

func plainTCPEcho(conn net.Conn, payload, buf []byte) error {
	_ = conn.SetDeadline(time.Now().Add(benchTimeout))
	frame := make([]byte, 4, 4+len(payload))
	binary.BigEndian.PutUint32(frame, uint32(len(payload)))
	if _, err := conn.Write(append(frame, payload...)); err != nil {
		return err
	}
	if _, err := io.ReadFull(conn, frame[:4]); err != nil {
		return err
	}
	if _, err := io.ReadFull(conn, buf[:len(payload)]); err != nil {
		return err
	}
	if !bytes.Equal(buf[:len(payload)], payload) {
		return errors.New("echo differs")
	}
	return nil
}

// benchUDPEchoServer is the baseline: one goroutine that sends every
// datagram back, like the responder's single UDP reader.
func benchUDPEchoServer(b *testing.B) string {
	b.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	conn := pc.(*net.UDPConn)
	_ = conn.SetReadBuffer(4 << 20)
	done := make(chan struct{})
	b.Cleanup(func() { _ = conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	return conn.LocalAddr().String()
}

func plainUDPEcho(conn net.Conn, payload, buf []byte) error {
	_ = conn.SetDeadline(time.Now().Add(benchTimeout))
	if _, err := conn.Write(payload); err != nil {
		return err
	}
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	if !bytes.Equal(buf[:n], payload) {
		return errors.New("echo differs")
	}
	return nil
}

func benchDial(b *testing.B, network, addr string) net.Conn {
	b.Helper()
	conn, err := net.DialTimeout(network, addr, benchTimeout)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn
}

// benchPayload is size bytes of printable filler.
func benchPayload(size int) []byte {
	p := make([]byte, size)
	for i := range p {
		p[i] = byte('a' + i%26)
	}
	return p
}

func sizeName(size int) string {
	if size%1024 == 0 {
		return fmt.Sprintf("%dKiB", size/1024)
	}
	return fmt.Sprintf("%dB", size)
}

package mesh_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
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
//
// The baselines reuse their buffers (the server's from a pool), as the
// responder and the prober do: the ratio is the protocol's cost, not a
// difference in allocation. A large probe is a small echo, then the large
// one, on the same connection or socket (the small one is what tells an
// MTU black hole from a dead peer): its baseline does the same two echoes.

var benchKey = []byte("bench-key-0123456789abcdef-0123456")

const benchTimeout = 2 * time.Second

// benchTCPSizes are the TCP payloads: the small echo and the 64 KiB MTU echo.
var benchTCPSizes = []int{64, 64 << 10}

// benchUDPSizes are the UDP payloads; a whole message must fit one datagram.
var benchUDPSizes = []int{64, mesh.UDPMaxPayload}

// BenchmarkTCPEchoDial is one TCP probe on a new connection per operation:
// Prober.Probe against a Responder, and a plain framed echo as the baseline.
func BenchmarkTCPEchoDial(b *testing.B) {
	resp := benchResponder(b)
	base := benchTCPEchoServer(b)
	for _, size := range benchTCPSizes {
		b.Run(sizeName(size)+"/baseline", func(b *testing.B) {
			c := newPlainClient(size)
			benchLoop(b, size, func() error { return c.tcpDialEcho(base) })
		})
		b.Run(sizeName(size)+"/responder", func(b *testing.B) {
			benchProbe(b, resp, benchProber(), probes.PeerOptions{Transport: "tcp", Size: size})
		})
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
			c := newPlainClient(size)
			benchLoop(b, size, func() error { return c.tcpEcho(conn, c.payload) })
		})
		b.Run(sizeName(size)+"/responder", func(b *testing.B) {
			conn := benchDial(b, "tcp", resp.addr)
			if err := newBenchClient(64).tcpEcho(conn); err != nil { // a connection is authenticated by a small frame
				b.Fatal(err)
			}
			c := newBenchClient(size)
			benchLoop(b, size, func() error { return c.tcpEcho(conn) })
		})
	}
	resp.checkNoDrops(b)
}

// BenchmarkUDPEchoDial is one UDP probe (Count 1) on a new socket per
// operation: Prober.Probe against a Responder, and a plain datagram echo.
func BenchmarkUDPEchoDial(b *testing.B) {
	resp := benchResponder(b)
	base := benchUDPEchoServer(b)
	for _, size := range benchUDPSizes {
		b.Run(sizeName(size)+"/baseline", func(b *testing.B) {
			c := newPlainClient(size)
			benchLoop(b, size, func() error { return c.udpDialEcho(base) })
		})
		b.Run(sizeName(size)+"/responder", func(b *testing.B) {
			benchProbe(b, resp, benchProber(), probes.PeerOptions{Transport: "udp", Size: size, Count: 1})
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
			c := newPlainClient(size)
			benchLoop(b, size, func() error { return c.udpEcho(conn, c.payload) })
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

// benchProber returns a Prober with the defaults: a probe larger than
// mesh.DefaultLargeThreshold is a 64 B echo, then the large one.
func benchProber() *mesh.Prober {
	return mesh.NewProber(mesh.ClientOptions{Key: benchKey, Self: "bench-prober"})
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
// the way the Prober does minus the dial: the size as padding, one codec.
type benchClient struct {
	size  int
	seq   uint64
	codec *mesh.Codec
	guard *mesh.Guard
	out   []byte
	buf   []byte
}

func newBenchClient(size int) *benchClient {
	return &benchClient{size: size, codec: mesh.NewCodec(benchKey), guard: mesh.NewGuard(0, 0),
		out: make([]byte, 0, 70<<10), buf: make([]byte, 70<<10)}
}

// request appends a request to c.out after room bytes.
func (c *benchClient) request(room int) ([]byte, error) {
	c.seq++
	m := mesh.NewMessage(mesh.TypeEchoRequest, "bench-prober", "overlay", time.Now())
	m.Seq, m.Pad = c.seq, c.size
	return c.codec.Append(c.out[:room], m)
}

func (c *benchClient) check(b []byte) error {
	m, err := c.codec.Decode(b, mesh.DefaultMaxPayload)
	if err == nil {
		err = c.guard.Check(m, time.Now())
	}
	switch {
	case err != nil:
		return err
	case m.Type != mesh.TypeEchoResponse || m.Seq != c.seq || m.Pad != c.size || len(m.Body) != 0:
		return errors.New("answer does not match the request")
	}
	return nil
}

func (c *benchClient) tcpEcho(conn net.Conn) error {
	_ = conn.SetDeadline(time.Now().Add(benchTimeout))
	frame, err := c.request(4) // as a frame: the length, then the message
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	if _, err := conn.Write(frame); err != nil {
		return err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n > len(c.buf) {
		return fmt.Errorf("frame of %d bytes", n)
	}
	if _, err := io.ReadFull(conn, c.buf[:n]); err != nil {
		return err
	}
	return c.check(c.buf[:n])
}

func (c *benchClient) udpEcho(conn net.Conn) error {
	_ = conn.SetDeadline(time.Now().Add(benchTimeout))
	req, err := c.request(0)
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

// plainBufs are the baseline server's buffers, as the responder's are pooled.
var plainBufs = sync.Pool{New: func() any { return new([70 << 10]byte) }}

func plainTCPServe(c net.Conn) {
	defer c.Close()
	buf := plainBufs.Get().(*[70 << 10]byte)
	defer plainBufs.Put(buf)
	for {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(c, buf[:4]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(buf[:4])
		if n > uint32(len(buf)-4) {
			return
		}
		if _, err := io.ReadFull(c, buf[4:4+n]); err != nil {
			return
		}
		if _, err := c.Write(buf[:4+n]); err != nil {
			return
		}
	}
}

// plainClient is the baseline client of a probe: the payload, and buffers
// it reuses.
type plainClient struct {
	payload, small []byte
	frame, buf     []byte
}

func newPlainClient(size int) *plainClient {
	return &plainClient{payload: benchPayload(size), small: benchPayload(mesh.DefaultSmallSize),
		frame: make([]byte, 0, 4+size), buf: make([]byte, 64<<10)}
}

// echoes is what one probe of the payload echoes: the payload, after a
// small echo when it is large, as the Prober does.
func (c *plainClient) echoes(echo func([]byte) error) error {
	if len(c.payload) > mesh.DefaultLargeThreshold {
		if err := echo(c.small); err != nil {
			return err
		}
	}
	return echo(c.payload)
}

// tcpDialEcho dials, echoes, closes.
func (c *plainClient) tcpDialEcho(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, benchTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	return c.echoes(func(p []byte) error { return c.tcpEcho(conn, p) })
}

// tcpEcho sends payload in a frame, reads the frame back and compares.
func (c *plainClient) tcpEcho(conn net.Conn, payload []byte) error {
	_ = conn.SetDeadline(time.Now().Add(benchTimeout))
	frame := binary.BigEndian.AppendUint32(c.frame[:0], uint32(len(payload)))
	if _, err := conn.Write(append(frame, payload...)); err != nil {
		return err
	}
	if _, err := io.ReadFull(conn, c.buf[:4]); err != nil {
		return err
	}
	if _, err := io.ReadFull(conn, c.buf[:len(payload)]); err != nil {
		return err
	}
	if !bytes.Equal(c.buf[:len(payload)], payload) {
		return errors.New("echo differs")
	}
	return nil
}

// udpDialEcho opens a socket, echoes, closes.
func (c *plainClient) udpDialEcho(addr string) error {
	conn, err := net.DialTimeout("udp", addr, benchTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	return c.echoes(func(p []byte) error { return c.udpEcho(conn, p) })
}

// udpEcho sends payload in a datagram, reads one back and compares.
func (c *plainClient) udpEcho(conn net.Conn, payload []byte) error {
	_ = conn.SetDeadline(time.Now().Add(benchTimeout))
	if _, err := conn.Write(payload); err != nil {
		return err
	}
	n, err := conn.Read(c.buf)
	if err != nil {
		return err
	}
	if !bytes.Equal(c.buf[:n], payload) {
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

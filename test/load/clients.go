package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// op is one legitimate request; it returns nil on success.
type op func(ctx context.Context) *failure

// failure is a failed request: a cause from the probes vocabulary, and
// what happened.
type failure struct{ cause, detail string }

// worker is one client: it runs op in a loop; label groups its results.
type worker struct {
	label string
	op    op
}

// stats are the results of one label in one phase.
type stats struct {
	ops     int64
	errs    map[string]int64  // by cause
	sample  map[string]string // by cause: the first failure's detail
	lat     []time.Duration   // successful requests only
	elapsed time.Duration
}

// add folds o into s.
func (s *stats) add(o *stats) {
	s.ops += o.ops
	s.lat = append(s.lat, o.lat...)
	s.elapsed += o.elapsed
	for k, v := range o.errs {
		s.errs[k] += v
	}
	for k, v := range o.sample {
		if _, ok := s.sample[k]; !ok {
			s.sample[k] = v
		}
	}
}

func newStats() *stats { return &stats{errs: map[string]int64{}, sample: map[string]string{}} }

// drive runs every worker concurrently until d passes, ctx ends or maxOps
// requests were started, and returns the results per label. The end of the
// phase only stops new requests: the ones in flight finish under their own
// timeout and count, so that no request is cut short by the phase and
// counted as a failure. With rate > 0 the workers together start about rate
// requests per second; otherwise each starts its next request as soon as
// the last one ends.
func drive(ctx context.Context, d time.Duration, maxOps int64, rate int, workers []worker) map[string]*stats {
	phase, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		started atomic.Int64
		mu      sync.Mutex
		wg      sync.WaitGroup
		out     = map[string]*stats{}
	)
	var every time.Duration
	if rate > 0 {
		every = time.Duration(len(workers)) * time.Second / time.Duration(rate)
	}
	begin := time.Now()
	for i, w := range workers {
		first := begin.Add(every * time.Duration(i) / time.Duration(len(workers))) // staggered
		wg.Go(func() {
			s := loop(ctx, phase, w.op, &started, maxOps, first, every)
			mu.Lock()
			defer mu.Unlock()
			if _, ok := out[w.label]; !ok {
				out[w.label] = newStats()
			}
			out[w.label].add(s)
		})
	}
	wg.Wait()
	for _, s := range out {
		s.elapsed = time.Since(begin)
	}
	return out
}

// loop runs o until phase ends; each request runs under ctx (the whole
// run), not under phase.
func loop(ctx, phase context.Context, o op, started *atomic.Int64, maxOps int64, next time.Time, every time.Duration) *stats {
	s := newStats()
	for phase.Err() == nil && started.Add(1) <= maxOps {
		if !pace(phase, &next, every) {
			break
		}
		t := time.Now()
		f := o(ctx)
		if ctx.Err() != nil {
			break // the run was interrupted: says nothing
		}
		s.ops++
		if f != nil {
			s.errs[f.cause]++
			if _, ok := s.sample[f.cause]; !ok {
				s.sample[f.cause] = f.detail + " (after " + time.Since(t).Round(time.Microsecond).String() + ")"
			}
			continue
		}
		s.lat = append(s.lat, time.Since(t))
	}
	return s
}

// pace waits until next and moves it on by every; a worker that fell
// behind by more than a period starts again from now instead of bursting.
// It reports false when ctx ended first.
func pace(ctx context.Context, next *time.Time, every time.Duration) bool {
	if every <= 0 {
		return true
	}
	now := time.Now()
	if now.Sub(*next) > every {
		*next = now
	}
	wait := time.NewTimer(next.Sub(now))
	defer wait.Stop()
	*next = next.Add(every)
	select {
	case <-ctx.Done():
		return false
	case <-wait.C:
		return true
	}
}

// newProber is the real peer prober, with the small pre-check before large
// echoes turned off, so that one request is one echo, like the baseline's.
func newProber(key []byte) *mesh.Prober {
	return mesh.NewProber(mesh.ClientOptions{Key: key, Self: "load-client", LargeThreshold: 1 << 30})
}

// proberOp runs one real peer probe through probes.Run, as a controller
// job does.
// All workers of a phase share p, as all jobs of an agent share its prober.
func proberOp(p *mesh.Prober, target, transport string, size int, timeout time.Duration) op {
	if transport == "udp" {
		size = min(size, mesh.UDPMaxPayload)
	}
	spec := probes.Spec{Name: "load", Kind: probes.KindPeer, Target: target, Timeout: timeout,
		Expect: probes.ExpectReachable, Peer: &probes.PeerOptions{Transport: transport, Size: size, Count: 1}}
	return func(ctx context.Context) *failure {
		if r := probes.Run(ctx, p, spec); !r.Passed {
			return &failure{string(r.Cause), r.Message}
		}
		return nil
	}
}

// tcpEchoOp is the baseline of a TCP probe: dial, one frame echo, close.
func tcpEchoOp(target string, size int, timeout time.Duration) op {
	payload := filler(size)
	return func(ctx context.Context) *failure {
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, "tcp", target)
		if err != nil {
			return fail(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+size), uint32(size))
		if _, err := c.Write(append(frame, payload...)); err != nil {
			return fail(err)
		}
		got := make([]byte, 4+size)
		if _, err := io.ReadFull(c, got); err != nil {
			return fail(err)
		}
		return matches(got[4:], payload)
	}
}

// udpEchoOp is the baseline of a UDP probe: a new socket, one datagram
// echo, close.
func udpEchoOp(target string, size int, timeout time.Duration) op {
	payload := filler(min(size, mesh.UDPMaxPayload))
	return func(ctx context.Context) *failure {
		c, err := net.DialTimeout("udp", target, timeout)
		if err != nil {
			return fail(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		if _, err := c.Write(payload); err != nil {
			return fail(err)
		}
		buf := make([]byte, 64<<10)
		n, err := c.Read(buf)
		if err != nil {
			return fail(err)
		}
		return matches(buf[:n], payload)
	}
}

func matches(got, want []byte) *failure {
	if !bytes.Equal(got, want) {
		return &failure{string(probes.CauseMismatch), "echo differs"}
	}
	return nil
}

func fail(err error) *failure {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &failure{string(probes.CauseTimeout), err.Error()}
	}
	return &failure{string(probes.CauseError), err.Error()}
}

func filler(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

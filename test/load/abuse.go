package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swarmlink/swarmlink/mesh"
)

// abuseStats count what the abusers sent.
type abuseStats struct {
	udpSent    atomic.Int64 // unauthenticated datagrams written
	udpErrs    atomic.Int64 // datagrams the local stack refused (ENOBUFS, ECONNREFUSED)
	frames     atomic.Int64 // TCP connections that sent a bad frame
	closed     atomic.Int64 // ... that the responder then closed on its own
	frameErrs  atomic.Int64 // ... that failed before the frame went out
	idleDialed atomic.Int64 // idle connections opened (re-opened when the responder closes one)
}

// tick is the pacing period of the rate-limited abusers.
const tick = 10 * time.Millisecond

// quota spreads a rate per second over ticks, carrying fractions over.
type quota struct{ per, owed float64 }

// quotaOf returns the quota of rate per second; a negative rate sends one
// per round, without waiting.
func quotaOf(rate int) *quota {
	if rate < 0 {
		return &quota{per: 1}
	}
	return &quota{per: float64(rate) * tick.Seconds()}
}

// next is how many to send in the next tick.
func (q *quota) next() int {
	q.owed += q.per
	n := int(q.owed)
	q.owed -= float64(n)
	return n
}

// abuse runs every abuser against the responder at target until ctx is
// done; it returns when they have all stopped.
func abuse(ctx context.Context, cfg config, target string, st *abuseStats) {
	var wg sync.WaitGroup
	if cfg.floodPPS != 0 {
		const senders = 2
		pps := cfg.floodPPS / senders
		if cfg.floodPPS < 0 {
			pps = -1 // as fast as possible
		}
		for range senders {
			wg.Go(func() { udpFlood(ctx, target, pps, cfg.floodSize, st) })
		}
	}
	senders := min(4, cfg.badFrames)
	for i := range senders {
		wg.Go(func() { badFrames(ctx, target, cfg.badFrames/senders, i, st) })
	}
	for range cfg.idleConns {
		wg.Go(func() { idleConn(ctx, target, st) })
	}
	wg.Wait()
}

// garbage returns datagrams no responder accepts, by the reason they are
// dropped for: 6 in 8 are version 1 with a tag that does not verify (the
// dearest: the tag is computed over all of it), one is too short, one has
// another version.
func garbage(size int) [][]byte {
	out := make([][]byte, 8)
	for i := range out {
		b := make([]byte, max(size, mesh.MinMessage))
		_, _ = rand.Read(b)
		b[0] = mesh.Version
		out[i] = b
	}
	out[6] = out[6][:mesh.MinMessage-1]
	out[7][0] = mesh.Version + 1
	return out
}

// udpFlood sends pps unauthenticated datagrams per second (as fast as it
// can with pps < 0) from one socket.
func udpFlood(ctx context.Context, target string, pps, size int, st *abuseStats) {
	conn, err := net.Dial("udp", target)
	if err != nil {
		return
	}
	defer conn.Close()
	msgs := garbage(size)
	quota := quotaOf(pps)
	t := time.NewTicker(tick)
	defer t.Stop()
	for i := 0; ctx.Err() == nil; {
		for range quota.next() {
			if _, err := conn.Write(msgs[i%len(msgs)]); err != nil {
				st.udpErrs.Add(1)
			} else {
				st.udpSent.Add(1)
			}
			i++
		}
		if pps >= 0 {
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
	}
}

// badFrames opens cps connections per second; each sends one bad frame and
// waits for the responder to close it. Even ones announce a frame of 1 GiB
// (dropped as oversized before anything is allocated); odd ones send a
// whole 64 KiB frame of garbage (read and hashed, then dropped as bad_mac).
func badFrames(ctx context.Context, target string, cps, id int, st *abuseStats) {
	big := make([]byte, 4+64<<10)
	_, _ = rand.Read(big)
	binary.BigEndian.PutUint32(big, 64<<10)
	big[4] = mesh.Version
	huge := binary.BigEndian.AppendUint32(nil, 1<<30)
	huge = append(huge, big[4:4+1024]...)
	quota := quotaOf(cps)
	t := time.NewTicker(tick)
	defer t.Stop()
	for i := id; ctx.Err() == nil; {
		for range quota.next() {
			frame := huge
			if i%2 == 1 {
				frame = big
			}
			sendBadFrame(ctx, target, frame, st)
			i++
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

func sendBadFrame(ctx context.Context, target string, frame []byte, st *abuseStats) {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		st.frameErrs.Add(1)
		return
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(frame); err != nil {
		st.frameErrs.Add(1)
		return
	}
	st.frames.Add(1)
	var b [1]byte
	if _, err := c.Read(b[:]); err != nil && !isTimeout(err) {
		st.closed.Add(1) // EOF or reset: the responder hung up, as it should
	}
}

// idleConn holds a TCP connection open without sending anything, and opens
// another when the responder closes it (after its idle deadline).
func idleConn(ctx context.Context, target string, st *abuseStats) {
	for ctx.Err() == nil {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", target)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		st.idleDialed.Add(1)
		opened := time.Now()
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		var b [1]byte
		_, _ = c.Read(b[:]) // blocks until the responder or ctx closes it
		stop()
		_ = c.Close()
		if time.Since(opened) < 100*time.Millisecond { // refused as busy: do not spin
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

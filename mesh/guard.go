package mesh

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Reason is why an input was dropped; a bounded set used as a metric label.
type Reason string

// Drop reasons.
const (
	ReasonBadMAC    Reason = "bad_mac"    // the tag does not verify (wrong key or tampering)
	ReasonReplay    Reason = "replay"     // nonce already seen
	ReasonClockSkew Reason = "clock_skew" // timestamp outside the replay window
	ReasonRecipient Reason = "recipient"  // addressed to another agent
	ReasonOversized Reason = "oversized"  // larger than the configured maximum
	ReasonMalformed Reason = "malformed"  // too short, inconsistent, or unexpected type
	ReasonVersion   Reason = "version"    // unknown protocol version
	ReasonBusy      Reason = "busy"       // TCP connection refused: too many open connections
	ReasonPartial   Reason = "partial"    // an authenticated frame stopped arriving part-way
)

// Reasons lists every reason, in a stable order, for metric initialisation.
func Reasons() []Reason {
	return []Reason{ReasonBadMAC, ReasonReplay, ReasonClockSkew, ReasonRecipient,
		ReasonOversized, ReasonMalformed, ReasonVersion, ReasonBusy, ReasonPartial}
}

// DropError says an input was rejected, and why.
type DropError struct {
	Reason Reason
	Detail string
}

// Error returns the reason and detail.
func (e *DropError) Error() string { return string(e.Reason) + ": " + e.Detail }

func drop(r Reason, format string, args ...any) error {
	return &DropError{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// ReasonOf returns the drop reason carried by err, or "" when err is not a
// *DropError.
func ReasonOf(err error) Reason {
	if de, ok := errors.AsType[*DropError](err); ok {
		return de.Reason
	}
	return ""
}

// Defaults of Guard.
const (
	DefaultReplayWindow = 30 * time.Second
	DefaultNonceCache   = 16384
)

// Guard rejects stale and replayed messages: a message must be stamped
// within ±Window of the receiver's clock and its nonce must not have been
// seen. Nonces live in a cache of fixed capacity that evicts the oldest
// entry, so memory is bounded whatever the traffic. The cache only ever
// holds nonces of authenticated messages (Decode runs first), so only a key
// holder could flood it. Guard is safe for concurrent use.
type Guard struct {
	window time.Duration

	mu   sync.Mutex
	seen map[[NonceSize]byte]struct{}
	ring [][NonceSize]byte // insertion order; next is the oldest once full
	next int
}

// NewGuard returns a guard with the given window and nonce capacity; zero
// values select the defaults.
func NewGuard(window time.Duration, capacity int) *Guard {
	if window <= 0 {
		window = DefaultReplayWindow
	}
	if capacity <= 0 {
		capacity = DefaultNonceCache
	}
	return &Guard{
		window: window,
		seen:   make(map[[NonceSize]byte]struct{}, capacity),
		ring:   make([][NonceSize]byte, 0, capacity),
	}
}

// Window is the accepted clock skew.
func (g *Guard) Window() time.Duration { return g.window }

// Check accepts m at time now, remembering its nonce, or returns a
// *DropError: ReasonClockSkew outside the window, ReasonReplay for a nonce
// already seen.
func (g *Guard) Check(m Message, now time.Time) error {
	skew := now.Sub(time.Unix(0, m.Timestamp))
	if skew > g.window || skew < -g.window {
		return drop(ReasonClockSkew, "timestamp %s off the local clock (window ±%s)", skew.Round(time.Millisecond), g.window)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.seen[m.Nonce]; ok {
		return drop(ReasonReplay, "nonce already seen")
	}
	if len(g.ring) < cap(g.ring) {
		g.ring = append(g.ring, m.Nonce)
	} else {
		delete(g.seen, g.ring[g.next])
		g.ring[g.next] = m.Nonce
		g.next = (g.next + 1) % len(g.ring)
	}
	g.seen[m.Nonce] = struct{}{}
	return nil
}

// Len is the number of remembered nonces.
func (g *Guard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.seen)
}

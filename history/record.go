package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/swarmlink/swarmlink/links"
)

// Directions of a record.
const (
	DirectionOutbound = "outbound" // this agent probed the destination
	DirectionInbound  = "inbound"  // a peer probed this agent, or should have
)

// Record is one probe result as stored. Details is stored as JSON, so numbers
// read back by Query are float64.
type Record struct {
	Time            time.Time      `json:"time"`
	Source          string         `json:"source"`      // agent that recorded it (this host)
	Destination     string         `json:"destination"` // other end / target
	Path            string         `json:"path"`        // e.g. "direct", "overlay", "published"
	Probe           string         `json:"probe"`       // check name
	Direction       string         `json:"direction"`   // DirectionOutbound | DirectionInbound
	Kind            string         `json:"kind"`
	Passed          bool           `json:"passed"`
	Reachable       bool           `json:"reachable"`
	Cause           string         `json:"cause"`
	Message         string         `json:"message"`
	DurationSeconds float64        `json:"duration_seconds"`
	Details         map[string]any `json:"details,omitempty"` // answers, loss, rtt...
	// Host is the recording agent's host evidence, set on a failing result
	// by the agent: an outage it opens keeps it. Not stored with the result.
	Host *links.HostEvidence `json:"-"`
}

// SeriesKey identifies the series r belongs to:
// source|destination|path|probe|direction.
func (r Record) SeriesKey() string {
	return seriesKey(r.Source, r.Destination, r.Path, r.Probe, r.Direction)
}

func seriesKey(parts ...string) string { return strings.Join(parts, "|") }

// Transition is an outage: a run of consecutive failures of one series. Cause
// and Message are those of the failure that opened it.
type Transition struct {
	Series      string     `json:"series"`
	Source      string     `json:"source"`
	Destination string     `json:"destination"`
	Path        string     `json:"path"`
	Probe       string     `json:"probe"`
	Direction   string     `json:"direction"`
	Start       time.Time  `json:"start"`         // time of the first failure
	End         *time.Time `json:"end,omitempty"` // time of the first pass after it; nil while ongoing
	Cause       string     `json:"cause"`
	Message     string     `json:"message"`
	Failures    int        `json:"failures"` // consecutive failed results in the run
	// Host is what the recording agent's host looked like when the outage
	// began: interfaces, routes, the Swarm's address and data-path port, the
	// overlays with their peer tables (links.HostEvidence, bounded).
	Host *links.HostEvidence `json:"host,omitempty"`
}

// Filter selects records or transitions. A zero field is no constraint.
// Since and Until are inclusive; a transition matches when it overlaps them.
// Limit defaults to DefaultLimit and is capped at MaxLimit.
type Filter struct {
	Source      string    `json:"source,omitempty"`
	Destination string    `json:"destination,omitempty"`
	Path        string    `json:"path,omitempty"`
	Probe       string    `json:"probe,omitempty"`
	Direction   string    `json:"direction,omitempty"`
	Since       time.Time `json:"since,omitempty"`
	Until       time.Time `json:"until,omitempty"`
	Limit       int       `json:"limit,omitempty"`
}

// Query limits.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// ErrTimeRange is returned by Query and Transitions for a Since or Until
// that a store key cannot hold (UnixNano: 1677 to 2262); such a bound would
// wrap around and select the wrong records.
var ErrTimeRange = errors.New("time outside the history store's range (1678 to 2262)")

var (
	earliestKey = time.Unix(0, math.MinInt64)
	latestKey   = time.Unix(0, math.MaxInt64-1) // Until is scanned from Until+1ns
)

func (f Filter) checkTimes() error {
	for _, t := range []time.Time{f.Since, f.Until} {
		if !t.IsZero() && (t.Before(earliestKey) || t.After(latestKey)) {
			return fmt.Errorf("%s: %w", t.Format(time.RFC3339Nano), ErrTimeRange)
		}
	}
	return nil
}

func (f Filter) withLimit() Filter {
	switch {
	case f.Limit <= 0:
		f.Limit = DefaultLimit
	case f.Limit > MaxLimit:
		f.Limit = MaxLimit
	}
	return f
}

// matches reports whether a series' identity passes the filter.
func (f Filter) matches(source, destination, path, probe, direction string) bool {
	return eq(f.Source, source) && eq(f.Destination, destination) && eq(f.Path, path) &&
		eq(f.Probe, probe) && eq(f.Direction, direction)
}

func eq(want, got string) bool { return want == "" || want == got }

// timeKey is the 16-byte key of an entry at t: big-endian UnixNano with the
// sign bit flipped (so pre-1970 times still sort first), then a sequence that
// keeps entries with the same nanosecond distinct and in append order.
func timeKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano())^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// keyTime is the time encoded in a timeKey.
func keyTime(k []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k)^(1<<63)))
}

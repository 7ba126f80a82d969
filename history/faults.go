package history

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Write operations of the store, the op label of its error counts.
const (
	OpCommit = "commit" // a batch of results
	OpPrune  = "prune"  // retention
	OpRetire = "retire" // ending a retired series' outage
	OpKV     = "kv"     // a KV bucket's Put or Delete
)

// Ops lists every write operation, for metrics that export all of them.
var Ops = []string{OpCommit, OpPrune, OpRetire, OpKV}

// faultLogEvery is the least time between two log lines of one error kind:
// a full disk fails every commit (5 a second) and must not fill the log too.
const faultLogEvery = time.Minute

// Health is whether the store's writes succeed. It turns bad at the first
// failed write and good again once every operation that failed has succeeded.
type Health struct {
	OK        bool   // every operation's last write succeeded
	Op        string // the operation that failed last
	LastError string // its error
	// Since is when the oldest failing operation first failed, or, when
	// OK, when the last one recovered (zero if no write ever failed); by
	// Options.Now.
	Since   time.Time
	Failing []string // the operations whose last write failed, sorted
}

// faults tracks failed writes: health, counts by op, and the rate-limited
// log. Safe for concurrent use.
type faults struct {
	mu      sync.Mutex
	since   map[string]time.Time // op -> first failure of its current run
	healed  time.Time            // when since last became empty
	lastOp  string
	lastErr string
	counts  map[string]uint64 // op -> failed writes since Open
	logged  map[string]time.Time
	dropped map[string]int // kind -> lines suppressed since the last one logged
}

func newFaults() *faults {
	return &faults{since: map[string]time.Time{}, counts: map[string]uint64{},
		logged: map[string]time.Time{}, dropped: map[string]int{}}
}

// update runs fn in a write transaction for op, after the Fault hook, and
// records the outcome.
func (s *Store) update(op string, fn func(*bolt.Tx) error) error {
	var err error
	if s.opts.Fault != nil {
		err = s.opts.Fault(op)
	}
	if err == nil {
		err = s.db.Update(fn)
	}
	s.record(op, err)
	return err
}

func (s *Store) record(op string, err error) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	now := s.opts.Now()
	if err == nil {
		if _, failing := f.since[op]; failing {
			delete(f.since, op)
			if len(f.since) == 0 {
				f.healed = now
			}
		}
		return
	}
	if _, failing := f.since[op]; !failing {
		f.since[op] = now
	}
	f.lastOp, f.lastErr = op, err.Error()
	f.counts[op]++
}

// logFault logs a failed write of the writer loop (which has nobody to
// return it to): at most one line per error kind (op and cause) per
// faultLogEvery, carrying how many were suppressed since the last.
func (s *Store) logFault(msg, op string, err error, fields ...zap.Field) {
	f := s.faults
	kind := op + "/" + errKind(err)
	now := s.opts.Now()
	f.mu.Lock()
	last, seen := f.logged[kind]
	if seen && now.Sub(last) < faultLogEvery {
		f.dropped[kind]++
		f.mu.Unlock()
		return
	}
	suppressed := f.dropped[kind]
	f.logged[kind], f.dropped[kind] = now, 0
	f.mu.Unlock()
	s.log.Error(msg, append(fields, zap.String("op", op), zap.Error(err), zap.String("kind", kind),
		zap.Int("suppressed", suppressed))...)
}

// errKind names the cause of err from a bounded set: the errno (such as
// "no space left on device") or the type of the innermost error.
func errKind(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return fmt.Sprintf("%T", err)
		}
		err = next
	}
}

// Health reports whether the store's writes succeed.
func (s *Store) Health() Health {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	h := Health{OK: len(f.since) == 0}
	if h.OK {
		h.Since = f.healed
		return h
	}
	h.Op, h.LastError = f.lastOp, f.lastErr
	for op, t := range f.since {
		h.Failing = append(h.Failing, op)
		if h.Since.IsZero() || t.Before(h.Since) {
			h.Since = t
		}
	}
	sort.Strings(h.Failing)
	return h
}

// WriteErrors returns the failed writes since Open, by op (every op of Ops
// present).
func (s *Store) WriteErrors() map[string]uint64 {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]uint64, len(Ops))
	for _, op := range Ops {
		out[op] = f.counts[op]
	}
	return out
}

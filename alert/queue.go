package alert

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// KV is the durable key/value bucket the engine keeps its queue and alert
// states in; history.KV implements it. Values are JSON.
type KV interface {
	Put(key string, v any) error
	Get(key string, v any) (bool, error)
	Delete(key string) error
	ForEach(fn func(key string, value json.RawMessage) error) error
}

// Bucket names the engine expects its two KVs to have in the store.
const (
	QueueBucket = "alert_queue" // per-notifier delivery queue
	StateBucket = "alert_state" // fingerprint -> alert lifetime
)

// maxBatch bounds the alerts handed to one Notify call.
const maxBatch = 64

// entry is one notification waiting for one notifier.
type entry struct {
	Seq      uint64    `json:"seq"`
	Notifier string    `json:"notifier"`
	Alert    Alert     `json:"alert"`
	Enqueued time.Time `json:"enqueued"`
}

func (e entry) key() string { return fmt.Sprintf("%s/%020d", e.Notifier, e.Seq) }

// maxSeq bounds stored sequence numbers: they start from UnixNano, and one
// near the top of uint64 would wrap the next to 0 and let it overwrite an
// older entry.
const maxSeq = math.MaxInt64

// valid reports whether e, read from under key, can be delivered and then
// removed: stored under its own key (done deletes e.key(), so an entry under
// any other key would be delivered again after every restart), for a
// configured notifier, with a sequence number the queue can follow.
func (e entry) valid(key string, names []string) bool {
	return key == e.key() && slices.Contains(names, e.Notifier) && e.Seq <= maxSeq
}

// queue is the durable, per-notifier delivery queue. Each notifier's entries
// go out in order, and a failing notifier backs off on its own. The KV is the
// truth; pending mirrors it in memory. Safe for concurrent use.
type queue struct {
	kv       KV
	min, max time.Duration // backoff

	mu      sync.Mutex
	seq     uint64
	pending map[string][]entry   // by notifier, in order
	next    map[string]time.Time // earliest next attempt, by notifier
	fails   map[string]int       // consecutive failed attempts, by notifier
}

// loadQueue reads the queue, dropping entries of notifiers that are no
// longer configured; it returns how many it dropped.
func loadQueue(kv KV, names []string, minBackoff, maxBackoff time.Duration) (*queue, int, error) {
	q := &queue{kv: kv, min: minBackoff, max: maxBackoff, pending: map[string][]entry{},
		next: map[string]time.Time{}, fails: map[string]int{}}
	var stale []string
	err := kv.ForEach(func(key string, raw json.RawMessage) error {
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil || !e.valid(key, names) {
			stale = append(stale, key)
			return nil
		}
		q.pending[e.Notifier] = append(q.pending[e.Notifier], e)
		q.seq = max(q.seq, e.Seq)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("loading alert queue: %w", err)
	}
	for _, key := range stale {
		if err := kv.Delete(key); err != nil {
			return nil, 0, fmt.Errorf("dropping stale queue entry: %w", err)
		}
	}
	return q, len(stale), nil
}

// add appends a's notification for notifier and persists it first, so an
// entry the caller counts on survives a crash. A new notification is worth
// one try at once, backoff or not: a receiver that was unreachable (this
// node cut off for a minute backs off past a minute) gets the news as soon
// as the path is back, not a backoff later. The failure count stays, so a
// receiver that is still down keeps backing off between new notifications.
func (q *queue) add(notifier string, a Alert, now time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.next, notifier)
	q.seq = max(q.seq+1, uint64(now.UnixNano()))
	e := entry{Seq: q.seq, Notifier: notifier, Alert: a, Enqueued: now}
	q.pending[notifier] = append(q.pending[notifier], e)
	if err := q.kv.Put(e.key(), e); err != nil {
		return fmt.Errorf("queueing %s for %s: %w", a.Fingerprint, notifier, err)
	}
	return nil
}

// has reports a pending entry for notifier with fingerprint and status.
func (q *queue) has(notifier, fp, status string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.ContainsFunc(q.pending[notifier], func(e entry) bool {
		return e.Alert.Fingerprint == fp && e.Alert.Status == status
	})
}

// due returns the first entries of notifier when its backoff allows a try.
func (q *queue) due(notifier string, now time.Time) []entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	if now.Before(q.next[notifier]) {
		return nil
	}
	p := q.pending[notifier]
	return slices.Clone(p[:min(len(p), maxBatch)])
}

// done removes delivered entries and resets notifier's backoff.
func (q *queue) done(notifier string, sent []entry) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fails[notifier], q.next[notifier] = 0, time.Time{}
	q.pending[notifier] = slices.DeleteFunc(q.pending[notifier], func(e entry) bool {
		return slices.ContainsFunc(sent, func(s entry) bool { return s.Seq == e.Seq })
	})
	var errs []string
	for _, e := range sent {
		if err := q.kv.Delete(e.key()); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("removing delivered entries: %s", strings.Join(errs, "; "))
	}
	return nil
}

// failed backs notifier off exponentially, capped, and returns the delay.
func (q *queue) failed(notifier string, now time.Time) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fails[notifier]++
	d := q.min
	for i := 1; i < q.fails[notifier] && d < q.max; i++ {
		d *= 2
	}
	d = min(d, q.max)
	q.next[notifier] = now.Add(d)
	return d
}

// length counts every pending entry.
func (q *queue) length() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, p := range q.pending {
		n += len(p)
	}
	return n
}

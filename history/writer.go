package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// item is a queued record, or a Flush marker when done is non-nil.
type item struct {
	rec    Record // identity and state only; Details is nil
	data   []byte // the encoded record as stored
	roll   rollupFields
	done   chan error
	retire string    // a series to retire at retireAt, in order with the records
	at     time.Time // when the retired series ends
}

// batch collects records for one write transaction and the Flush calls
// waiting for it.
type batch struct {
	items   []item
	waiters []chan error
}

// Start runs the batching writer and periodic retention pruning. It blocks
// until ctx is done (or Close is called), then commits what is queued and
// returns. It may run once per Store. A panic in the writer is recovered and
// returned as an error.
func (s *Store) Start(ctx context.Context) (err error) {
	ctx, stopped, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer close(stopped)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("history writer panicked: %v", p)
		}
	}()
	s.prune()
	s.run(ctx)
	return nil
}

func (s *Store) begin(ctx context.Context) (context.Context, chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return nil, nil, ErrClosed
	default:
	}
	if s.cancel != nil {
		return nil, nil, errors.New("history writer already started")
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.stopped = make(chan struct{})
	return ctx, s.stopped, nil
}

func (s *Store) run(ctx context.Context) {
	flush := time.NewTicker(s.opts.FlushInterval)
	defer flush.Stop()
	prune := time.NewTicker(s.opts.PruneInterval)
	defer prune.Stop()
	var b batch
	for {
		select {
		case <-ctx.Done():
			s.drain(&b)
			return
		case it := <-s.queue:
			s.add(&b, it)
		case <-flush.C:
			s.commit(&b)
		case <-prune.C:
			s.prune()
		}
	}
}

// add puts it in b and commits when b is full or a Flush waits.
func (s *Store) add(b *batch, it item) {
	if it.done != nil {
		b.waiters = append(b.waiters, it.done)
		s.commit(b)
		return
	}
	b.items = append(b.items, it)
	if len(b.items) >= s.opts.BatchSize {
		s.commit(b)
	}
}

// drain commits everything queued right now, without waiting for more.
func (s *Store) drain(b *batch) {
	for {
		select {
		case it := <-s.queue:
			s.add(b, it)
		default:
			s.commit(b)
			return
		}
	}
}

// commit writes b in one transaction, answers its waiters and empties it. A
// failed commit loses its records: they are counted and logged, not retried,
// so that a broken disk cannot grow the queue without bound.
func (s *Store) commit(b *batch) {
	var err error
	if len(b.items) > 0 {
		err = s.update(OpCommit, func(tx *bolt.Tx) error { return writeBatch(tx, b.items) })
		s.count(len(b.items), err)
	}
	for _, w := range b.waiters {
		w <- err
	}
	b.items, b.waiters = b.items[:0], nil
}

func (s *Store) count(n int, err error) {
	if err != nil {
		s.stats.commitErrors.Add(1)
		s.stats.dropped.Add(uint64(n))
		s.logFault("committing history batch", OpCommit, err, zap.Int("records", n))
		return
	}
	s.stats.batches.Add(1)
	s.stats.written.Add(uint64(n))
	s.stats.lastCommit.Store(s.opts.Now().UnixNano())
}

// writeBatch stores every record and advances its series' state.
func writeBatch(tx *bolt.Tx, items []item) error {
	w := txWriter{
		results: tx.Bucket(bucketResults),
		series:  tx.Bucket(bucketSeries),
		outages: tx.Bucket(bucketOutages),
		rollups: tx.Bucket(bucketRollups), openRollups: tx.Bucket(bucketOpen),
	}
	// Results and outages are keyed by time and arrive (nearly) in order:
	// bbolt's default split at half a page would leave their pages half
	// empty for good, as no later key lands in the left half.
	w.results.FillPercent, w.outages.FillPercent, w.rollups.FillPercent = appendFill, appendFill, appendFill
	for _, it := range items {
		if it.retire != "" {
			if err := w.retire(it.retire, it.at); err != nil {
				return err
			}
			continue
		}
		seq, err := w.results.NextSequence()
		if err != nil {
			return fmt.Errorf("sequencing result: %w", err)
		}
		if err := w.results.Put(timeKey(it.rec.Time, seq), it.data); err != nil {
			return fmt.Errorf("storing result: %w", err)
		}
		if err := w.track(it.rec); err != nil {
			return err
		}
		if err := w.rollup(it.rec, it.roll); err != nil {
			return err
		}
	}
	return nil
}

// appendFill is the fill of a page split in the time-keyed buckets.
const appendFill = 0.95

// seriesState is a series' last state, kept so transitions are computed at
// write time in the same transaction as the result.
type seriesState struct {
	Passed bool      `json:"passed"`
	Time   time.Time `json:"time"`
	Cause  string    `json:"cause"`
	Outage []byte    `json:"outage,omitempty"` // key of the open outage, if any
}

type txWriter struct {
	results, series, outages *bolt.Bucket
	rollups, openRollups     *bolt.Bucket
}

func (w txWriter) track(r Record) error {
	key := []byte(r.SeriesKey())
	st, err := getState(w.series, key)
	if err != nil {
		return err
	}
	switch {
	case !r.Passed && st.Outage == nil:
		st.Outage, err = w.open(r)
	case !r.Passed:
		err = w.update(st.Outage, func(t *Transition) { t.Failures++ })
	case st.Outage != nil:
		end := r.Time
		err = w.update(st.Outage, func(t *Transition) { t.End = &end })
		st.Outage = nil
	}
	if err != nil {
		return err
	}
	st.Passed, st.Time, st.Cause = r.Passed, r.Time, r.Cause
	return putState(w.series, key, st)
}

// open starts an outage at failing record r and returns its key.
func (w txWriter) open(r Record) ([]byte, error) {
	seq, err := w.outages.NextSequence()
	if err != nil {
		return nil, fmt.Errorf("sequencing outage: %w", err)
	}
	key := timeKey(r.Time, seq)
	t := Transition{
		Series: r.SeriesKey(), Source: r.Source, Destination: r.Destination,
		Path: r.Path, Probe: r.Probe, Direction: r.Direction,
		Start: r.Time, Cause: r.Cause, Message: r.Message, Failures: 1, Host: r.Host,
	}
	return key, putJSON(w.outages, key, t)
}

func (w txWriter) update(key []byte, change func(*Transition)) error {
	var t Transition
	if err := getJSON(w.outages, key, &t); err != nil {
		return err
	}
	change(&t)
	return putJSON(w.outages, key, t)
}

// getJSON decodes the value at key into v; a missing key leaves v unchanged.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	if data := b.Get(key); data != nil {
		return decodeJSON(key, data, v)
	}
	return nil
}

func decodeJSON(key, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decoding %q: %w", key, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %q: %w", key, err)
	}
	if err := b.Put(key, data); err != nil {
		return fmt.Errorf("storing %q: %w", key, err)
	}
	return nil
}

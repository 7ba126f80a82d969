package history

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ctxCheckEvery is how many entries a scan visits between context checks.
const ctxCheckEvery = 1024

// Query returns committed records matching f, newest first, at most f.Limit.
// It seeks to f.Until and stops at f.Since, so a narrow time window is cheap
// however large the store is; identity filters are applied during the scan.
func (s *Store) Query(ctx context.Context, f Filter) ([]Record, error) {
	if err := f.checkTimes(); err != nil {
		return nil, fmt.Errorf("querying history: %w", err)
	}
	f = f.withLimit()
	var out []Record
	err := s.db.View(func(tx *bolt.Tx) error {
		return scanNewest(ctx, tx.Bucket(bucketResults), f.Since, f.Until, func(k, v []byte) (bool, error) {
			r, ok, err := decodeResult(k, v, f)
			if ok {
				out = append(out, r)
			}
			return len(out) < f.Limit, err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("querying history: %w", err)
	}
	return out, nil
}

// Transitions returns outages matching f, newest start first, ongoing ones
// included (End nil). An outage matches Since/Until when it overlaps them.
func (s *Store) Transitions(ctx context.Context, f Filter) ([]Transition, error) {
	if err := f.checkTimes(); err != nil {
		return nil, fmt.Errorf("querying transitions: %w", err)
	}
	f = f.withLimit()
	var out []Transition
	err := s.db.View(func(tx *bolt.Tx) error {
		// Outages are keyed by start: Until bounds the seek, but one that
		// started long before Since may still be open, so Since cannot stop
		// the scan. Outages are few; scanning them all is cheap.
		return scanNewest(ctx, tx.Bucket(bucketOutages), time.Time{}, f.Until, func(k, v []byte) (bool, error) {
			var t Transition
			if err := decodeJSON(k, v, &t); err != nil {
				return false, err
			}
			overlaps := f.Since.IsZero() || t.End == nil || !t.End.Before(f.Since)
			if overlaps && f.matches(t.Source, t.Destination, t.Path, t.Probe, t.Direction) {
				out = append(out, t)
			}
			return len(out) < f.Limit, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("querying transitions: %w", err)
	}
	return out, nil
}

// scanNewest calls fn for each entry of b keyed in [since, until] (a zero
// bound is open), newest first, until fn returns false or an error.
func scanNewest(ctx context.Context, b *bolt.Bucket, since, until time.Time, fn func(k, v []byte) (bool, error)) error {
	c := b.Cursor()
	var k, v []byte
	if until.IsZero() {
		k, v = c.Last()
	} else if k, v = c.Seek(timeKey(until.Add(1), 0)); k == nil {
		k, v = c.Last() // nothing after until: start from the newest
	} else {
		k, v = c.Prev() // Seek landed on the first key after until
	}
	var stop []byte
	if !since.IsZero() {
		stop = timeKey(since, 0)
	}
	for n := 0; k != nil && bytes.Compare(k, stop) >= 0; n++ {
		if n%ctxCheckEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
		k, v = c.Prev()
	}
	return nil
}

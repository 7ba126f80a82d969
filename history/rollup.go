package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Rollup bounds. A week of one-minute buckets, both ends included, is the
// most a query may ask for: the scan and the answer stay bounded whatever
// the store holds.
const (
	MaxRollupRange  = 7 * 24 * time.Hour
	MinRollupStep   = time.Minute
	MaxRollupPoints = int(MaxRollupRange/MinRollupStep) + 1
)

// ErrRollupBounds is returned (wrapped, with the reason) for a rollup query
// outside the bounds above; test with errors.Is.
var ErrRollupBounds = errors.New("rollup query out of bounds")

// Rollup summarises the results of one series in one bucket [Time, Time+step).
// RTT percentiles are nil when no result in the bucket measured a round
// trip; LossRatio is nil when none counted echoes.
type Rollup struct {
	Time          time.Time `json:"time"`    // start of the bucket
	Results       int       `json:"results"` // results recorded in it
	Failed        int       `json:"failed"`  // of which did not pass
	RTTP50Seconds *float64  `json:"rtt_p50_seconds"`
	RTTP99Seconds *float64  `json:"rtt_p99_seconds"`
	Sent          int       `json:"sent"`     // echoes sent (udp, icmp, peer)
	Received      int       `json:"received"` // echoes answered
	LossRatio     *float64  `json:"loss_ratio"`
}

// rollupFields are the parts of a stored result a rollup reads.
type rollupFields struct {
	Passed          bool    `json:"passed"`
	DurationSeconds float64 `json:"duration_seconds"`
	Details         struct {
		Sent       int     `json:"sent"`
		Received   int     `json:"received"`
		RTTSeconds float64 `json:"rtt_seconds"`
	} `json:"details"`
}

// decodeRollupFields reads what a rollup needs from a stored result's body,
// binary or (from earlier versions) JSON.
func decodeRollupFields(data []byte) (rollupFields, error) {
	var r rollupFields
	if isJSON(data) {
		return r, json.Unmarshal(data, &r)
	}
	var rec Record
	details, err := decodeBody(data, &rec)
	if err != nil {
		return r, err
	}
	r.Passed, r.DurationSeconds = rec.Passed, rec.DurationSeconds
	if len(details) > 0 {
		err = json.Unmarshal(details, &r.Details)
	}
	return r, err
}

// Rollups returns the records matching f's identity in [f.Since, f.Until],
// summarised per bucket of step, oldest first. Buckets without results are
// left out. f.Limit is ignored: the bounds are MaxRollupRange and
// MaxRollupPoints, and both Since and Until must be set.
//
// A result's round trip is its echoes' average RTT when it counted answered
// echoes, else, for a passed result that counted none (tcp, http, dns), its
// duration: the connect or request time. Failed results measure no RTT.
//
// Where the raw results still cover the whole range (the oldest kept is no
// later than Since) the buckets are computed from them, exactly. Otherwise
// they come from the per-minute rollup blocks: the counts and loss are the
// same, the RTTs are coded 6 % apart, and a bucket of several minutes has
// the results-weighted median of its minutes' p50s and the highest of their
// p99s.
func (s *Store) Rollups(ctx context.Context, f Filter, step time.Duration) ([]Rollup, error) {
	if err := checkRollup(f, step); err != nil {
		return nil, err
	}
	var out []Rollup
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if rawCovers(tx, f.Since) {
			out, err = rawRollups(ctx, tx, f, step)
			return err
		}
		buckets, err := blockRollups(ctx, tx, f, step)
		out = make([]Rollup, 0, len(buckets))
		for t, b := range buckets {
			out = append(out, b.rollup(t))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rolling up history: %w", err)
	}
	slices.SortFunc(out, func(a, b Rollup) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// rawCovers reports whether the raw results reach back to since.
func rawCovers(tx *bolt.Tx, since time.Time) bool {
	k, _ := tx.Bucket(bucketResults).Cursor().First()
	return k != nil && !keyTime(k).After(since)
}

func rawRollups(ctx context.Context, tx *bolt.Tx, f Filter, step time.Duration) ([]Rollup, error) {
	buckets := map[time.Time]*bucket{}
	err := scanNewest(ctx, tx.Bucket(bucketResults), f.Since, f.Until, func(k, v []byte) (bool, error) {
		ids, data, err := splitResult(v)
		if err != nil {
			return false, fmt.Errorf("decoding %q: %w", k, err)
		}
		if !f.matchesRaw(ids) {
			return true, nil
		}
		r, err := decodeRollupFields(data)
		if err != nil {
			return false, fmt.Errorf("decoding %q: %w", k, err)
		}
		t := keyTime(k).UTC().Truncate(step)
		if buckets[t] == nil {
			buckets[t] = &bucket{}
		}
		buckets[t].add(r)
		return true, nil
	})
	out := make([]Rollup, 0, len(buckets))
	for t, b := range buckets {
		out = append(out, b.rollup(t))
	}
	return out, err
}

func checkRollup(f Filter, step time.Duration) error {
	switch {
	case f.Since.IsZero() || f.Until.IsZero():
		return fmt.Errorf("%w: since and until are both required", ErrRollupBounds)
	case f.Until.Before(f.Since):
		return fmt.Errorf("%w: until is before since", ErrRollupBounds)
	case f.Until.Sub(f.Since) > MaxRollupRange:
		return fmt.Errorf("%w: range %v is longer than %v", ErrRollupBounds, f.Until.Sub(f.Since), MaxRollupRange)
	case step < MinRollupStep || step%MinRollupStep != 0:
		return fmt.Errorf("%w: step %v is not a whole number of minutes", ErrRollupBounds, step)
	}
	if n := rollupPoints(f.Since, f.Until, step); n > MaxRollupPoints {
		return fmt.Errorf("%w: %d points, more than %d", ErrRollupBounds, n, MaxRollupPoints)
	}
	return nil
}

// rollupPoints is how many buckets of step [since, until] touches.
func rollupPoints(since, until time.Time, step time.Duration) int {
	return int(until.UTC().Truncate(step).Sub(since.UTC().Truncate(step))/step) + 1
}

// bucket accumulates the results of one bucket.
type bucket struct {
	results, failed, sent, received int
	rtts                            []float64
}

func (b *bucket) add(r rollupFields) {
	failed, sent, received, rtt, ok := r.counts()
	b.results, b.failed, b.sent, b.received = b.results+1, b.failed+failed, b.sent+sent, b.received+received
	if ok {
		b.rtts = append(b.rtts, rtt)
	}
}

// counts is what one result adds to a rollup: a failure or none, the
// echoes it sent and those answered, and its round trip if it measured one
// (its echoes' RTT when any came back, else a passed result's duration
// when it counted no echoes).
func (r rollupFields) counts() (failed, sent, received int, rtt float64, ok bool) {
	if !r.Passed {
		failed = 1
	}
	d := r.Details
	if d.Sent > 0 {
		sent, received = d.Sent, min(max(d.Received, 0), d.Sent)
	}
	switch {
	case d.Received > 0:
		return failed, sent, received, d.RTTSeconds, true
	case d.Sent == 0 && r.Passed:
		return failed, sent, received, r.DurationSeconds, true
	}
	return failed, sent, received, 0, false
}

func (b *bucket) rollup(t time.Time) Rollup {
	r := Rollup{Time: t, Results: b.results, Failed: b.failed, Sent: b.sent, Received: b.received}
	if len(b.rtts) > 0 {
		slices.Sort(b.rtts)
		r.RTTP50Seconds, r.RTTP99Seconds = ptr(percentile(b.rtts, 0.50)), ptr(percentile(b.rtts, 0.99))
	}
	if b.sent > 0 {
		r.LossRatio = ptr(float64(b.sent-b.received) / float64(b.sent))
	}
	return r
}

// percentile is the nearest-rank p-quantile of sorted: a value that was
// measured, never an interpolation between two.
func percentile(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ptr(v float64) *float64 { return &v }

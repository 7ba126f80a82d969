package history

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Rollup blocks live in two buckets. bucketOpen holds each series' block
// of the hour its results are arriving in, keyed by the series identity
// and rewritten by every result; bucketRollups holds the sealed blocks,
// keyed by hour then identity, written once when a series' next hour
// begins (or, for a series gone quiet, by Prune), so that bucket only
// grows at its end and its pages stay full.
var (
	bucketRollups = []byte("rollups")
	bucketOpen    = []byte("rollup-open")
)

// hourOf is t's hour: whole hours since the Unix epoch, floored.
func hourOf(t time.Time) int64 {
	ns := t.UnixNano()
	h := ns / int64(time.Hour)
	if ns < 0 && ns%int64(time.Hour) != 0 {
		h--
	}
	return h
}

func hourStart(h int64) time.Time { return time.Unix(0, h*int64(time.Hour)).UTC() }

// hourKey is the 8-byte prefix of a sealed block's key (sign bit flipped,
// as in timeKey, so that pre-1970 hours sort first).
func hourKey(h int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(h)^(1<<63)) }

// identityKey is a series' identity as a stored result's prefix holds it.
func identityKey(r Record) []byte { return appendIdentity(nil, r.identity()) }

// splitIdentity returns the fields of an identity key; ok is false unless
// it is exactly five fields.
func splitIdentity(k []byte) (ids [identityFields][]byte, ok bool) {
	ids, rest, err := splitResult(k)
	return ids, err == nil && len(rest) == 0
}

// openBlock is a series' block of the hour in progress: the minutes done
// and the one results are arriving in.
type openBlock struct {
	hour int64
	done []minute // sorted by minute
	cur  openMinute
}

// add counts one result at minute at of the block's hour.
func (o *openBlock) add(at int, r rollupFields) {
	switch {
	case at == o.cur.at || o.cur.results == 0:
		o.cur.at = at
		o.cur.add(r)
	case at > o.cur.at:
		o.done = append(o.done, o.cur.closed())
		o.cur = openMinute{minute: minute{at: at}}
		o.cur.add(r)
	default: // a late result for a minute already closed: its counts, its RTT as the minute's if it had none
		var late openMinute
		late.at = at
		late.add(r)
		o.done = mergeMinutes(o.done, []minute{late.closed()})
	}
}

// minutes are all the block's minutes, the open one closed.
func (o *openBlock) minutes() []minute {
	if o.cur.results == 0 {
		return o.done
	}
	return mergeMinutes(o.done, []minute{o.cur.closed()})
}

// An open block is stored as: uvarint hour (sign-flipped), uvarint length
// and the done minutes as a block, then the open minute: its minute byte,
// uvarint results, failed, sent, received, a count byte and its RTT codes.
func (o *openBlock) encode() []byte {
	done := encodeBlock(o.done)
	c := o.cur
	buf := make([]byte, 0, 2*binary.MaxVarintLen64+len(done)+1+4*binary.MaxVarintLen64+1+len(c.rtts))
	buf = binary.AppendUvarint(buf, uint64(o.hour)^(1<<63))
	buf = binary.AppendUvarint(buf, uint64(len(done)))
	buf = append(buf, done...)
	buf = append(buf, byte(c.at))
	for _, v := range []int{c.results, c.failed, c.sent, c.received} {
		buf = binary.AppendUvarint(buf, uint64(v))
	}
	buf = append(buf, byte(len(c.rtts)))
	return append(buf, c.rtts...)
}

func decodeOpen(b []byte) (*openBlock, error) {
	h, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errBadBlock
	}
	b = b[n:]
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, errBadBlock
	}
	done, err := decodeBlock(b[n : n+int(l)])
	if err != nil {
		return nil, err
	}
	o := &openBlock{hour: int64(h ^ (1 << 63)), done: done}
	b = b[n+int(l):]
	if len(b) < 1 || b[0] > 59 {
		return nil, errBadBlock
	}
	o.cur.at, b = int(b[0]), b[1:]
	for _, p := range []*int{&o.cur.results, &o.cur.failed, &o.cur.sent, &o.cur.received} {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > 1<<31 {
			return nil, errBadBlock
		}
		*p, b = int(v), b[n:]
	}
	if len(b) < 1 || int(b[0]) != len(b)-1 || len(b)-1 > maxOpenRTTs {
		return nil, errBadBlock
	}
	// Aliases the stored value, read-only: capped, so that an append copies.
	o.cur.rtts = b[1:len(b):len(b)]
	return o, nil
}

// mergeMinutes merges two sorted minute lists; a minute in both adds up,
// its p50 taken from the side with more results and its p99 the higher.
func mergeMinutes(a, b []minute) []minute {
	out := make([]minute, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0].at < b[0].at):
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0 || b[0].at < a[0].at:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, addMinutes(a[0], b[0])), a[1:], b[1:]
		}
	}
	return out
}

func addMinutes(x, y minute) minute {
	m := minute{at: x.at, results: x.results + y.results, failed: x.failed + y.failed,
		sent: x.sent + y.sent, received: x.received + y.received, p50: x.p50, p99: max(x.p99, y.p99)}
	if x.p50 == 0 || (y.p50 != 0 && y.results > x.results) {
		m.p50 = y.p50
	}
	return m
}

// rollup counts r in its series' open block, sealing the block of an
// earlier hour first. A result for an hour before the open one (a
// straggler past the hour's end) is left out of the rollups.
func (w txWriter) rollup(r Record, f rollupFields) error {
	id := identityKey(r)
	hour := hourOf(r.Time)
	var o *openBlock
	if v := w.openRollups.Get(id); v != nil {
		var err error
		if o, err = decodeOpen(v); err != nil {
			return fmt.Errorf("decoding the open rollup of %s: %w", r.SeriesKey(), err)
		}
	}
	switch {
	case o != nil && hour < o.hour:
		return nil
	case o != nil && hour > o.hour:
		if err := w.seal(id, o); err != nil {
			return err
		}
		o = nil
	}
	if o == nil {
		o = &openBlock{hour: hour}
	}
	o.add(r.Time.UTC().Minute(), f)
	if err := w.openRollups.Put(id, o.encode()); err != nil {
		return fmt.Errorf("storing the open rollup of %s: %w", r.SeriesKey(), err)
	}
	return nil
}

// seal writes o as its hour's sealed block (merged with one sealed
// before, if a result for that hour came after Prune sealed it).
func (w txWriter) seal(id []byte, o *openBlock) error {
	key := append(hourKey(o.hour), id...)
	ms := o.minutes()
	if v := w.rollups.Get(key); v != nil {
		old, err := decodeBlock(v)
		if err != nil {
			return fmt.Errorf("decoding rollup block %x: %w", key, err)
		}
		ms = mergeMinutes(old, ms)
	}
	if len(ms) == 0 {
		return nil
	}
	if err := w.rollups.Put(key, encodeBlock(ms)); err != nil {
		return fmt.Errorf("storing rollup block: %w", err)
	}
	return nil
}

// rollupOf is what a rollup counts of r.
func rollupOf(r Record) rollupFields {
	f := rollupFields{Passed: r.Passed, DurationSeconds: r.DurationSeconds}
	f.Details.Sent, f.Details.Received = int(number(r.Details["sent"])), int(number(r.Details["received"]))
	f.Details.RTTSeconds = number(r.Details["rtt_seconds"])
	return f
}

func number(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case int32:
		return float64(n)
	case uint64:
		return float64(n)
	case uint32:
		return float64(n)
	case float64:
		return n
	case float32:
		return float64(n)
	}
	return 0
}

// sealIdle seals the open blocks of hours before now's: series whose
// results stopped (a peer gone, a check removed) within an hour.
func sealIdle(tx *bolt.Tx, now time.Time) (int, error) {
	w := txWriter{rollups: tx.Bucket(bucketRollups), openRollups: tx.Bucket(bucketOpen)}
	w.rollups.FillPercent = appendFill
	current := hourOf(now)
	type idle struct {
		id []byte
		o  *openBlock
	}
	var todo []idle
	err := w.openRollups.ForEach(func(k, v []byte) error {
		o, err := decodeOpen(v)
		if err != nil {
			return fmt.Errorf("decoding the open rollup %x: %w", k, err)
		}
		if o.hour < current {
			todo = append(todo, idle{bytes.Clone(k), o})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, it := range todo {
		if err := w.seal(it.id, it.o); err != nil {
			return 0, err
		}
		if err := w.openRollups.Delete(it.id); err != nil {
			return 0, fmt.Errorf("deleting an open rollup: %w", err)
		}
	}
	return len(todo), nil
}

// blockBucket accumulates the minutes of one rollup bucket.
type blockBucket struct {
	results, failed, sent, received int
	p50s                            []weighted // each minute's p50, by its results
	p99                             uint8
}

type weighted struct {
	code uint8
	n    int
}

func (b *blockBucket) add(m minute) {
	b.results += m.results
	b.failed += m.failed
	b.sent += m.sent
	b.received += m.received
	if m.p50 > 0 {
		b.p50s = append(b.p50s, weighted{m.p50, m.results})
		b.p99 = max(b.p99, m.p99)
	}
}

// rollup is the bucket's summary: its p50 the results-weighted median of
// its minutes' p50s, its p99 the highest minute p99 (exact for one minute,
// an upper bound for more).
func (b *blockBucket) rollup(t time.Time) Rollup {
	r := Rollup{Time: t, Results: b.results, Failed: b.failed, Sent: b.sent, Received: b.received}
	if len(b.p50s) > 0 {
		slices.SortFunc(b.p50s, func(x, y weighted) int { return int(x.code) - int(y.code) })
		total := 0
		for _, w := range b.p50s {
			total += w.n
		}
		seen, median := 0, b.p50s[len(b.p50s)-1].code
		for _, w := range b.p50s {
			if seen += w.n; 2*seen >= total {
				median = w.code
				break
			}
		}
		r.RTTP50Seconds, r.RTTP99Seconds = ptr(rttSeconds(median)), ptr(rttSeconds(b.p99))
	}
	if b.sent > 0 {
		r.LossRatio = ptr(float64(b.sent-b.received) / float64(b.sent))
	}
	return r
}

// blockRollups is Rollups from the rollup blocks: the sealed ones of each
// hour in range (one Get per hour for a whole series, else the hour's keys
// filtered), then the open ones.
func blockRollups(ctx context.Context, tx *bolt.Tx, f Filter, step time.Duration) (map[time.Time]*blockBucket, error) {
	out := map[time.Time]*blockBucket{}
	add := func(hour int64, ms []minute) {
		start := hourStart(hour)
		for _, m := range ms {
			t := start.Add(time.Duration(m.at) * time.Minute)
			if !t.Add(time.Minute).After(f.Since) || t.After(f.Until) {
				continue
			}
			k := t.Truncate(step)
			if out[k] == nil {
				out[k] = &blockBucket{}
			}
			out[k].add(m)
		}
	}
	sealed, lead := tx.Bucket(bucketRollups), f.leadingIdentity()
	for h := hourOf(f.Since); h <= hourOf(f.Until); h++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := eachSealed(sealed, append(hourKey(h), lead...), f, func(v []byte) error {
			ms, err := decodeBlock(v)
			if err != nil {
				return fmt.Errorf("decoding a rollup block of %s: %w", hourStart(h).Format(time.RFC3339), err)
			}
			add(h, ms)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err := tx.Bucket(bucketOpen).ForEach(func(k, v []byte) error {
		if ids, ok := splitIdentity(k); !ok || !f.matchesRaw(ids) {
			return nil
		}
		o, err := decodeOpen(v)
		if err != nil {
			return fmt.Errorf("decoding an open rollup: %w", err)
		}
		if o.hour >= hourOf(f.Since) && o.hour <= hourOf(f.Until) {
			add(o.hour, o.minutes())
		}
		return nil
	})
	return out, err
}

// eachSealed calls fn with each sealed block under prefix (an hour and the
// identity fields f sets first) that f matches.
func eachSealed(b *bolt.Bucket, prefix []byte, f Filter, fn func(v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if ids, ok := splitIdentity(k[8:]); ok && f.matchesRaw(ids) {
			if err := fn(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// leadingIdentity is the start of the identity keys f can match: the
// fields it sets, in key order, up to the first it leaves open. A filter
// naming a link (source and destination) seeks straight to its series.
func (f Filter) leadingIdentity() []byte {
	var buf []byte
	for _, s := range []string{f.Source, f.Destination, f.Path, f.Probe, f.Direction} {
		if s == "" {
			break
		}
		buf = appendField(buf, s)
	}
	return buf
}

// pruneBlocks deletes the sealed blocks of hours before cutoff's.
func (s *Store) pruneBlocks(cutoff time.Time) (int, error) {
	n, err := s.deleteBefore(bucketRollups, hourKey(hourOf(cutoff)))
	if err != nil {
		return n, fmt.Errorf("pruning rollups: %w", err)
	}
	return n, nil
}

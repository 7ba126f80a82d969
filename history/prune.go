package history

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// pruneChunk bounds the keys deleted per transaction, so that pruning a long
// backlog never builds one huge transaction that blocks the writer.
const pruneChunk = 10000

// outageRetentionFactor: outages are kept this many Retentions after they
// ended, because the outage timeline is what operators look back at long
// after the raw results are gone.
const outageRetentionFactor = 4

// Pruned counts what one Prune removed.
type Pruned struct {
	Results int // raw results older than RawRetention
	Rollups int // rollup blocks of hours older than Retention
	Sealed  int // open rollup blocks of past hours sealed (series gone quiet)
	Outages int // outages that ended more than 4×Retention ago
	Series  int // last states of series idle for 4×Retention with no open outage
}

// Prune removes raw results older than now-RawRetention, the rollups of
// hours older than now-Retention, outages that ended before
// now-4×Retention, and the state of series idle since then with no open
// outage; it seals the rollup blocks of series that went quiet in an
// earlier hour. Ongoing outages are never pruned. Start calls it every
// PruneInterval; tests call it with an explicit now.
func (s *Store) Prune(now time.Time) (Pruned, error) {
	var p Pruned
	var err error
	if p.Results, err = s.pruneResults(now.Add(-s.opts.RawRetention)); err != nil {
		s.stats.prunedResults.Add(uint64(p.Results))
		return p, err
	}
	if err = s.update(OpPrune, func(tx *bolt.Tx) error {
		p.Sealed, err = sealIdle(tx, now)
		return err
	}); err != nil {
		return p, fmt.Errorf("sealing rollups: %w", err)
	}
	if p.Rollups, err = s.pruneBlocks(now.Add(-s.opts.Retention)); err != nil {
		return p, err
	}
	cutoff := now
	for range outageRetentionFactor { // not factor×Retention: that may overflow
		cutoff = cutoff.Add(-s.opts.Retention)
	}
	err = s.update(OpPrune, func(tx *bolt.Tx) error {
		var err error
		if p.Outages, err = deleteWhere(tx.Bucket(bucketOutages), func(t Transition) bool {
			return t.End != nil && t.End.Before(cutoff)
		}); err != nil {
			return err
		}
		p.Series, err = deleteStates(tx.Bucket(bucketSeries), func(st seriesState) bool {
			return st.Outage == nil && st.Time.Before(cutoff)
		})
		return err
	})
	s.stats.prunedResults.Add(uint64(p.Results))
	if err != nil {
		return Pruned{Results: p.Results, Rollups: p.Rollups, Sealed: p.Sealed}, fmt.Errorf("pruning outages: %w", err)
	}
	s.stats.prunedOutages.Add(uint64(p.Outages))
	return p, nil
}

// prune is Prune for the writer loop, which has nobody to return errors to.
func (s *Store) prune() {
	p, err := s.Prune(s.opts.Now())
	if err != nil {
		s.logFault("pruning history", OpPrune, err)
		return
	}
	if p != (Pruned{}) {
		s.log.Debug("pruned history", zap.Int("results", p.Results), zap.Int("rollups", p.Rollups),
			zap.Int("outages", p.Outages), zap.Int("series", p.Series))
	}
}

// pruneResults deletes results keyed before cutoff, in chunks.
func (s *Store) pruneResults(cutoff time.Time) (int, error) {
	n, err := s.deleteBefore(bucketResults, timeKey(cutoff, 0))
	if err != nil {
		return n, fmt.Errorf("pruning results: %w", err)
	}
	return n, nil
}

// deleteBefore deletes the keys of bucket name that sort before end, in
// chunks of pruneChunk a transaction, and returns how many.
func (s *Store) deleteBefore(name, end []byte) (int, error) {
	total := 0
	for {
		var keys [][]byte
		err := s.update(OpPrune, func(tx *bolt.Tx) error {
			b := tx.Bucket(name)
			c := b.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0 && len(keys) < pruneChunk; k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			return deleteKeys(b, keys)
		})
		if err != nil {
			return total, err
		}
		total += len(keys)
		if len(keys) < pruneChunk {
			return total, nil
		}
	}
}

// deleteWhere deletes every entry of b whose JSON value decodes to a T for
// which drop is true. Keys are collected first: deleting under a live cursor
// can skip entries.
func deleteWhere[T any](b *bolt.Bucket, drop func(T) bool) (int, error) {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var t T
		if err := decodeJSON(k, v, &t); err != nil {
			return err
		}
		if drop(t) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(keys), deleteKeys(b, keys)
}

// deleteStates is deleteWhere for the series bucket's binary states.
func deleteStates(b *bolt.Bucket, drop func(seriesState) bool) (int, error) {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		st, err := decodeState(k, v)
		if err != nil {
			return err
		}
		if drop(st) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(keys), deleteKeys(b, keys)
}

func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("deleting %q: %w", k, err)
		}
	}
	return nil
}

package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// The shape of the disk budget, for this file's and
// disk_bench_test.go's benchmarks: 100 peers × 2 paths × 4 probe kinds, a
// result each every 10 s (for 7 days, 48.4 million results).
const weekInterval = 10 * time.Second

// DiskInterval is weekInterval for the external test package.
const DiskInterval = weekInterval

var weekEnd = time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)

// DiskSeries calls fn with every series' result at one time, the n-th of
// the run first (one in 500 fails, so outages open and close), and returns
// n plus how many it made.
func DiskSeries(at time.Time, n int, fn func(Record)) int {
	for p := range 100 {
		for _, path := range []string{"overlay", "published"} {
			for _, kind := range []string{"tcp", "udp", "icmp", "peer"} {
				r := Record{Time: at, Source: "node-0", Destination: fmt.Sprintf("node-%d", p),
					Path: path, Probe: kind, Direction: DirectionOutbound, Kind: kind,
					Passed: n%500 != 7, Reachable: true, Cause: "ok", Message: "echo ok",
					DurationSeconds: 0.0012,
					Details:         map[string]any{"rtt_seconds": 0.0009 + float64(n%7)*0.0001, "sent": 4, "received": 4}}
				if !r.Passed {
					r.Cause, r.Message = "timeout", "no reply within 5s"
				}
				fn(r)
				n++
			}
		}
	}
	return n
}

// BenchmarkWeekOnDisk fills a store with that week as the agent keeps it
// under RawRetention raw: the hours before the raw window as the sealed
// rollup blocks the writer makes of them (built by the writer's own code,
// the openBlock it keeps and the seal it writes, without 48 million
// Appends), and the raw window itself through Append and the writer. It
// reports the file's size, each bucket's, and how long 7-day queries take:
// the per-minute and hourly rollups of one series, the hourly rollups of
// one peer's 8 series, and the outages.
//
//	nice -n 19 go test ./history -run '^$' -bench WeekOnDisk -benchtime 1x -count 1
func BenchmarkWeekOnDisk(b *testing.B) {
	for _, raw := range []time.Duration{15 * time.Minute, time.Hour} {
		b.Run("raw="+raw.String(), func(b *testing.B) {
			for b.Loop() {
				weekRun(b, raw)
			}
		})
	}
}

func weekRun(b *testing.B, raw time.Duration) {
	path := filepath.Join(b.TempDir(), "history.db")
	s, err := Open(path, Options{BatchSize: 4096, QueueSize: 8192, RawRetention: raw,
		Now: func() time.Time { return weekEnd }}, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rawFrom := weekEnd.Add(-raw)
	n := weekSealed(b, s, weekEnd.Add(-7*24*time.Hour), rawFrom)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	n += weekRaw(b, s, rawFrom, weekEnd)
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	since := weekEnd.Add(-7 * 24 * time.Hour)
	one := Filter{Source: "node-0", Destination: "node-7", Path: "overlay", Probe: "tcp",
		Direction: DirectionOutbound, Since: since, Until: weekEnd}
	peer := Filter{Source: "node-0", Destination: "node-7", Since: since, Until: weekEnd}
	q := func(f func() (int, error)) (time.Duration, int) {
		start := time.Now()
		got, err := f()
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(start), got
	}
	rollups := func(f Filter, step time.Duration) func() (int, error) {
		return func() (int, error) { rs, err := s.Rollups(ctx, f, step); return len(rs), err }
	}
	minuteMS, points := q(rollups(one, time.Minute))
	hourMS, _ := q(rollups(one, time.Hour))
	peerMS, _ := q(rollups(peer, time.Hour))
	outMS, _ := q(func() (int, error) {
		ts, err := s.Transitions(ctx, Filter{Since: since, Until: weekEnd, Limit: MaxLimit})
		return len(ts), err
	})
	if points < 7*24*60-60 {
		b.Fatalf("a week of one series gave %d minutes", points)
	}
	sizes := bucketSizes(b, s.db)
	cancel()
	<-done
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	mib := func(v int64) float64 { return float64(v) / (1 << 20) }
	b.ReportMetric(mib(fi.Size()), "MiB-file")
	if st, ok := fi.Sys().(*syscall.Stat_t); ok { // what the file occupies: bbolt grows it sparsely, ahead of use
		b.ReportMetric(mib(st.Blocks*512), "MiB-allocated")
	}
	b.ReportMetric(mib(sizes["rollups"]+sizes["rollup-open"]), "MiB-rollups")
	b.ReportMetric(mib(sizes["results"]), "MiB-raw")
	var all int64
	for _, v := range sizes {
		all += v
	}
	b.ReportMetric(mib(all), "MiB-buckets")
	b.ReportMetric(float64(fi.Size())/float64(n), "B/result")
	for name, d := range map[string]time.Duration{"rollups-1m-ms": minuteMS, "rollups-1h-ms": hourMS,
		"peer-1h-ms": peerMS, "outages-ms": outMS} {
		b.ReportMetric(float64(d.Microseconds())/1000, name)
	}
}

// weekSealed writes [from, until) as sealed blocks, an hour a transaction
// (the hour until falls in partly: the writer merges the rest into it when
// it seals it), and returns how many results they hold.
func weekSealed(b *testing.B, s *Store, from, until time.Time) int {
	n := 0
	for h := hourOf(from); hourStart(h).Before(until); h++ {
		blocks := map[string]*openBlock{}
		for at := hourStart(h); at.Before(hourStart(h+1)) && at.Before(until); at = at.Add(weekInterval) {
			n = DiskSeries(at, n, func(r Record) {
				id := string(identityKey(r))
				if blocks[id] == nil {
					blocks[id] = &openBlock{hour: h}
				}
				blocks[id].add(at.Minute(), rollupOf(r))
			})
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			w := txWriter{rollups: tx.Bucket(bucketRollups), openRollups: tx.Bucket(bucketOpen)}
			w.rollups.FillPercent = appendFill
			for id, o := range blocks {
				if err := w.seal([]byte(id), o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// weekRaw appends [from, until) through the writer.
func weekRaw(b *testing.B, s *Store, from, until time.Time) int {
	n := 0
	for at := from; at.Before(until); at = at.Add(weekInterval) {
		n = DiskSeries(at, n, func(r Record) {
			if err := s.Append(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		})
	}
	return n
}

// bucketSizes is the bytes of pages each top-level bucket holds.
func bucketSizes(b *testing.B, db *bolt.DB) map[string]int64 {
	out := map[string]int64{}
	err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			st := bk.Stats()
			out[string(name)] = int64(st.BranchAlloc + st.LeafAlloc)
			return nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

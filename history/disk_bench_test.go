package history_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/history"
)

// BenchmarkDiskPerResult writes -hours of that history (synthetic
// timestamps, compressed in time) into a fresh store, then reports the file
// size per stored result, the size 7 days of it would take at that rate, and
// how long a Transitions query over the whole span and a per-minute Rollups
// query of one series over it take. One iteration is the whole run.
func BenchmarkDiskPerResult(b *testing.B) {
	const hours = 1
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "history.db")
		s, err := history.Open(path, history.Options{BatchSize: 4096, QueueSize: 8192, Now: testNow}, zap.NewNop())
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Start(ctx) }()
		n := writeSynthetic(b, s, hours*time.Hour)
		if err := s.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		end := t0.Add(hours * time.Hour)
		tq := timeIt(b, func() error {
			_, err := s.Transitions(context.Background(), history.Filter{Since: t0, Until: end, Limit: history.MaxLimit})
			return err
		})
		rq := timeIt(b, func() error {
			_, err := s.Rollups(context.Background(), history.Filter{Source: "node-0", Destination: "node-7",
				Path: "overlay", Probe: "tcp", Since: t0, Until: end}, time.Minute)
			return err
		})
		cancel()
		<-done
		_ = s.Close()
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		perResult := float64(fi.Size()) / float64(n)
		week := float64(n) / float64(hours) * 24 * 7
		b.ReportMetric(perResult, "B/result")
		b.ReportMetric(perResult*week/(1<<20), "MiB/7d-extrapolated")
		b.ReportMetric(float64(tq.Microseconds())/1000, "transitions-ms")
		b.ReportMetric(float64(rq.Microseconds())/1000, "rollups-ms")
	}
}

// writeSynthetic appends span worth of results of every series
// (history.DiskSeries), in time order, and returns how many it wrote.
func writeSynthetic(b *testing.B, s *history.Store, span time.Duration) int {
	n := 0
	for at := t0; at.Before(t0.Add(span)); at = at.Add(history.DiskInterval) {
		n = history.DiskSeries(at, n, func(r history.Record) {
			if err := s.Append(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		})
	}
	return n
}

func timeIt(b *testing.B, f func() error) time.Duration {
	start := time.Now()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

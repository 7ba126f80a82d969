package history_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/history"
)

// benchStore opens a store with its writer running until b ends.
func benchStore(b *testing.B, opts history.Options) *history.Store {
	b.Helper()
	opts.Now = testNow
	s, err := history.Open(filepath.Join(b.TempDir(), "history.db"), opts, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
		_ = s.Close()
	})
	return s
}

func benchRecord(i int) history.Record {
	return history.Record{
		Time: t0.Add(time.Duration(i) * time.Millisecond), Source: "node-1",
		Destination: fmt.Sprintf("node-%d", i%20), Path: "overlay", Probe: "peer",
		Direction: history.DirectionOutbound, Kind: "peer", Passed: i%50 != 0, Reachable: true,
		Cause: "ok", Message: "echo ok", DurationSeconds: 0.0012,
		Details: map[string]any{"rtt_seconds": 0.0011, "loss_percent": 0.0},
	}
}

// BenchmarkAppend measures sustained Append throughput through batched
// commits; each batch is one fsynced bbolt transaction.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{16, 256, 1024} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := benchStore(b, history.Options{BatchSize: size})
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := s.Append(ctx, benchRecord(i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(s.Stats().Written)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkQuery measures reads over 100k stored records.
func BenchmarkQuery(b *testing.B) {
	const n = 100_000
	s := benchStore(b, history.Options{BatchSize: 4096, QueueSize: 8192})
	ctx := context.Background()
	for i := range n {
		if err := s.Append(ctx, benchRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	mid := t0.Add(n / 2 * time.Millisecond)
	cases := []struct {
		name string
		f    history.Filter
	}{
		{"newest-100", history.Filter{}},
		{"destination-100", history.Filter{Destination: "node-7"}},
		{"window-1s", history.Filter{Since: mid, Until: mid.Add(time.Second)}},
		{"newest-10000", history.Filter{Limit: history.MaxLimit}},
		{"transitions-100", history.Filter{}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if c.name == "transitions-100" {
					_, err = s.Transitions(ctx, c.f)
				} else {
					_, err = s.Query(ctx, c.f)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

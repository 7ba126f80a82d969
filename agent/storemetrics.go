package agent

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmlink/swarmlink/history"
)

// storeCollector exports the history store's counters at scrape time.
type storeCollector struct {
	store *history.Store
	descs map[string]*prometheus.Desc
}

func newStoreCollector(s *history.Store) storeCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return storeCollector{store: s, descs: map[string]*prometheus.Desc{
		"written":  d("swarmlink_history_records_written_total", "Results committed to the history store."),
		"batches":  d("swarmlink_history_batches_total", "Write transactions committed."),
		"dropped":  d("swarmlink_history_records_dropped_total", "Results lost because their batch failed to commit."),
		"errors":   d("swarmlink_history_commit_errors_total", "Batches that failed to commit."),
		"pruned":   d("swarmlink_history_records_pruned_total", "Raw results removed by retention."),
		"queued":   d("swarmlink_history_queue_length", "Results waiting for the writer."),
		"capacity": d("swarmlink_history_queue_capacity", "Size of the writer's queue."),
		"store_errors": prometheus.NewDesc("swarmlink_store_errors_total",
			"Failed writes to the history store (disk full, I/O error...), by operation.", []string{"op"}, nil),
	}}
}

// Describe sends every descriptor.
func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect reads the store's stats once.
func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.store.Stats()
	counter := func(k string, v uint64) {
		ch <- prometheus.MustNewConstMetric(c.descs[k], prometheus.CounterValue, float64(v))
	}
	counter("written", s.Written)
	counter("batches", s.Batches)
	counter("dropped", s.Dropped)
	counter("errors", s.CommitErrors)
	counter("pruned", s.PrunedResults)
	ch <- prometheus.MustNewConstMetric(c.descs["queued"], prometheus.GaugeValue, float64(s.Queued))
	ch <- prometheus.MustNewConstMetric(c.descs["capacity"], prometheus.GaugeValue, float64(s.QueueCapacity))
	for op, n := range c.store.WriteErrors() {
		ch <- prometheus.MustNewConstMetric(c.descs["store_errors"], prometheus.CounterValue, float64(n), op)
	}
}

// Package history owns swarmlink's durable, embedded store of probe results
// and of the outages (runs of failures) derived from them.
//
// Every result is one record in a bbolt database, keyed by time so that
// iteration is chronological and a reverse cursor yields newest first. Next to
// the raw results the store keeps each series' last state (a series is one
// source|destination|path|probe|direction) and, in the same write
// transaction, turns pass→fail into a new outage, fail→fail into one more
// failure of it and fail→pass into its end. Outages outlive raw results.
//
// # Durability
//
// Append only enqueues. A single writer goroutine (run by Start) commits the
// queue in batches, one bbolt transaction per batch, every FlushInterval or
// BatchSize records, whichever comes first. bbolt fsyncs every commit
// (NoSync is left false), so a committed batch survives kill -9 or power loss
// and the file is never left inconsistent. "Committed" means exactly that:
// records that were appended but not yet committed when the process dies are
// lost, at most FlushInterval worth of results. Flush waits until everything
// appended before it is committed.
//
// # Retention
//
// Raw results older than Options.RawRetention (default 15 minutes) are
// pruned. Each result also counts, in the same transaction, in its series'
// per-minute rollup block of its hour (blocks.go, minutes.go): those are
// kept for Options.Retention (default 7 days), so Rollups can chart a week
// long after the raw results are gone. Outages are pruned only once they
// ended more than 4×Retention ago, so the outage timeline stays available
// long after the individual results that made it are gone. bbolt reuses
// freed pages but never shrinks the file.
package history

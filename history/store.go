package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"
)

// Errors returned by the store; test with errors.Is.
var (
	// ErrClosed is returned by operations on a store that is closing or closed.
	ErrClosed = errors.New("history store closed")
	// ErrLocked is returned by Open when another process holds the database.
	ErrLocked = errors.New("history database is locked by another process")
)

// Bucket names. Each KV bucket is nested under bucketKV so that no name a
// caller picks can collide with the store's own buckets.
var (
	bucketResults = []byte("results")
	bucketSeries  = []byte("series")
	bucketOutages = []byte("outages")
	bucketKV      = []byte("kv")
)

// DefaultRawRetention is how long raw results are kept by default: the
// recent results a link page lists. Older ones live on as per-minute
// rollups and outages, for the whole Retention. At 100 peers × 2 paths × 4
// probes every 10 s, a week of that is about 56 MiB on disk
// (BenchmarkWeekOnDisk); every further hour of raw results about 33 MiB.
const DefaultRawRetention = 15 * time.Minute

// allocSize is how far ahead of use bbolt grows the file (its default is
// 16 MiB): the apparent size stays within this of the pages in use.
const allocSize = 4 << 20

// Options tune the store. A zero value means the default.
type Options struct {
	Retention     time.Duration    // per-minute rollups kept this long, outages 4× longer; default 7×24h, at most 100 years
	RawRetention  time.Duration    // raw results kept this long; default DefaultRawRetention, at most Retention
	FlushInterval time.Duration    // max time a record waits to be committed; default 200ms
	BatchSize     int              // records per commit at most; default 256
	QueueSize     int              // records waiting for the writer; default 10000
	PruneInterval time.Duration    // how often Start prunes; default 10m
	LockTimeout   time.Duration    // how long Open waits for the file lock; default 1s
	Now           func() time.Time // clock for zero Record.Time, pruning and Health; default time.Now

	// Fault, when set, is called before every write with its op (OpCommit,
	// OpPrune, OpRetire, OpKV); an error fails the write as a full or broken
	// disk would. It lets tests check how write faults are surfaced.
	Fault func(op string) error
}

func (o Options) withDefaults() Options {
	// Keys are UnixNano: now-Retention must stay representable (after 1677).
	o.Retention = min(orDuration(o.Retention, 7*24*time.Hour), 100*365*24*time.Hour)
	o.RawRetention = min(orDuration(o.RawRetention, DefaultRawRetention), o.Retention)
	o.FlushInterval = orDuration(o.FlushInterval, 200*time.Millisecond)
	o.PruneInterval = orDuration(o.PruneInterval, 10*time.Minute)
	o.LockTimeout = orDuration(o.LockTimeout, time.Second)
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Stats are the store's counters since Open, for metrics.
type Stats struct {
	Appended       uint64    // records accepted by Append
	Written        uint64    // records committed
	Batches        uint64    // write transactions committed
	Dropped        uint64    // records lost because their batch failed to commit
	CommitErrors   uint64    // batches that failed to commit
	PrunedResults  uint64    // raw results removed by retention
	PrunedOutages  uint64    // ended outages removed by retention
	Queued         int       // records waiting for the writer right now
	QueueCapacity  int       // Options.QueueSize
	LastCommitTime time.Time // when the last batch committed, by Options.Now; zero before
}

type counters struct {
	appended, written, batches, dropped, commitErrors atomic.Uint64
	prunedResults, prunedOutages                      atomic.Uint64
	lastCommit                                        atomic.Int64 // UnixNano
}

// Store is the history database. All methods are safe for concurrent use.
// Records are committed only while Start runs (or by Close).
type Store struct {
	db     *bolt.DB
	opts   Options
	log    *zap.Logger
	queue  chan item
	stats  counters
	faults *faults

	closing   chan struct{} // closed when Close begins: no new items
	closeOnce sync.Once
	closeErr  error

	gate sync.RWMutex // enqueuers hold R; Close holds W for its final drain

	mu      sync.Mutex // guards the writer's lifecycle below
	cancel  context.CancelFunc
	stopped chan struct{}
}

// Open opens or creates the database at path, creating its parent directory
// with mode 0700. It fails after Options.LockTimeout with ErrLocked if
// another process has the file open.
func Open(path string, opts Options, log *zap.Logger) (*Store, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating history directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.LockTimeout,
		FreelistType: bolt.FreelistMapType, // pruning frees many pages; the map scales better
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("opening history %s: %w: %w", path, ErrLocked, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening history %s: %w", path, err)
	}
	db.AllocSize = allocSize
	if err := createBuckets(db); err != nil {
		_ = db.Close() // the bucket error is the one worth returning
		return nil, err
	}
	return &Store{
		db:      db,
		opts:    opts,
		log:     log.With(zap.String("component", "history")),
		queue:   make(chan item, opts.QueueSize),
		faults:  newFaults(),
		closing: make(chan struct{}),
	}, nil
}

func createBuckets(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketResults, bucketSeries, bucketOutages, bucketKV, bucketRollups, bucketOpen} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		return nil
	})
}

// Append enqueues r for the writer. A zero r.Time is set to now. It blocks
// while the queue is full, until ctx is done. r (including Details) is
// encoded before Append returns, so the caller may reuse it.
func (s *Store) Append(ctx context.Context, r Record) error {
	if r.Time.IsZero() {
		r.Time = s.opts.Now()
	}
	data, err := encodeResult(r)
	if err != nil {
		return fmt.Errorf("encoding record: %w", err)
	}
	roll := rollupOf(r)
	r.Details = nil // the writer reads only identity, state and roll; data is authoritative
	if err := s.enqueue(ctx, item{rec: r, data: data, roll: roll}); err != nil {
		return err
	}
	s.stats.appended.Add(1)
	return nil
}

// Flush blocks until every record appended before the call is committed, and
// returns the commit error, if any. It needs Start to be running (or Close to
// be called); otherwise it waits until ctx is done.
func (s *Store) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	if err := s.enqueue(ctx, item{done: done}); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("flushing history: %w", ctx.Err())
	}
}

func (s *Store) enqueue(ctx context.Context, it item) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	select {
	case <-s.closing:
		return ErrClosed
	default:
	}
	select {
	case s.queue <- it:
		return nil
	case <-s.closing:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("queueing history record: %w", ctx.Err())
	}
}

// Stats returns a snapshot of the counters.
func (s *Store) Stats() Stats {
	st := Stats{
		Appended:      s.stats.appended.Load(),
		Written:       s.stats.written.Load(),
		Batches:       s.stats.batches.Load(),
		Dropped:       s.stats.dropped.Load(),
		CommitErrors:  s.stats.commitErrors.Load(),
		PrunedResults: s.stats.prunedResults.Load(),
		PrunedOutages: s.stats.prunedOutages.Load(),
		Queued:        len(s.queue),
		QueueCapacity: cap(s.queue),
	}
	if n := s.stats.lastCommit.Load(); n != 0 {
		st.LastCommitTime = time.Unix(0, n)
	}
	return st
}

// Close stops the writer if it runs, commits everything still queued and
// closes the database. Appends racing with Close either get committed or
// return ErrClosed. Calling Close again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	close(s.closing)
	s.mu.Lock()
	cancel, stopped := s.cancel, s.stopped
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-stopped
	}
	s.gate.Lock() // waits out enqueuers that got past the closing check
	var b batch
	s.drain(&b)
	s.gate.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing history: %w", err)
	}
	return nil
}

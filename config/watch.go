package config

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/internal/panics"
)

// ReloadStatus describes the outcome of the last reload attempt.
type ReloadStatus struct {
	File        string       `json:"file"`
	Successful  bool         `json:"successful"`
	LastAttempt time.Time    `json:"last_attempt"`
	LastSuccess time.Time    `json:"last_success"`
	Error       string       `json:"error,omitempty"`
	Errors      []FieldError `json:"errors,omitempty"`
	Generation  int64        `json:"generation"` // increments on every successful swap
	// PendingRestart lists the sections of the config in force that differ
	// from the ones the agent started with and take effect only at the next
	// restart (see SetPendingRestart).
	PendingRestart []string `json:"pending_restart,omitempty"`
}

// Watcher owns the live config: it reloads the file when it changes on disk
// or on demand (SIGHUP), and swaps a new config in only when it is valid. A
// bad reload keeps the last good config running and is reported in the log,
// in Status and in the swarmlink_config_last_reload_successful metric.
// A panic while parsing or in onChange is recovered, logged and counted in
// swarmlink_panics_total{component="config"}; the watcher keeps running.
// It is safe for concurrent use.
type Watcher struct {
	path     string
	log      *zap.Logger
	onChange func(*Config)

	mu      sync.Mutex
	current *Config
	digest  [32]byte
	status  ReloadStatus

	okGauge prometheus.Gauge
	reloads *prometheus.CounterVec
	pending *prometheus.GaugeVec
	panics  prometheus.Counter
}

// NewWatcher returns a watcher for path, starting from the already loaded
// initial config. onChange is called (from the watcher's goroutine) after
// every successful swap.
func NewWatcher(path string, initial *Config, log *zap.Logger, reg prometheus.Registerer, onChange func(*Config)) *Watcher {
	w := &Watcher{path: path, log: log.With(zap.String("component", "config")), onChange: onChange, current: initial,
		okGauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "swarmlink_config_last_reload_successful",
			Help: "Whether the last config reload succeeded (1) or failed and the previous config is still running (0)."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "swarmlink_config_reloads_total",
			Help: "Config reload attempts by result."}, []string{"result"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "swarmlink_config_pending_restart",
			Help: "Whether a config section was changed by a reload and takes effect only at the next restart (1)."},
			[]string{"section"}),
		panics: panics.Counter(reg).WithLabelValues("config"),
	}
	if data, err := os.ReadFile(path); err == nil {
		w.digest = sha256.Sum256(data)
	}
	now := time.Now()
	w.status = ReloadStatus{File: path, Successful: true, LastAttempt: now, LastSuccess: now, Generation: 1}
	w.okGauge.Set(1)
	if reg != nil {
		reg.MustRegister(w.okGauge, w.reloads, w.pending)
	}
	return w
}

// Current returns the config in force.
func (w *Watcher) Current() *Config {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.current
}

// Status returns the outcome of the last reload attempt.
func (w *Watcher) Status() ReloadStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Reload parses and validates the file and swaps it in when valid. An
// unchanged file is not swapped (force ignores that), but it clears a failure
// reported before: the file in force is on disk again. It returns the
// validation error, if any; the previous config stays in force then.
func (w *Watcher) Reload(force bool) error {
	data, err := readFile(w.path)
	if err == nil && !force && sha256.Sum256(data) == w.digestNow() {
		w.restored()
		return nil
	}
	var c *Config
	if err == nil {
		c, err = w.parse(data)
	}
	w.record(c, data, err)
	if err != nil {
		return err
	}
	w.notify(c)
	return nil
}

// parse is Parse with any panic turned into an error: a bug in validation
// must fail one reload, not stop the agent.
func (w *Watcher) parse(data []byte) (c *Config, err error) {
	defer func() {
		if p := recover(); p != nil {
			w.panics.Inc()
			w.log.Error("config parser panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			c, err = nil, fmt.Errorf("parsing config %s: internal error (recovered panic: %v)", w.path, p)
		}
	}()
	return Parse(w.path, data)
}

// notify calls onChange, recovering a panic in it.
func (w *Watcher) notify(c *Config) {
	if w.onChange == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			w.panics.Inc()
			w.log.Error("config change hook panicked; the new config is in force", zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
		}
	}()
	w.onChange(c)
}

// restored clears a reported failure when the file is the config in force
// again (such as the last good file written back after a bad edit).
func (w *Watcher) restored() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status.Successful {
		return
	}
	now := time.Now()
	w.status.Successful, w.status.Error, w.status.Errors = true, "", nil
	w.status.LastAttempt, w.status.LastSuccess = now, now
	w.okGauge.Set(1)
	w.reloads.WithLabelValues("success").Inc()
	w.log.Info("config file is the config in force again; reload failure cleared",
		zap.Int64("generation", w.status.Generation))
}

// SetPendingRestart records the sections that changed but take effect only
// at the next restart (decided by the caller, which knows what it built at
// start), in Status and in swarmlink_config_pending_restart{section}.
func (w *Watcher) SetPendingRestart(sections []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.status.PendingRestart {
		w.pending.WithLabelValues(s).Set(0)
	}
	w.status.PendingRestart = slices.Sorted(slices.Values(sections))
	for _, s := range w.status.PendingRestart {
		w.pending.WithLabelValues(s).Set(1)
	}
}

func (w *Watcher) digestNow() [32]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.digest
}

func (w *Watcher) record(c *Config, data []byte, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status.LastAttempt = time.Now()
	if err != nil {
		w.status.Successful, w.status.Error, w.status.Errors = false, err.Error(), nil
		if ce, ok := err.(*Error); ok {
			w.status.Errors = ce.Errors
		}
		w.status = w.status.redacted()
		w.okGauge.Set(0)
		w.reloads.WithLabelValues("failure").Inc()
		w.log.Error("config reload failed; keeping the last good config", zap.String("error", w.status.Error))
		return
	}
	w.current, w.digest = c, sha256.Sum256(data)
	w.status = ReloadStatus{File: w.path, Successful: true, LastAttempt: w.status.LastAttempt,
		LastSuccess: w.status.LastAttempt, Generation: w.status.Generation + 1,
		PendingRestart: w.status.PendingRestart}
	w.okGauge.Set(1)
	w.reloads.WithLabelValues("success").Inc()
	w.log.Info("config reloaded", zap.Int("probes", len(c.Probes)), zap.Int64("generation", w.status.Generation))
}

// Start watches the file's directory (so editors' atomic renames and Swarm
// config symlink swaps are seen) and reloads on change, and on every value
// received from hup (SIGHUP, wired by main; a forced reload). Bursts of
// events are collapsed. It blocks until ctx is done.
//
// When inotify is not to be had (fs.inotify.max_user_instances, 128 by
// default, is shared by every process of the user: 200 agents on one host
// run out), it polls the file's size, time and inode every PollInterval
// instead and says so once; the agent runs either way.
func (w *Watcher) Start(ctx context.Context, hup <-chan os.Signal) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	var poll <-chan time.Time
	fw, err := w.notifier()
	if err != nil {
		w.log.Warn("config file not watched by inotify; polling it instead", zap.Error(err),
			zap.Duration("every", PollInterval))
		t := time.NewTicker(PollInterval)
		defer t.Stop()
		poll = t.C
	} else {
		defer fw.Close()
		events, errs = fw.Events, fw.Errors
	}
	seen := statOf(w.path)
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			w.log.Info("SIGHUP: reloading config")
			_ = w.Reload(true) // the outcome is logged and kept in Status
		case ev := <-events:
			if filepath.Clean(ev.Name) == filepath.Clean(w.path) || ev.Op&fsnotify.Create != 0 {
				debounce.Reset(100 * time.Millisecond)
			}
		case err := <-errs:
			w.log.Warn("config watch error", zap.Error(err))
		case <-poll:
			if now := statOf(w.path); now != seen {
				seen = now
				_ = w.Reload(false)
			}
		case <-debounce.C:
			_ = w.Reload(false)
		}
	}
}

// PollInterval is how often a config file that inotify cannot watch is
// looked at.
var PollInterval = 2 * time.Second

// newNotifier makes the inotify watcher; a variable so a spec can take
// inotify away.
var newNotifier = fsnotify.NewWatcher

// notifier watches the config file's directory.
func (w *Watcher) notifier() (*fsnotify.Watcher, error) {
	fw, err := newNotifier()
	if err != nil {
		return nil, fmt.Errorf("watching config: %w", err)
	}
	if err := fw.Add(filepath.Dir(w.path)); err != nil {
		fw.Close()
		return nil, fmt.Errorf("watching config dir %s: %w", filepath.Dir(w.path), err)
	}
	return fw, nil
}

// fileStat is what polling compares: a rename or a rewrite changes one.
type fileStat struct {
	size  int64
	mtime int64
	ino   uint64
	err   bool
}

func statOf(path string) fileStat {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStat{err: true}
	}
	st := fileStat{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st
}

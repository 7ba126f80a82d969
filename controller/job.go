package controller

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/probes"
)

// job is one running, scheduled check. Its due time belongs to whoever
// holds the job: the queue, or the one worker running it.
type job struct {
	check  Check
	hash   uint64
	gen    int64
	sched  Schedule
	due    time.Time
	index  int // in the queue's heap; -1 when not there (guarded by the queue's lock)
	ctx    context.Context
	cancel context.CancelFunc
}

// startJob starts a job for chk; c.mu must be held.
func (c *Controller) startJob(parent context.Context, chk Check, hash uint64, gen int64) {
	sched, err := NewSchedule(chk)
	now := c.clock.Now()
	st := newCheckState(chk, hash, gen, now)
	c.states[chk.Key] = st
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	j := &job{check: chk, hash: hash, gen: gen, sched: sched, ctx: ctx, cancel: cancel, index: -1}
	c.jobs[chk.Key] = j
	if err != nil {
		c.log.Error("check has no valid schedule; not running it", zap.String("key", chk.Key), zap.Error(err))
		return
	}
	c.startScheduler()
	j.due = sched.First(now)
	st.status.NextRun = j.due
	c.q.add(j)
}

// startScheduler starts the scheduler and its workers unless they run;
// c.mu must be held.
func (c *Controller) startScheduler() {
	if c.stopSched != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.stopSched = cancel
	c.wg.Add(1 + c.opts.MaxConcurrent)
	go func() {
		defer c.wg.Done()
		c.schedule(ctx)
	}()
	for range c.opts.MaxConcurrent {
		go func() {
			defer c.wg.Done()
			c.work(ctx)
		}()
	}
}

// stopJob cancels j and takes it out of the queue; it does not wait (a run
// in progress ends early and its result is dropped).
func (c *Controller) stopJob(j *job) {
	j.cancel()
	c.q.remove(j)
}

func (c *Controller) stopAll() {
	c.mu.Lock()
	for _, j := range c.jobs {
		j.cancel()
	}
	if c.stopSched != nil {
		c.stopSched()
		c.stopSched = nil
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *Controller) setNextRun(j *job, due time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.states[j.check.Key]; ok && st.generation == j.gen {
		st.status.NextRun = due
	}
}

// runJob runs the check once and records the result.
func (c *Controller) runJob(ctx context.Context, j *job) {
	r, panicked := c.RunCheck(ctx, j.check)
	if ctx.Err() != nil {
		return // stopped mid-probe: the result says nothing about the link
	}
	c.mu.Lock()
	if st, ok := c.states[j.check.Key]; ok && st.generation == j.gen {
		st.observe(r, j.gen, c.clock.Now())
		if panicked {
			st.status.Panics++
		}
	}
	c.mu.Unlock()
	if c.opts.Sink != nil {
		c.opts.Sink.Record(ctx, j.check, r)
	}
}

// RunCheck runs chk once now, bounded by the controller's concurrency limit.
// A panic in the prober is recovered, counted, and turned into a result with
// cause "error"; panicked reports it.
func (c *Controller) RunCheck(ctx context.Context, chk Check) (r probes.Result, panicked bool) {
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return probes.Result{Cause: probes.CauseError, Message: "cancelled"}, false
	}
	defer func() {
		if p := recover(); p != nil {
			c.m.panics.Inc()
			c.log.Error("probe panicked", zap.String("key", chk.Key), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
			r = probes.Evaluate(chk.Spec, probes.Result{Cause: probes.CauseError,
				Message: fmt.Sprintf("probe panicked: %v", p), Started: c.clock.Now()})
			panicked = true
		}
	}()
	p, err := c.opts.Probers.Get(chk.Spec.Kind)
	if err != nil {
		return probes.Evaluate(chk.Spec, probes.Result{Cause: probes.CauseError, Message: err.Error()}), false
	}
	return probes.Run(ctx, p, chk.Spec), false
}

// RunAll runs every currently desired check once, concurrently (bounded),
// and returns the results keyed by check key. It is what verify and the
// nightly full verification use.
func (c *Controller) RunAll(ctx context.Context) map[string]Outcome {
	checks := c.desired(ctx)
	out := make(map[string]Outcome, len(checks))
	results := make(chan Outcome, len(checks))
	for _, chk := range checks {
		go func() {
			r, _ := c.RunCheck(ctx, *chk)
			results <- Outcome{Check: *chk, Result: r}
		}()
	}
	for range checks {
		o := <-results
		out[o.Check.Key] = o
	}
	return out
}

// Outcome is one check's result from RunAll.
type Outcome struct {
	Check  Check         `json:"check"`
	Result probes.Result `json:"result"`
}

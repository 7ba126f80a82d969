package controller

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// DefaultResolution is how far apart, at most, the scheduler wakes for runs
// that are due close together: one wake-up starts every run due within it.
const DefaultResolution = 20 * time.Millisecond

// MaxResolution bounds Options.Resolution: a coarser batch would bunch the
// spread-out checks together again.
const MaxResolution = 100 * time.Millisecond

// queue holds every job's next run. One scheduler goroutine sleeps until
// the earliest is due and hands the due jobs to a fixed pool of workers,
// instead of one goroutine and one timer per job: at thousands of checks
// the per-job timers and wake-ups cost more CPU than the probes, and the
// per-job stacks most of the memory.
//
// A stopped job leaves the heap at once (remove), so that checks restarted
// often do not pile up stale entries until their due times; one stopped
// while a worker runs it is dropped by the worker.
type queue struct {
	mu   sync.Mutex
	jobs jobHeap
	poke chan struct{} // capacity 1: a job was added as the earliest
	runs chan *job     // due jobs, to the workers
}

func newQueue(workers int) *queue {
	return &queue{poke: make(chan struct{}, 1), runs: make(chan *job, 4*workers)}
}

// add schedules j at j.due. The scheduler is woken only when j is the new
// earliest: the wake-up it has armed covers every later one, and waking it
// for each of the thousands of runs a minute put back after their run was
// as many goroutine switches as runs.
func (q *queue) add(j *job) {
	q.mu.Lock()
	heap.Push(&q.jobs, j)
	first := j.index == 0
	q.mu.Unlock()
	if !first {
		return
	}
	select {
	case q.poke <- struct{}{}:
	default:
	}
}

// remove takes j out of the heap if it is there.
func (q *queue) remove(j *job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if j.index >= 0 {
		heap.Remove(&q.jobs, j.index)
	}
}

// len is the number of jobs waiting in the heap.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs)
}

// earliest is the due time of the first job, false when there is none.
func (q *queue) earliest() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) == 0 {
		return time.Time{}, false
	}
	return q.jobs[0].due, true
}

// popDue removes and returns the first job if it is due by until.
func (q *queue) popDue(until time.Time) *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) == 0 || q.jobs[0].due.After(until) {
		return nil
	}
	return heap.Pop(&q.jobs).(*job)
}

// schedule wakes when the earliest run is due and dispatches every run due
// within the resolution, until ctx is done. It arms at most one wake-up at
// a time, and a new one only when a job added sooner than it.
func (c *Controller) schedule(ctx context.Context) {
	var wake <-chan time.Time
	var armed time.Time
	for {
		if next, ok := c.q.earliest(); ok && (wake == nil || next.Before(armed)) {
			armed, wake = next, c.clock.After(next.Sub(c.clock.Now()))
		}
		select {
		case <-ctx.Done():
			return
		case <-c.q.poke:
			continue
		case <-wake:
			wake = nil
		}
		if !c.dispatch(ctx, c.clock.Now().Add(c.opts.Resolution)) {
			return
		}
	}
}

// dispatch hands every job due by until to the workers, dropping stopped
// ones. It waits when every worker is busy (the concurrency limit is the
// bottleneck then, and runs are late whoever waits); false when ctx ended.
func (c *Controller) dispatch(ctx context.Context, until time.Time) bool {
	for j := c.q.popDue(until); j != nil; j = c.q.popDue(until) {
		if j.ctx.Err() != nil {
			continue
		}
		select {
		case c.q.runs <- j:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// work runs the jobs it is handed and puts each back at its next run time,
// until ctx is done. A job is in the queue, in the channel or with one
// worker, never two places: it never runs concurrently with itself.
func (c *Controller) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-c.q.runs:
			if j.ctx.Err() != nil {
				continue // stopped while waiting for a worker
			}
			c.m.lateness.Observe(max(c.clock.Now().Sub(j.due), 0).Seconds())
			c.runJob(j.ctx, j)
			if j.ctx.Err() != nil {
				continue
			}
			// A run may start up to a resolution early: a cron schedule asked
			// for the next time after "now" would give the same due time again.
			j.due = j.sched.Next(j.due, later(c.clock.Now(), j.due))
			c.setNextRun(j, j.due)
			c.q.add(j)
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// jobHeap is a min-heap of jobs by due time (container/heap). Each job
// knows its index while it is in the heap, -1 otherwise; both change only
// under the queue's lock.
type jobHeap []*job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, k int) bool { return h[i].due.Before(h[k].due) }

func (h jobHeap) Swap(i, k int) {
	h[i], h[k] = h[k], h[i]
	h[i].index, h[k].index = i, k
}

func (h *jobHeap) Push(x any) {
	j := x.(*job)
	j.index = len(*h)
	*h = append(*h, j)
}

func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	j.index = -1
	*h = old[:len(old)-1]
	return j
}

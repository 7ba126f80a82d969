package controller

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/internal/clocktest"
	"github.com/swarmlink/swarmlink/probes"
)

// TestEarlyCronRunIsNotRepeated: a run dispatched up to a resolution before
// its due time (with the wake-up of an earlier job) must not leave the cron
// schedule due at the same time again.
func TestEarlyCronRunIsNotRepeated(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := clocktest.New(start)
	var runs atomic.Int64
	c := New(Options{Clock: clock, Probers: probes.Registry{"fake": probes.ProberFunc(
		func(context.Context, probes.Spec) probes.Result {
			runs.Add(1)
			return probes.Result{Reachable: true, Cause: probes.CauseOK}
		})}})
	defer c.Stop()
	c.mu.Lock()
	c.startJob(context.Background(), Check{Key: "nightly", Cron: "0 3 * * *", TimeZone: "UTC",
		Spec: probes.Spec{Name: "nightly", Kind: "fake", Expect: probes.ExpectReachable}}, 1, 1)
	c.mu.Unlock()

	clock.Advance(3*time.Hour - 10*time.Millisecond) // no wake-up yet: it is armed for 03:00
	if !c.dispatch(context.Background(), clock.Now().Add(DefaultResolution)) {
		t.Fatal("dispatch stopped")
	}
	wantNext := start.Add(27 * time.Hour)
	waitFor(t, func() bool { return runs.Load() == 1 && c.Checks()[0].Status.NextRun.Equal(wantNext) })
	clock.Advance(20 * time.Millisecond) // past 03:00: the armed wake-up fires
	time.Sleep(50 * time.Millisecond)
	if n := runs.Load(); n != 1 {
		t.Fatalf("ran %d times by 03:00:00.01, want 1", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStoppedJobsLeaveTheQueue: restarting or removing checks leaves no
// stale entries behind to wait for their due times.
func TestStoppedJobsLeaveTheQueue(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	checks := make([]Check, 100)
	for i := range checks {
		checks[i] = Check{Key: "k" + itoa(i), Interval: time.Hour,
			Spec: probes.Spec{Name: "n", Kind: "fake", Target: "a", Expect: probes.ExpectReachable}}
	}
	src := SourceFunc{SourceName: "s", Fn: func(context.Context) ([]Check, error) { return checks, nil }}
	c := New(Options{Clock: clock, Sources: []Source{src}, Probers: probes.Registry{"fake": probes.ProberFunc(
		func(context.Context, probes.Spec) probes.Result { return probes.Result{Cause: probes.CauseOK} })}})
	defer c.Stop()
	c.Reconcile(context.Background())
	for i := range checks {
		checks[i].Spec.Target = "b"
	}
	if r := c.Reconcile(context.Background()); len(r.Restarted) != len(checks) {
		t.Fatalf("restarted %d", len(r.Restarted))
	}
	if n := c.q.len(); n != len(checks) {
		t.Fatalf("%d jobs queued after restarting %d", n, len(checks))
	}
	checks = checks[:10]
	c.Reconcile(context.Background())
	if n := c.q.len(); n != 10 {
		t.Fatalf("%d jobs queued for 10 checks", n)
	}
}

// TestAddWakesTheSchedulerForANewEarliestOnly: a job put back after its run
// (due later than the earliest) must not wake the scheduler; one due sooner
// than every other must.
func TestAddWakesTheSchedulerForANewEarliestOnly(t *testing.T) {
	q := newQueue(1)
	now := time.Now()
	woken := func() bool {
		select {
		case <-q.poke:
			return true
		default:
			return false
		}
	}
	q.add(&job{due: now.Add(time.Second), index: -1})
	if !woken() {
		t.Fatal("the first job did not wake the scheduler")
	}
	q.add(&job{due: now.Add(2 * time.Second), index: -1})
	if woken() {
		t.Fatal("a job due after the earliest woke the scheduler")
	}
	q.add(&job{due: now, index: -1})
	if !woken() {
		t.Fatal("a new earliest job did not wake the scheduler")
	}
	if got := q.popDue(now); got == nil || !got.due.Equal(now) {
		t.Fatalf("popDue = %v, want the earliest", got)
	}
}

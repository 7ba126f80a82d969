package controller

import (
	"context"
	"runtime/debug"

	"go.uber.org/zap"
)

// NamedRun is a cron-scheduled action that is not a single check, such as
// the nightly full verification.
type NamedRun struct {
	Name     string
	Cron     string
	TimeZone string
	Run      func(ctx context.Context, name string)
}

// RunNamed fires every run on its schedule (with the controller's clock, so
// tests can use a fake one) until ctx is done. A panic in a run is recovered
// and counted. It blocks until ctx is done.
func (c *Controller) RunNamed(ctx context.Context, runs []NamedRun) error {
	done := make(chan struct{}, len(runs))
	for _, r := range runs {
		sched, err := NewSchedule(Check{Key: "schedule/" + r.Name, Cron: r.Cron, TimeZone: r.TimeZone})
		if err != nil {
			return err
		}
		go func() {
			defer func() { done <- struct{}{} }()
			c.namedLoop(ctx, r, sched)
		}()
	}
	for range runs {
		<-done
	}
	return nil
}

func (c *Controller) namedLoop(ctx context.Context, r NamedRun, sched Schedule) {
	due := sched.First(c.clock.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.clock.After(due.Sub(c.clock.Now())):
		}
		c.log.Info("named run firing", zap.String("run", r.Name))
		c.safeRun(ctx, r)
		due = sched.Next(due, c.clock.Now())
	}
}

func (c *Controller) safeRun(ctx context.Context, r NamedRun) {
	defer func() {
		if p := recover(); p != nil {
			c.m.panics.Inc()
			c.log.Error("named run panicked", zap.String("run", r.Name), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
		}
	}()
	r.Run(ctx, r.Name)
}

// Stop stops every job and waits for them; Start does this on its own when
// its context ends. For callers that used Reconcile directly.
func (c *Controller) Stop() { c.stopAll() }

package controller_test

import (
	"context"
	"sync"
	"time"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/internal/clocktest"
	"github.com/swarmlink/swarmlink/probes"
)

// fakeClock is the shared manual clock.
type fakeClock = clocktest.Fake

func newFakeClock(t time.Time) *fakeClock { return clocktest.New(t) }

// staticSource returns whatever it was last given.
type staticSource struct {
	mu     sync.Mutex
	checks []controller.Check
	err    error
}

func (s *staticSource) Name() string { return "static" }

func (s *staticSource) Desired(context.Context) ([]controller.Check, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]controller.Check(nil), s.checks...), s.err
}

func (s *staticSource) set(err error, checks ...controller.Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks, s.err = checks, err
}

// panickySource returns its checks, or panics while told to.
type panickySource struct {
	mu     sync.Mutex
	checks []controller.Check
	panics bool
}

func (s *panickySource) Name() string { return "panicky" }

func (s *panickySource) Desired(context.Context) ([]controller.Check, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.panics {
		panic("source bug")
	}
	return append([]controller.Check(nil), s.checks...), nil
}

// set makes Desired panic (or not) and, when checks are given, return them.
func (s *panickySource) set(panics bool, checks ...controller.Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.panics = panics
	if checks != nil {
		s.checks = checks
	}
}

// countingProber records how often each check name ran.
type countingProber struct {
	mu     sync.Mutex
	runs   map[string]int
	result probes.Result
	panic  bool
}

func (p *countingProber) Probe(_ context.Context, spec probes.Spec) probes.Result {
	p.mu.Lock()
	p.runs[spec.Name]++
	r, boom := p.result, p.panic
	p.mu.Unlock()
	if boom {
		panic("prober exploded")
	}
	return r
}

func (p *countingProber) count(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runs[name]
}

// recordingSink collects results and forgotten checks.
type recordingSink struct {
	mu        sync.Mutex
	results   []probes.Result
	forgotten []string
}

func (s *recordingSink) Record(_ context.Context, _ controller.Check, r probes.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results = append(s.results, r)
}

func (s *recordingSink) Forget(c controller.Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgotten = append(s.forgotten, c.Key)
}

func (s *recordingSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.results)
}

func check(name string, interval time.Duration) controller.Check {
	return controller.Check{Key: "test/" + name, Origin: "test",
		Link:     controller.Link{Source: "me", Destination: "there", Path: "direct"},
		Spec:     probes.Spec{Name: name, Kind: "fake", Target: "x", Timeout: time.Second, Expect: probes.ExpectReachable},
		Interval: interval}
}

package history_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/swarmlink/swarmlink/history"
)

// faultyDisk fails the writes of the ops it is told to, as a full disk.
type faultyDisk struct {
	mu   sync.Mutex
	ops  map[string]bool
	now  time.Time
	fail error
}

func (d *faultyDisk) fault(op string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ops[op] {
		return d.fail
	}
	return nil
}

func (d *faultyDisk) set(ops ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ops = map[string]bool{}
	for _, op := range ops {
		d.ops[op] = true
	}
}

func (d *faultyDisk) clock() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.now
}

func (d *faultyDisk) advance(by time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = d.now.Add(by)
}

var _ = Describe("write faults", func() {
	var (
		disk *faultyDisk
		s    *history.Store
		logs *observer.ObservedLogs
		ctx  = context.Background()
	)
	BeforeEach(func() {
		disk = &faultyDisk{now: t0, fail: fmt.Errorf("writing page: %w", syscall.ENOSPC)}
		core, observed := observer.New(zap.DebugLevel)
		logs = observed
		var err error
		s, err = history.Open(dbPath(), history.Options{Now: disk.clock, Fault: disk.fault,
			PruneInterval: time.Hour}, zap.New(core))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		done := make(chan error, 1)
		runCtx, cancel := context.WithCancel(ctx)
		go func() { done <- s.Start(runCtx) }()
		DeferCleanup(func() { cancel(); Eventually(done).Should(Receive(BeNil())) })
	})
	commit := func(sec int) error { // one record, committed at once
		Expect(s.Append(ctx, rec(sec, "b", true, "ok"))).To(Succeed())
		return s.Flush(ctx)
	}

	It("reports failing writes in Health and counts them by op, and clears when writes succeed again", func() {
		Expect(commit(0)).To(Succeed())
		Expect(s.Health()).To(Equal(history.Health{OK: true}))

		disk.set(history.OpCommit)
		Expect(commit(1)).To(MatchError(syscall.ENOSPC))
		disk.advance(time.Second)
		Expect(commit(2)).To(MatchError(syscall.ENOSPC))
		h := s.Health()
		Expect(h.OK).To(BeFalse())
		Expect(h.Op).To(Equal(history.OpCommit))
		Expect(h.LastError).To(Equal("writing page: no space left on device"))
		Expect(h.Since).To(Equal(t0), "since the first failure, not the last")
		Expect(h.Failing).To(Equal([]string{history.OpCommit}))

		disk.set(history.OpCommit, history.OpKV)
		Expect(s.Bucket("b").Put("k", 1)).To(MatchError(syscall.ENOSPC))
		Expect(s.WriteErrors()).To(Equal(map[string]uint64{"commit": 2, "kv": 1, "prune": 0, "retire": 0}))
		Expect(s.Stats().Dropped).To(BeEquivalentTo(2))

		disk.set(history.OpKV)
		disk.advance(time.Second)
		Expect(commit(3)).To(Succeed())
		Expect(s.Health().OK).To(BeFalse(), "the kv still fails")
		Expect(s.Health().Failing).To(Equal([]string{history.OpKV}))
		disk.set()
		Expect(s.Bucket("b").Put("k", 1)).To(Succeed())
		Expect(s.Health()).To(Equal(history.Health{OK: true, Since: t0.Add(2 * time.Second)}))
	})

	It("logs at most one line per error kind a minute, with the number suppressed", func() {
		disk.set(history.OpCommit)
		for i := range 10 {
			Expect(commit(i)).NotTo(Succeed())
		}
		lines := logs.FilterMessage("committing history batch")
		Expect(lines.Len()).To(Equal(1))
		Expect(lines.All()[0].ContextMap()).To(HaveKeyWithValue("suppressed", int64(0)))
		Expect(lines.All()[0].ContextMap()).To(HaveKeyWithValue("kind", "commit/no space left on device"))

		disk.mu.Lock()
		disk.fail = errors.New("database is broken") // another kind: logged at once
		disk.mu.Unlock()
		Expect(commit(10)).NotTo(Succeed())
		Expect(logs.FilterMessage("committing history batch").Len()).To(Equal(2))

		disk.mu.Lock()
		disk.fail = fmt.Errorf("writing page: %w", syscall.ENOSPC)
		disk.mu.Unlock()
		disk.advance(59 * time.Second)
		Expect(commit(11)).NotTo(Succeed())
		Expect(logs.FilterMessage("committing history batch").Len()).To(Equal(2), "still within the minute")
		disk.advance(time.Second)
		Expect(commit(12)).NotTo(Succeed())
		lines = logs.FilterMessage("committing history batch")
		Expect(lines.Len()).To(Equal(3))
		Expect(lines.All()[2].ContextMap()).To(HaveKeyWithValue("suppressed", int64(10)))
	})
})

var _ = Describe("time bounds a store key cannot hold", func() {
	It("are refused by Query and Transitions instead of wrapping around to everything", func() {
		s := startStore(dbPath(), history.Options{})
		appendAll(s, rec(0, "b", false, "timeout"))
		far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
		_, err := s.Query(context.Background(), history.Filter{Since: far})
		Expect(err).To(MatchError(history.ErrTimeRange))
		_, err = s.Transitions(context.Background(), history.Filter{Until: far})
		Expect(err).To(MatchError(history.ErrTimeRange))
		_, err = s.Query(context.Background(), history.Filter{Until: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)})
		Expect(err).To(MatchError(history.ErrTimeRange))
		got, err := s.Query(context.Background(), history.Filter{Since: t0.Add(-time.Hour)})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(1))
	})
})

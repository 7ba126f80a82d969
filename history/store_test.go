package history_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/history"
)

var _ = Describe("Query", func() {
	var s *history.Store

	BeforeEach(func() {
		s = startStore(dbPath(), history.Options{})
		r := func(sec int, src, dst, path, probe, dir string) history.Record {
			return history.Record{Time: t0.Add(time.Duration(sec) * time.Second), Source: src,
				Destination: dst, Path: path, Probe: probe, Direction: dir, Message: fmt.Sprint("r", sec)}
		}
		appendAll(s,
			r(0, "a", "b", "direct", "tcp", "outbound"),
			r(1, "a", "c", "overlay", "peer", "outbound"),
			r(2, "a", "b", "overlay", "peer", "inbound"),
			r(3, "x", "b", "published", "http", "outbound"),
			r(4, "a", "b", "direct", "tcp", "outbound"),
		)
	})

	DescribeTable("filters, newest first",
		func(f history.Filter, want ...string) {
			got, err := s.Query(context.Background(), f)
			Expect(err).NotTo(HaveOccurred())
			Expect(messages(got)).To(Equal(want))
		},
		Entry("no filter", history.Filter{}, "r4", "r3", "r2", "r1", "r0"),
		Entry("source", history.Filter{Source: "x"}, "r3"),
		Entry("destination", history.Filter{Destination: "b"}, "r4", "r3", "r2", "r0"),
		Entry("path", history.Filter{Path: "overlay"}, "r2", "r1"),
		Entry("probe", history.Filter{Probe: "tcp"}, "r4", "r0"),
		Entry("direction", history.Filter{Direction: "inbound"}, "r2"),
		Entry("since, inclusive", history.Filter{Since: t0.Add(3 * time.Second)}, "r4", "r3"),
		Entry("until, inclusive", history.Filter{Until: t0.Add(time.Second)}, "r1", "r0"),
		Entry("until between keys", history.Filter{Until: t0.Add(1500 * time.Millisecond)}, "r1", "r0"),
		Entry("until after the newest", history.Filter{Until: t0.Add(time.Hour)}, "r4", "r3", "r2", "r1", "r0"),
		Entry("since and until", history.Filter{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, "r3", "r2", "r1"),
		Entry("empty window", history.Filter{Since: t0.Add(time.Hour)}),
		Entry("limit keeps the newest", history.Filter{Limit: 2}, "r4", "r3"),
		Entry("limit with a filter", history.Filter{Destination: "b", Limit: 3}, "r4", "r3", "r2"),
		Entry("combined", history.Filter{Source: "a", Destination: "b", Path: "direct", Probe: "tcp",
			Direction: "outbound", Since: t0.Add(time.Second)}, "r4"),
	)

	It("round-trips every field, Details as JSON", func() {
		got, err := s.Query(context.Background(), history.Filter{Limit: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(got[0].Time).To(BeTemporally("==", t0.Add(4*time.Second)))
		Expect(got[0].SeriesKey()).To(Equal("a|b|direct|tcp|outbound"))

		want := history.Record{Time: t0.Add(time.Hour), Source: "a", Destination: "d", Path: "overlay",
			Probe: "dns", Direction: "outbound", Kind: "dns", Passed: true, Reachable: true, Cause: "ok",
			Message: "fine", DurationSeconds: 0.25, Details: map[string]any{"answers": []any{"10.0.0.1"}, "loss": 0.5}}
		details := want.Details
		Expect(s.Append(context.Background(), want)).To(Succeed())
		details["loss"] = 1.0 // the caller may reuse its map after Append
		want.Details = map[string]any{"answers": []any{"10.0.0.1"}, "loss": 0.5}
		Expect(s.Flush(context.Background())).To(Succeed())
		got, err = s.Query(context.Background(), history.Filter{Destination: "d"})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(1))
		Expect(got[0].Time).To(BeTemporally("==", want.Time))
		got[0].Time = want.Time
		Expect(got[0]).To(Equal(want))
	})
})

var _ = Describe("Append", func() {
	It("keeps append order for equal times and applies the default limit", func() {
		s := startStore(dbPath(), history.Options{BatchSize: 7})
		var recs []history.Record
		for i := range 150 {
			recs = append(recs, history.Record{Time: t0, Source: "a", Message: fmt.Sprint(i)})
		}
		appendAll(s, recs...)
		got, err := s.Query(context.Background(), history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(history.DefaultLimit))
		Expect(got[0].Message).To(Equal("149"))
		Expect(got[99].Message).To(Equal("50"))
		Expect(s.Stats()).To(And(
			HaveField("Appended", uint64(150)), HaveField("Written", uint64(150)),
			HaveField("Batches", BeNumerically(">=", 150/7)), HaveField("Dropped", uint64(0))))
	})

	It("caps the limit at MaxLimit", func() {
		s := startStore(dbPath(), history.Options{BatchSize: 2048})
		var recs []history.Record
		for i := range history.MaxLimit + 5 {
			recs = append(recs, rec(i, "b", true, "ok"))
		}
		appendAll(s, recs...)
		got, err := s.Query(context.Background(), history.Filter{Limit: 1 << 30})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(history.MaxLimit))
	})

	It("stamps a zero time with the clock", func() {
		now := t0.Add(42 * time.Minute)
		s := startStore(dbPath(), history.Options{Now: func() time.Time { return now }})
		appendAll(s, history.Record{Source: "a"})
		got, err := s.Query(context.Background(), history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(got[0].Time).To(BeTemporally("==", now))
	})

	It("rejects a record that cannot be encoded", func() {
		s := openStore(dbPath(), history.Options{})
		err := s.Append(context.Background(), history.Record{Details: map[string]any{"f": func() {}}})
		Expect(err).To(MatchError(ContainSubstring("encoding record")))
	})

	It("blocks while the queue is full, until ctx is done", func() {
		s := openStore(dbPath(), history.Options{QueueSize: 1})
		Expect(s.Append(context.Background(), rec(0, "b", true, "ok"))).To(Succeed())
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		Expect(s.Append(ctx, rec(1, "b", true, "ok"))).To(MatchError(context.DeadlineExceeded))
		Expect(s.Stats().Queued).To(Equal(1))
	})

	It("commits within FlushInterval without an explicit Flush", func() {
		s := startStore(dbPath(), history.Options{FlushInterval: 10 * time.Millisecond})
		Expect(s.Append(context.Background(), rec(0, "b", true, "ok"))).To(Succeed())
		Eventually(func() ([]history.Record, error) {
			return s.Query(context.Background(), history.Filter{})
		}).Should(HaveLen(1))
	})
})

var _ = Describe("Lifecycle", func() {
	It("creates the parent directory 0700 and keeps everything across reopen", func() {
		path := dbPath()
		s, err := history.Open(path, history.Options{Now: testNow}, testLogger())
		Expect(err).NotTo(HaveOccurred())
		info, err := os.Stat(filepath.Dir(path))
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o700)))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Start(ctx) }()
		appendAll(s, rec(0, "b", true, "ok"), rec(1, "b", false, "timeout"))
		Expect(s.Append(context.Background(), rec(2, "b", false, "timeout"))).To(Succeed())
		cancel() // Start commits what is queued before returning
		Eventually(done).Should(Receive(BeNil()))
		Expect(s.Close()).To(Succeed())

		s = startStore(path, history.Options{})
		got, err := s.Query(context.Background(), history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(messages(got)).To(Equal([]string{"timeout", "timeout", "ok"}))
		appendAll(s, rec(3, "b", false, "refused")) // the series state survived: same outage
		ts, err := s.Transitions(context.Background(), history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(ts).To(HaveLen(1))
		Expect(ts[0].Failures).To(Equal(3))
		Expect(ts[0].End).To(BeNil())
	})

	It("fails fast with ErrLocked when another opener holds the file", func() {
		path := dbPath()
		openStore(path, history.Options{})
		opened := make(chan error, 1)
		go func() {
			_, err := history.Open(path, history.Options{LockTimeout: 100 * time.Millisecond, Now: testNow}, testLogger())
			opened <- err
		}()
		// Without a lock timeout bbolt would wait forever. The bound is loose
		// because the test machine may be busy.
		var err error
		Eventually(opened).Should(Receive(&err))
		Expect(err).To(MatchError(history.ErrLocked))
		Expect(err).To(MatchError(ContainSubstring(path)))
	})

	It("commits queued records on Close even without Start, then refuses more", func() {
		path := dbPath()
		s, err := history.Open(path, history.Options{Now: testNow}, testLogger())
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Append(context.Background(), rec(0, "b", true, "ok"))).To(Succeed())
		Expect(s.Close()).To(Succeed())
		Expect(s.Close()).To(Succeed())
		Expect(s.Append(context.Background(), rec(1, "b", true, "ok"))).To(MatchError(history.ErrClosed))
		Expect(s.Start(context.Background())).To(MatchError(history.ErrClosed))

		s = openStore(path, history.Options{})
		got, err := s.Query(context.Background(), history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(1))
	})

	It("stops a running writer on Close and refuses a second Start", func() {
		s, err := history.Open(dbPath(), history.Options{Now: testNow}, testLogger())
		Expect(err).NotTo(HaveOccurred())
		done := make(chan error, 1)
		go func() { done <- s.Start(context.Background()) }()
		Eventually(func() error { return s.Flush(context.Background()) }).Should(Succeed())
		Expect(s.Start(context.Background())).To(MatchError(ContainSubstring("already started")))
		Expect(s.Close()).To(Succeed())
		Eventually(done).Should(Receive(BeNil()))
	})

	It("times out a Flush when no writer runs", func() {
		s := openStore(dbPath(), history.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		err := s.Flush(ctx)
		Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue())
	})
})

package history_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/links"
)

func transitions(s *history.Store, f history.Filter) []history.Transition {
	GinkgoHelper()
	ts, err := s.Transitions(context.Background(), f)
	Expect(err).NotTo(HaveOccurred())
	return ts
}

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

var _ = Describe("Transitions", func() {
	var s *history.Store

	BeforeEach(func() {
		s = startStore(dbPath(), history.Options{Retention: time.Hour})
	})

	It("turns fail, fail, pass into one ended outage", func() {
		appendAll(s, rec(0, "b", true, "ok"), rec(1, "b", false, "timeout"),
			rec(2, "b", false, "refused"), rec(3, "b", true, "ok"), rec(4, "b", true, "ok"))
		ts := transitions(s, history.Filter{})
		Expect(ts).To(HaveLen(1))
		t := ts[0]
		Expect(t.Series).To(Equal("a|b|direct|tcp|outbound"))
		Expect(t.Start).To(BeTemporally("==", at(1)))
		Expect(t.End).NotTo(BeNil())
		Expect(*t.End).To(BeTemporally("==", at(3)))
		Expect(t.Cause).To(Equal("timeout")) // the cause that opened it
		Expect(t.Message).To(Equal("timeout"))
		Expect(t.Failures).To(Equal(2))
		Expect([]string{t.Source, t.Destination, t.Path, t.Probe, t.Direction}).
			To(Equal([]string{"a", "b", "direct", "tcp", "outbound"}))
	})

	It("keeps the host evidence of the failure that opened an outage", func() {
		first := rec(1, "b", false, "timeout")
		first.Host = &links.HostEvidence{NodeAddr: "10.99.0.11", DataPathPort: 4789,
			Overlays: []links.OverlayNet{{Name: "agents", Subnets: []string{"10.0.1.0/24"}, Attached: true, MTU: 1450,
				Peers: []string{"10.99.0.11"}}}}
		second := rec(2, "b", false, "timeout")
		second.Host = &links.HostEvidence{NodeAddr: "changed"}
		appendAll(s, first, second)
		ts := transitions(s, history.Filter{})
		Expect(ts).To(HaveLen(1))
		Expect(ts[0].Host).To(Equal(first.Host), "the evidence of when it began")
		recs, err := s.Query(context.Background(), history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		for _, r := range recs {
			Expect(r.Host).To(BeNil(), "results themselves do not store it")
		}
	})

	It("keeps an ongoing outage open with End nil, one per series", func() {
		appendAll(s, rec(0, "b", false, "timeout"), rec(1, "c", true, "ok"),
			rec(2, "b", false, "timeout"), rec(3, "c", false, "dns"), rec(4, "b", false, "timeout"))
		ts := transitions(s, history.Filter{})
		Expect(ts).To(HaveLen(2))
		Expect(ts[0].Destination).To(Equal("c")) // newest start first
		Expect(ts[0].Failures).To(Equal(1))
		Expect(ts[1].Destination).To(Equal("b"))
		Expect(ts[1].Failures).To(Equal(3))
		Expect(ts[0].End).To(BeNil())
		Expect(ts[1].End).To(BeNil())
	})

	It("ends the open outage of a retired series, and only that one", func() {
		appendAll(s, rec(0, "b", false, "timeout"), rec(1, "c", false, "timeout"))
		Expect(s.Retire("a|b|direct|tcp|outbound", at(5))).To(Succeed())
		Expect(s.Retire("a|nothing|direct|tcp|outbound", at(5))).To(Succeed())
		Expect(s.Flush(context.Background())).To(Succeed(), "a retirement goes through the writer")
		ts := transitions(s, history.Filter{Destination: "b"})
		Expect(ts).To(HaveLen(1))
		Expect(ts[0].End).NotTo(BeNil())
		Expect(*ts[0].End).To(BeTemporally("==", at(5)))
		Expect(ts[0].Message).To(HaveSuffix("(link retired)"))
		Expect(transitions(s, history.Filter{Destination: "c"})[0].End).To(BeNil())
		By("a later failure opens a new outage")
		appendAll(s, rec(6, "b", false, "refused"))
		Expect(transitions(s, history.Filter{Destination: "b"})).To(HaveLen(2))
	})

	It("retires in order with the records: a retirement queued after a failure ends the outage that failure opened", func() {
		Expect(s.Append(context.Background(), rec(0, "b", false, "timeout"))).To(Succeed())
		Expect(s.Retire("a|b|direct|tcp|outbound", at(1))).To(Succeed())
		Expect(s.Flush(context.Background())).To(Succeed())
		ts := transitions(s, history.Filter{Destination: "b"})
		Expect(ts).To(HaveLen(1))
		Expect(ts[0].End).NotTo(BeNil())
		appendAll(s, rec(6, "b", false, "refused"))
		Expect(transitions(s, history.Filter{Destination: "b"})).To(HaveLen(2))
	})

	It("opens a new outage after recovery and filters like Query", func() {
		appendAll(s, rec(0, "b", false, "timeout"), rec(1, "b", true, "ok"),
			rec(10, "b", false, "refused"), rec(11, "b", true, "ok"),
			rec(20, "b", false, "mtu"), rec(21, "c", false, "dns"))
		all := transitions(s, history.Filter{})
		Expect(all).To(HaveLen(4))
		Expect([]string{all[0].Cause, all[1].Cause, all[2].Cause, all[3].Cause}).
			To(Equal([]string{"dns", "mtu", "refused", "timeout"}))

		Expect(transitions(s, history.Filter{Destination: "c"})).To(HaveLen(1))
		Expect(transitions(s, history.Filter{Probe: "nope"})).To(BeEmpty())
		Expect(transitions(s, history.Filter{Limit: 1})[0].Cause).To(Equal("dns"))
		// Since keeps outages that ended at or after it, and ongoing ones.
		causes := func(f history.Filter) []string {
			var out []string
			for _, t := range transitions(s, f) {
				out = append(out, t.Cause)
			}
			return out
		}
		Expect(causes(history.Filter{Since: at(11)})).To(Equal([]string{"dns", "mtu", "refused"}))
		Expect(causes(history.Filter{Since: at(12)})).To(Equal([]string{"dns", "mtu"}))
		// Until keeps outages that started at or before it.
		Expect(causes(history.Filter{Until: at(10)})).To(Equal([]string{"refused", "timeout"}))
		Expect(causes(history.Filter{Since: at(1), Until: at(10)})).To(Equal([]string{"refused", "timeout"}))
	})

	It("keeps outages when retention prunes the raw results", func() {
		appendAll(s, rec(0, "b", false, "timeout"), rec(1, "b", false, "timeout"),
			rec(2, "b", true, "ok"), rec(3, "c", false, "dns"))

		p, err := s.Prune(t0.Add(2 * time.Hour))
		Expect(err).NotTo(HaveOccurred())
		// The two series' rollup blocks of t0's hour are sealed, then past
		// the retention too.
		Expect(p).To(Equal(history.Pruned{Results: 4, Sealed: 2, Rollups: 2}))
		got, err := s.Query(context.Background(), history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(BeEmpty())
		Expect(transitions(s, history.Filter{})).To(HaveLen(2))
		Expect(s.Stats().PrunedResults).To(Equal(uint64(4)))

		// Ended outages go 4×Retention after their end; ongoing ones stay.
		p, err = s.Prune(t0.Add(4*time.Hour + 2*time.Second))
		Expect(err).NotTo(HaveOccurred())
		Expect(p).To(Equal(history.Pruned{})) // ended at 2s: not yet 4h before now
		p, err = s.Prune(t0.Add(5 * time.Hour))
		Expect(err).NotTo(HaveOccurred())
		Expect(p).To(Equal(history.Pruned{Outages: 1, Series: 1}))
		ts := transitions(s, history.Filter{})
		Expect(ts).To(HaveLen(1))
		Expect(ts[0].Destination).To(Equal("c"))
		Expect(ts[0].End).To(BeNil())

		// A pruned series starts over cleanly; the ongoing one continues.
		appendAll(s, rec(6*3600, "b", false, "reset"), rec(6*3600, "c", true, "ok"))
		ts = transitions(s, history.Filter{})
		Expect(ts).To(HaveLen(2))
		Expect(ts[0].Cause).To(Equal("reset"))
		Expect(ts[0].Failures).To(Equal(1))
		Expect(*ts[1].End).To(BeTemporally("==", at(6*3600)))
	})
})

var _ = Describe("Periodic pruning", func() {
	It("prunes on PruneInterval using the injected clock", func() {
		now := t0.Add(48 * time.Hour)
		s := startStore(dbPath(), history.Options{Retention: time.Hour,
			PruneInterval: 10 * time.Millisecond, Now: func() time.Time { return now }})
		appendAll(s, rec(0, "b", true, "ok"), history.Record{Source: "a", Message: "fresh"})
		Eventually(func() ([]string, error) {
			got, err := s.Query(context.Background(), history.Filter{})
			return messages(got), err
		}).Should(Equal([]string{"fresh"}))
	})
})

package history_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/history"
)

// The rollup blocks answer Rollups once the raw results are pruned: the
// specs prune them (RawRetention an hour) and ask again.
var _ = Describe("Rollups after the raw results are gone", func() {
	link := history.Filter{Source: "a", Destination: "b", Path: "overlay", Probe: "overlay-udp",
		Direction: history.DirectionOutbound}
	at, echo, window := secondsAfterT0, echoAB, windowAfterT0
	opts := history.Options{Retention: 7 * 24 * time.Hour, RawRetention: time.Hour}
	rollups := func(s *history.Store, f history.Filter, step time.Duration) []history.Rollup {
		GinkgoHelper()
		got, err := s.Rollups(context.Background(), f, step)
		Expect(err).NotTo(HaveOccurred())
		return got
	}
	pruneRaw := func(s *history.Store, now time.Time) history.Pruned {
		GinkgoHelper()
		p, err := s.Prune(now)
		Expect(err).NotTo(HaveOccurred())
		got, err := s.Query(context.Background(), history.Filter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(BeEmpty(), "the raw results are gone")
		return p
	}
	nearRTT := func(want float64) OmegaMatcher { return BeNumerically("~", want, want*0.031) }

	It("keeps each minute's counts and loss exactly and its RTT percentiles within 3 %", func() {
		s := startStore(dbPath(), opts)
		appendAll(s, append(twoMinutesOfEchoes(),
			history.Record{Time: at(1), Source: "a", Destination: "c", Path: "overlay", Probe: "overlay-udp",
				Direction: history.DirectionOutbound, Details: map[string]any{"sent": 4, "received": 0}})...,
		)
		before := rollups(s, window(link, 0, 3600), time.Minute)
		Expect(pruneRaw(s, t0.Add(3*time.Hour))).To(HaveField("Sealed", 2), "both series' hour sealed")

		got := rollups(s, window(link, 0, 3600), time.Minute)
		Expect(got).To(HaveLen(2))
		Expect(got[0]).To(And(HaveField("Time", t0), HaveField("Results", 10), HaveField("Failed", 0),
			HaveField("Sent", 40), HaveField("Received", 39)))
		Expect(*got[0].LossRatio).To(Equal(*before[0].LossRatio))
		Expect(*got[0].RTTP50Seconds).To(nearRTT(.005))
		Expect(*got[0].RTTP99Seconds).To(nearRTT(.010))
		Expect(got[1]).To(And(HaveField("Time", t0.Add(2*time.Minute)), HaveField("Results", 2), HaveField("Failed", 2),
			HaveField("Sent", 8), HaveField("Received", 0)))
		Expect(got[1].RTTP50Seconds).To(BeNil())
		Expect(*got[1].LossRatio).To(Equal(1.0))

		other := link
		other.Destination = "c"
		Expect(rollups(s, window(other, 0, 3600), time.Minute)).To(ConsistOf(HaveField("Results", 1)))
		wide := history.Filter{Source: "a", Since: at(0), Until: at(3600)}
		Expect(rollups(s, wide, time.Hour)).To(ConsistOf(HaveField("Results", 13)), "a filter that leaves fields open adds the series up")
	})

	It("merges minutes into a coarser step: counts added, the p50 the results-weighted median, the p99 the highest", func() {
		s := startStore(dbPath(), opts)
		appendAll(s,
			echo(0, 1, 1, .001), echo(10, 1, 1, .001), echo(20, 1, 1, .001), // minute 0: three at 1 ms
			echo(60, 1, 1, .050), // minute 1: one at 50 ms
			echo(120, 1, 0, 0),   // minute 2: lost
		)
		pruneRaw(s, t0.Add(3*time.Hour))
		got := rollups(s, window(link, 0, 599), 10*time.Minute)
		Expect(got).To(HaveLen(1))
		Expect(got[0]).To(And(HaveField("Results", 5), HaveField("Failed", 1), HaveField("Sent", 5), HaveField("Received", 4)))
		Expect(*got[0].RTTP50Seconds).To(nearRTT(.001), "three of the four round trips were 1 ms")
		Expect(*got[0].RTTP99Seconds).To(nearRTT(.050))
		Expect(*got[0].LossRatio).To(Equal(0.2))
	})

	It("answers the hour in progress from the open blocks, and loses nothing over a restart mid-minute", func() {
		path := dbPath()
		s := startStore(path, opts)
		appendAll(s, echo(3540, 2, 2, .002), echo(3600, 2, 2, .004), echo(3610, 2, 1, .006)) // 12:59, then 13:00
		Expect(s.Close()).To(Succeed())

		s = startStore(path, opts)
		appendAll(s, echo(3620, 2, 2, .008)) // 13:00 again, after the restart
		got := rollups(s, window(link, 3540, 7200), time.Minute)
		Expect(got).To(HaveLen(2), "raw results still cover the range")
		Expect(*got[1].RTTP50Seconds).To(Equal(.006))

		pruneRaw(s, t0.Add(3*time.Hour))
		got = rollups(s, window(link, 0, 7200), time.Minute)
		Expect(got).To(HaveLen(2))
		Expect(got[0]).To(And(HaveField("Time", at(3540)), HaveField("Results", 1)))
		Expect(got[1]).To(And(HaveField("Time", at(3600)), HaveField("Results", 3), HaveField("Sent", 6), HaveField("Received", 5)))
		Expect(*got[1].RTTP50Seconds).To(nearRTT(.006), "the minute's RTTs from before the restart count")
		Expect(*got[1].RTTP99Seconds).To(nearRTT(.008))
	})

	It("drops the rollups of hours past the retention, keeping the later ones", func() {
		s := startStore(dbPath(), history.Options{Retention: 2 * time.Hour, RawRetention: time.Hour})
		appendAll(s, echo(0, 1, 1, .001), echo(3*3600, 1, 1, .002))
		p := pruneRaw(s, t0.Add(4*time.Hour+10*time.Minute))
		Expect(p).To(And(HaveField("Rollups", 1), HaveField("Sealed", 1)),
			"12:00's block, sealed when 15:00's result came, is past the retention; 15:00's is sealed now")
		Expect(rollups(s, window(link, 0, 4*3600), time.Hour)).To(ConsistOf(
			And(HaveField("Time", t0.Add(3*time.Hour)), HaveField("Results", 1))))
	})

	It("leaves a straggler for an hour already sealed out of the rollups, and counts the rest", func() {
		s := startStore(dbPath(), opts)
		appendAll(s, echo(3600, 1, 1, .001), echo(10, 1, 1, .001)) // 13:00, then one for 12:00
		pruneRaw(s, t0.Add(3*time.Hour))
		Expect(rollups(s, window(link, 0, 7200), time.Minute)).To(ConsistOf(HaveField("Time", at(3600))))
	})
})

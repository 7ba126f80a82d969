package history_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/history"
)

var _ = Describe("Rollups", func() {
	var s *history.Store
	link := history.Filter{Source: "a", Destination: "b", Path: "overlay", Probe: "overlay-udp"}
	at, echo, window := secondsAfterT0, echoAB, windowAfterT0

	BeforeEach(func() {
		s = startStore(dbPath(), history.Options{})
	})

	It("is empty, not nil, for a link without results", func() {
		got, err := s.Rollups(context.Background(), window(link, 0, 3600), time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).NotTo(BeNil())
		Expect(got).To(BeEmpty())
	})

	It("summarises each minute of one link, oldest first, skipping empty minutes and other series", func() {
		appendAll(s, append(twoMinutesOfEchoes(),
			// other series in the same minutes
			history.Record{Time: at(1), Source: "a", Destination: "c", Path: "overlay", Probe: "overlay-udp",
				Details: map[string]any{"sent": 4, "received": 0}},
			history.Record{Time: at(2), Source: "a", Destination: "b", Path: "overlay", Probe: "overlay-tcp", Passed: true})...,
		)
		got, err := s.Rollups(context.Background(), window(link, 0, 3600), time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(2))

		Expect(got[0].Time).To(Equal(t0))
		Expect(got[0]).To(And(HaveField("Results", 10), HaveField("Failed", 0), HaveField("Sent", 40), HaveField("Received", 39)))
		Expect(*got[0].RTTP50Seconds).To(BeNumerically("~", .005, 1e-12))
		Expect(*got[0].RTTP99Seconds).To(BeNumerically("~", .010, 1e-12))
		Expect(*got[0].LossRatio).To(BeNumerically("~", 1.0/40, 1e-12))

		Expect(got[1].Time).To(Equal(t0.Add(2 * time.Minute)))
		Expect(got[1]).To(And(HaveField("Results", 2), HaveField("Failed", 2), HaveField("Sent", 8), HaveField("Received", 0)))
		Expect(got[1].RTTP50Seconds).To(BeNil(), "no echo came back: no round trip was measured")
		Expect(*got[1].LossRatio).To(Equal(1.0))
	})

	It("uses the duration of a passed result that counts no echoes as its round trip, and no loss", func() {
		tcp := func(sec int, passed bool, d float64) history.Record {
			return history.Record{Time: at(sec), Source: "a", Destination: "b", Path: "overlay", Probe: "overlay-tcp",
				Direction: history.DirectionOutbound, Kind: "tcp", Passed: passed, DurationSeconds: d}
		}
		appendAll(s, tcp(0, true, .002), tcp(10, true, .004), tcp(20, false, 5))
		f := link
		f.Probe = "overlay-tcp"
		got, err := s.Rollups(context.Background(), window(f, 0, 60), time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(1))
		Expect(got[0]).To(And(HaveField("Results", 3), HaveField("Failed", 1)))
		Expect(*got[0].RTTP50Seconds).To(Equal(.002))
		Expect(*got[0].RTTP99Seconds).To(Equal(.004), "the failed probe's 5 s timeout is not a round trip")
		Expect(got[0].LossRatio).To(BeNil())
	})

	It("honours since and until and a coarser step", func() {
		appendAll(s, echo(0, 1, 1, .001), echo(300, 1, 1, .002), echo(600, 1, 1, .003), echo(900, 1, 1, .004))
		got, err := s.Rollups(context.Background(), window(link, 300, 600), 10*time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(HaveLen(2))
		Expect(got[0]).To(And(HaveField("Time", t0), HaveField("Results", 1)))
		Expect(got[1]).To(And(HaveField("Time", t0.Add(10*time.Minute)), HaveField("Results", 1)))
	})

	DescribeTable("refuses unbounded queries",
		func(f history.Filter, step time.Duration, reason string) {
			_, err := s.Rollups(context.Background(), f, step)
			Expect(err).To(MatchError(history.ErrRollupBounds))
			Expect(err).To(MatchError(ContainSubstring(reason)))
		},
		Entry("no since", history.Filter{Until: t0}, time.Minute, "since and until are both required"),
		Entry("no until", history.Filter{Since: t0}, time.Minute, "since and until are both required"),
		Entry("reversed", history.Filter{Since: t0, Until: t0.Add(-time.Second)}, time.Minute, "until is before since"),
		Entry("longer than a week", history.Filter{Since: t0, Until: t0.Add(7*24*time.Hour + time.Second)}, time.Minute,
			"range 168h0m1s is longer than 168h0m0s"),
		Entry("sub-minute step", history.Filter{Since: t0, Until: t0.Add(time.Hour)}, 30*time.Second,
			"step 30s is not a whole number of minutes"),
		Entry("ragged step", history.Filter{Since: t0, Until: t0.Add(time.Hour)}, 90*time.Second,
			"step 1m30s is not a whole number of minutes"),
	)

	It("accepts exactly a week of minutes", func() {
		got, err := s.Rollups(context.Background(), history.Filter{Since: t0, Until: t0.Add(history.MaxRollupRange)}, time.Minute)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(BeEmpty())
		Expect(history.MaxRollupPoints).To(Equal(7*24*60 + 1))
	})
})

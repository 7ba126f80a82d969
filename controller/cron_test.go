package controller_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/controller"
)

var _ = Describe("ParseCron", func() {
	DescribeTable("rejects odd specs with an error, never a panic",
		func(spec, want string) {
			var err error
			Expect(func() { _, err = controller.ParseCron(spec) }).NotTo(Panic())
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("TZ= prefix (robfig panics on it)", "TZ=UTC", "TZ= and CRON_TZ= prefixes are not supported"),
		Entry("CRON_TZ= prefix", "CRON_TZ=UTC", "TZ= and CRON_TZ= prefixes are not supported"),
		Entry("bare TZ=", "TZ=", "TZ= and CRON_TZ= prefixes are not supported"),
		Entry("TZ= with a valid spec after it", "TZ=UTC 0 3 * * *", "set the time_zone field instead"),
		Entry("leading space before TZ=", " CRON_TZ=Europe/Berlin 0 3 * * *", "TZ= and CRON_TZ="),
		Entry("@every negative", "@every -1s", "the duration must be at least 1s"),
		Entry("@every zero", "@every 0s", "the duration must be at least 1s"),
		Entry("@every below a second", "@every 10ms", "the duration must be at least 1s"),
		Entry("@every without a duration", "@every", "@every needs a duration"),
		Entry("@every garbage", "@every soon", "@every needs a duration"),
		Entry("seven fields", "0 0 3 * * * *", "expected 5 to 6 fields"),
		Entry("unicode", "0 3 * * ★", "printable ASCII"),
		Entry("a NUL byte", "0 3 * *\x00 *", "printable ASCII"),
		Entry("very long", strings.Repeat("1,", 200)+"1 * * * *", "at most 256"),
		Entry("empty", "", "empty cron schedule"),
		Entry("blank", "   ", "empty cron schedule"),
		Entry("never fires: 30 February", "0 0 30 2 *", "never fires"),
		Entry("out of range minute", "61 * * * *", "end of range (61) above maximum (59)"),
		Entry("unknown descriptor", "@fortnightly", "unrecognized descriptor"),
		Entry("zero step", "*/0 * * * *", "step of range should be a positive number"),
	)

	DescribeTable("accepts the dialect swarmlink documents",
		func(spec string) {
			s, err := controller.ParseCron(spec)
			Expect(err).NotTo(HaveOccurred())
			Expect(s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))).NotTo(BeZero())
		},
		Entry("five fields", "0 3 * * *"),
		Entry("six fields, with seconds", "30 0 3 * * *"),
		Entry("a descriptor", "@daily"),
		Entry("@every 1s", "@every 1s"),
		Entry("@every 90m", "@every 90m"),
		Entry("29 February, in leap years", "0 0 29 2 *"),
	)

	It("makes a check with a TZ= cron fail to schedule instead of panicking", func() {
		_, err := controller.NewSchedule(controller.Check{Key: "k", Cron: "TZ=UTC", TimeZone: "UTC"})
		Expect(err).To(MatchError(ContainSubstring(`check k: cron "TZ=UTC"`)))
	})
})

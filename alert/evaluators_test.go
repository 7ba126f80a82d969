package alert_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/links"
)

var _ = Describe("alert evaluators", func() {
	now := t0.Add(time.Hour)
	old := links.ViewInfo{Via: links.ViaPublished, Started: now.Add(-time.Hour), Interval: 10 * time.Second}
	young := links.ViewInfo{Via: links.ViaPublished, Started: now.Add(-5 * time.Second), Interval: 10 * time.Second}
	gone := links.ViewInfo{Missing: "no answer"}

	DescribeTable("the first n nodes by name whose views arrived, and the first n of those not fresh",
		func(views map[string]links.ViewInfo, self string, want bool) {
			Expect(alert.Evaluator(self, views, now, 2)).To(Equal(want))
		},
		Entry("the first node", map[string]links.ViewInfo{"n1": old, "n2": old, "n3": old}, "n1", true),
		Entry("the second", map[string]links.ViewInfo{"n1": old, "n2": old, "n3": old}, "n2", true),
		Entry("not the third", map[string]links.ViewInfo{"n1": old, "n2": old, "n3": old}, "n3", false),
		Entry("the third when a view before it is missing", map[string]links.ViewInfo{"n1": gone, "n2": old, "n3": old}, "n3", true),
		Entry("the third when one before it is fresh: it may be the sender",
			map[string]links.ViewInfo{"n1": young, "n2": old, "n3": old}, "n3", true),
		Entry("not a fresh third", map[string]links.ViewInfo{"n1": young, "n2": old, "n3": young}, "n3", false),
		Entry("not the fourth when one before it is fresh", map[string]links.ViewInfo{"n1": young, "n2": old, "n3": old, "n4": old}, "n4", false),
		Entry("a node cut off (every view missing)", map[string]links.ViewInfo{"n1": gone, "n2": gone, "n3": old}, "n3", true),
		Entry("every node of a cluster just started is not one", map[string]links.ViewInfo{"n1": young, "n2": young, "n3": young}, "n3", false),
	)

	Describe("an engine that is not one", func() {
		var (
			clk       *fakeClock
			hook      *recorder
			e         *alert.Engine
			diag      links.Diagnosis
			evaluates bool
			asked     int
			ctx       = context.Background()
			hostOf3   = links.Finding{ID: "host-down/node3", Kind: links.FindingHostDown, Severity: links.SeverityCritical,
				Node: "node3", Cause: links.FindingHostDown, Summary: "node3 is down"}
		)
		step := func() {
			clk.Advance(2 * time.Second)
			diag.Generated = clk.Now()
			for n, v := range diag.Views {
				v.Generated = clk.Now()
				diag.Views[n] = v
			}
			e.Evaluate(ctx)
			e.Deliver(ctx)
		}
		BeforeEach(func() {
			clk, hook, evaluates, asked = newFakeClock(t0), &recorder{name: "hook"}, false, 0
			diag = links.Diagnosis{Self: "a", Nodes: []string{"a", "b", "node3"}, Views: map[string]links.ViewInfo{
				"a": {Via: links.ViaSelf}, "b": {Via: links.ViaPublished}, "node3": {Missing: "no answer"}}}
			var err error
			e, err = alert.New(alert.Options{Config: alert.Config{}, Self: "a", Queue: newMemKV(), State: newMemKV(),
				Notifiers: []alert.Notifier{hook}, Clock: clk, Log: testLogger(),
				Evaluates: func() bool { return evaluates },
				Diagnose:  func(context.Context) links.Diagnosis { asked++; return diag }})
			Expect(err).NotTo(HaveOccurred())
			clk.Advance(2 * time.Minute) // past the grace period
		})

		It("never asks for the cluster's diagnosis, and still alerts on its own checks, not on its links", func() {
			diag.Findings = []links.Finding{hostOf3}
			feed(e, check("db", "direct", "pg"), 3, false, clk.Now())
			feed(e, check("b", "overlay", "overlay-tcp"), 5, false, clk.Now())
			for range 5 {
				step()
			}
			Expect(asked).To(BeZero())
			Expect(hook.events()).To(Equal([]string{"firing SwarmlinkCheckFailed db"}))
		})

		It("resolves the shared alert it fired as an evaluator, then stops asking", func() {
			evaluates, diag.Findings = true, []links.Finding{hostOf3}
			for range 3 {
				step()
			}
			Expect(hook.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable node3"}))
			evaluates = false
			step()
			Expect(e.Alerts()).To(HaveLen(1), "it still fires")
			diag.Findings = nil
			diag.Views["node3"] = links.ViewInfo{Via: links.ViaPublished}
			diag.Cells = []links.Cell{{From: "a", To: "node3", Path: links.PathOverlay, State: links.Healthy}}
			step()
			Expect(hook.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable node3", "resolved SwarmlinkHostUnreachable node3"}))
			before := asked
			for range 3 {
				step()
			}
			Expect(asked).To(Equal(before), "nothing shared fires: its own checks only")
		})
	})
})

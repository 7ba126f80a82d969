package report_test

import (
	"bytes"
	"encoding/json"
	"html"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/report"
)

var (
	yesterday = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	today     = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
)

func item(key string, passed bool, cause string) report.Item {
	it := report.Item{Key: key, Name: strings.TrimPrefix(key, "k/"), Source: "node-a", Destination: "node-b",
		Path: "overlay", Kind: "peer", Passed: passed, Cause: cause, DurationSeconds: 0.0123}
	if !passed {
		it.Message = "dial tcp 10.0.0.2:9471: i/o timeout"
	}
	return it
}

// yesterdays: db and dns failed; web, mq passed; gone passed (and is gone today).
func yesterdays() report.Report {
	return report.Build("nightly", yesterday, []report.Item{
		item("k/web", true, "ok"), item("k/db", false, "timeout"), item("k/dns", false, "dns"),
		item("k/mq", true, "ok"), item("k/gone", false, "refused"),
	}, nil)
}

// todays: web newly failing, db fixed, dns still broken, cache new and failing.
func todays(prev *report.Report) report.Report {
	return report.Build("nightly", today, []report.Item{
		item("k/web", false, "refused"), item("k/db", true, "ok"), item("k/dns", false, "dns"),
		item("k/mq", true, "ok"), item("k/cache", false, "timeout"),
	}, prev)
}

var _ = Describe("Build", func() {
	It("counts, sorts failures first and diffs against yesterday by check key", func() {
		y := yesterdays()
		Expect(y.Diff.NewFailures).To(Equal([]string{"k/db", "k/dns", "k/gone"}), "no previous: every failure is new")
		r := todays(&y)
		Expect(r.ID).To(Equal("20261127T030000Z-nightly"))
		Expect(r.Totals).To(Equal(report.Totals{Total: 5, Passed: 2, Failed: 3}))
		Expect(r.Diff.Previous).To(Equal(y.ID))
		Expect(r.Diff.NewFailures).To(Equal([]string{"k/cache", "k/web"}))
		Expect(r.Diff.Fixed).To(Equal([]string{"k/db"}))
		Expect(r.Diff.StillBroken).To(Equal([]string{"k/dns"}))
		var keys []string
		for _, it := range r.Items {
			keys = append(keys, it.Key)
		}
		Expect(keys).To(Equal([]string{"k/cache", "k/dns", "k/web", "k/db", "k/mq"}))
	})

	It("summarises in one line for notifiers", func() {
		y := yesterdays()
		r := todays(&y)
		Expect(r.Summary()).To(Equal("Nightly verification 2026-11-27 03:00 UTC: 5 checks, 3 failed (2 new, 1 fixed, 1 still broken)"))
	})

	It("keeps the first of two items with the same key", func() {
		r := report.Build("nightly", today, []report.Item{item("k/a", true, "ok"), item("k/a", false, "timeout")}, nil)
		Expect(r.Totals).To(Equal(report.Totals{Total: 1, Passed: 1}))
	})
})

var _ = Describe("rendering", func() {
	var r report.Report
	BeforeEach(func() {
		y := yesterdays()
		r = todays(&y)
		r.Items[0].Message = `<script>alert("x")</script> | see http://evil.example/`
	})

	It("writes JSON that reads back into the same report", func() {
		var buf bytes.Buffer
		Expect(r.WriteJSON(&buf)).To(Succeed())
		var back report.Report
		Expect(json.Unmarshal(buf.Bytes(), &back)).To(Succeed())
		Expect(back).To(Equal(r))
		Expect(buf.String()).To(ContainSubstring(`"new_failures": [`))
	})

	It("writes Markdown with the summary, the diff and a table row per check", func() {
		var buf bytes.Buffer
		Expect(r.WriteMarkdown(&buf)).To(Succeed())
		md := buf.String()
		Expect(md).To(HavePrefix("# Nightly verification 2026-11-27 03:00 UTC\n\n" + r.Summary() + "\n"))
		Expect(md).To(ContainSubstring("## New failures\n\n- `k/cache` node-a -> node-b (overlay): timeout: "))
		Expect(md).To(ContainSubstring("## Fixed\n\n- `k/db`"))
		Expect(md).To(ContainSubstring("## Still broken\n\n- `k/dns`"))
		Expect(md).To(ContainSubstring("| FAIL | web | node-a | node-b | overlay | peer | refused | 0.012s | dial tcp"))
		Expect(md).To(ContainSubstring(`\| see`), "pipes in messages do not break the table")
		Expect(strings.Count(md, "\n| PASS |") + strings.Count(md, "\n| FAIL |")).To(Equal(5))
	})

	It("carries the cluster's diagnosis: its verdict and findings in Markdown and HTML", func() {
		r.Diagnosis = &links.Diagnosis{Self: "node-a", Verdict: links.Failing, Findings: []links.Finding{{
			Kind: links.FindingNodeInbound, Severity: links.SeverityCritical, Node: "node-b", Cause: "timeout",
			Summary: "node-b receives no overlay traffic from anyone", Advice: "allow <UDP 4789>"}}}
		var md, page bytes.Buffer
		Expect(r.WriteMarkdown(&md)).To(Succeed())
		Expect(r.WriteHTML(&page)).To(Succeed())
		Expect(md.String()).To(ContainSubstring("## Diagnosis: failing (asked node-a)\n\n- **critical** node-b receives no overlay traffic from anyone (`node-inbound`, cause timeout)"))
		Expect(page.String()).To(ContainSubstring("<h2>Diagnosis: failing (asked node-a)</h2>"))
		Expect(page.String()).To(ContainSubstring("advice: allow &lt;UDP 4789&gt;"))
	})

	It("carries the host evidence of the nodes a finding names", func() {
		r.Diagnosis = &links.Diagnosis{Self: "node-a", Verdict: links.Failing, Findings: []links.Finding{{
			Kind: links.FindingGossip, Severity: links.SeverityCritical, Node: "node-b", Cause: "timeout",
			Summary: "node-b's Swarm gossip port (TCP 7946) is unreachable from every node",
			Hosts: map[string]links.HostEvidence{"node-b": {NodeAddr: "10.99.0.12", DataPathPort: 4789,
				Interfaces: []links.Interface{{Name: "eth0", MTU: 1450, Addrs: []string{"10.0.1.3/24"}}},
				Overlays: []links.OverlayNet{{Name: "agents", Subnets: []string{"10.0.1.0/24"}, Attached: true, MTU: 1450,
					Peers: []string{"10.99.0.11", "10.99.0.12"}, Tasks: 3}}}}}}}
		var md, page bytes.Buffer
		Expect(r.WriteMarkdown(&md)).To(Succeed())
		Expect(r.WriteHTML(&page)).To(Succeed())
		for _, out := range []string{md.String(), html.UnescapeString(page.String())} {
			Expect(out).To(ContainSubstring("swarm: node address 10.99.0.12, data path UDP 4789"))
			Expect(out).To(ContainSubstring("overlay agents 10.0.1.0/24, mtu 1450 + 50 VXLAN = 1500 on the underlay, " +
				"peers 10.99.0.11 10.99.0.12, 3 tasks"))
		}
		Expect(md.String()).To(ContainSubstring("  Host node-b:\n"))
		Expect(page.String()).To(ContainSubstring("<summary>host node-b</summary>"))
	})

	It("writes a self-contained HTML page with the table, escaping every value", func() {
		var buf bytes.Buffer
		Expect(r.WriteHTML(&buf)).To(Succeed())
		page := buf.String()
		Expect(page).To(HavePrefix("<!DOCTYPE html>"))
		Expect(page).To(ContainSubstring("<style>"))
		Expect(page).To(ContainSubstring("<table>"))
		Expect(page).To(ContainSubstring("<th>Destination</th>"))
		Expect(strings.Count(page, "<tr class=")).To(Equal(5))
		Expect(page).To(ContainSubstring(`<tr class="fail"><td class="result">FAIL</td><td>cache</td>`))
		Expect(page).To(ContainSubstring("<h2>Still broken</h2>"))
		Expect(page).To(ContainSubstring("&lt;script&gt;"))
		Expect(page).NotTo(ContainSubstring("<script"))
		external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//`)
		Expect(external.FindAllString(page, -1)).To(BeEmpty(), "no assets or links to other hosts")
		Expect(page).NotTo(MatchRegexp(`(?i)<link|@import|url\(`))
	})
})

var _ = Describe("store", func() {
	var kv history.KV
	BeforeEach(func() {
		s, err := history.Open(filepath.Join(GinkgoT().TempDir(), "history.db"), history.Options{}, zap.NewNop())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		kv = s.Bucket(report.Bucket)
	})

	It("has no latest report when empty", func() {
		_, found, err := report.Latest(kv)
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeFalse())
		metas, err := report.List(kv)
		Expect(err).NotTo(HaveOccurred())
		Expect(metas).To(BeEmpty())
	})

	It("keeps the last 60 reports, lists them newest first and gets them back", func() {
		var prev *report.Report
		for i := range 65 {
			r := report.Build("nightly", yesterday.AddDate(0, 0, i), []report.Item{item("k/web", i%2 == 0, "ok")}, prev)
			Expect(report.Save(kv, r)).To(Succeed())
			prev = &r
		}
		metas, err := report.List(kv)
		Expect(err).NotTo(HaveOccurred())
		Expect(metas).To(HaveLen(report.Retention))
		Expect(metas[0].At).To(Equal(yesterday.AddDate(0, 0, 64)))
		Expect(metas[59].At).To(Equal(yesterday.AddDate(0, 0, 5)))
		Expect(metas[0].Summary).To(Equal(prev.Summary()))
		Expect(metas[0].NewFailures + metas[0].Fixed).To(Equal(1))

		latest, found, err := report.Latest(kv)
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeTrue())
		Expect(latest).To(Equal(*prev))
		got, found, err := report.Get(kv, metas[10].ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeTrue())
		Expect(got.At).To(Equal(metas[10].At))
		_, found, err = report.Get(kv, report.Build("nightly", yesterday, nil, nil).ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeFalse(), "the oldest five were pruned")
	})
})

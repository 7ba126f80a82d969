package ui_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

// cutOff is a three-node diagnosis made by a-1, which reaches no one.
func cutOff(now time.Time) links.Diagnosis {
	nodes := []string{"a-1", "a-2", "a-3"}
	d := links.Diagnosis{Generated: now, Self: "a-1", Verdict: links.Failing, CutOff: true, Nodes: nodes,
		Paths: []string{links.PathOverlay}, Views: map[string]links.ViewInfo{"a-1": {Via: links.ViaSelf, Generated: now}}}
	d.Findings = []links.Finding{{ID: "cut-off/a-1////", Kind: links.FindingCutOff, Severity: links.SeverityCritical, Node: "a-1",
		Cause: "cut-off", Summary: "a-1 reaches no other node: its view of the others is unreliable", Since: now.Add(-90 * time.Second)}}
	for _, f := range nodes {
		for _, t := range nodes {
			if f != t {
				d.Cells = append(d.Cells, links.Cell{From: f, To: t, Path: links.PathOverlay, State: links.Unknown})
			}
		}
	}
	return d
}

// rollupsDoc is what GET /api/v1/rollups answers (branch h-obs): three
// minutes of one link.
func rollupsDoc(now time.Time) string {
	t := now.Truncate(time.Minute)
	item := func(ago int, p50, p99 float64, loss string) string {
		return fmt.Sprintf(`{"time":%q,"results":120,"failed":0,"rtt_p50_seconds":%g,"rtt_p99_seconds":%g,"sent":120,"received":120,"loss_ratio":%s}`,
			t.Add(-time.Duration(ago)*time.Minute).Format(time.RFC3339), p50, p99, loss)
	}
	return `{"items":[` + item(3, 0.0004, 0.0011, "0") + "," + item(2, 0.0005, 0.0020, "0.25") + "," + item(1, 0.0004, 0.0009, "null") + `]}`
}

const alertsDoc = `{"enabled":true,"items":[{"fingerprint":"f1","alertname":"SwarmlinkHostDown","status":"firing","source":"a-1",
"destination":"a-2","path":"overlay","cause":"host-down","severity":"critical","summary":"a-2 is down","description":"no path reaches a-2",
"advice":"check a-2's host","starts_at":"2026-01-02T03:04:05.123456789Z","evidence":[{"agent":"a-1","peer":"a-2","path":"overlay",
"probe":"overlay-tcp","role":"tcp","direction":"outbound","status":"failing","cause":"timeout","message":"no answer",
"since":"2026-01-02T03:04:05.123456789Z","last":"2026-01-02T03:05:05.5Z"}],
"hosts":{"a-2":{"interfaces":[{"name":"eth0","mtu":1450,"addrs":["10.0.0.2/24"]}],"routes":[{"destination":"0.0.0.0/0","gateway":"10.0.0.1","interface":"eth0"}]}}}]}`

var _ = Describe("the UI on fixtures", Ordered, func() {
	var p *page
	var url string
	BeforeAll(func() {
		now := time.Now()
		url = fixtureServer(cutOff(now), map[string]string{
			"/api/v1/rollups": rollupsDoc(now), "/api/v1/alerts": alertsDoc,
			"/api/v1/outages": `{"items":[]}`, "/api/v1/history": `{"items":[]}`,
		}).URL
		p = newPage()
	})

	It("says when the node serving the page is itself cut off", func() {
		p.open(url + "/")
		Eventually(p.text("#banners"), settle).Should(ContainSubstring("a-1 is itself cut off"))
		Expect(p.text("#findings .finding .when")()).To(Equal("failing 1m"))
		p.screenshot("fixture-cut-off")
	})

	It("charts the agent's rollups when it serves them", func() {
		p.open(url + "/#/link/a-1/a-2/overlay")
		Eventually(p.count("#lchart circle.pt.p50"), settle).Should(Equal(3))
		Expect(p.count("#lchart circle.pt.p99")()).To(Equal(3))
		Expect(p.count("#lchart rect.loss")()).To(Equal(2), "one minute measured no loss")
		Expect(p.text("#lnote")()).NotTo(ContainSubstring("raw history"))
		Expect(p.text("#loutages")()).To(ContainSubstring("No outage in this window"))
	})

	It("shows the alerts with their evidence, and no raw timestamps", func() {
		p.open(url + "/#/alerts")
		Eventually(p.text("#alist .summary"), settle).Should(Equal("a-2 is down"))
		eval[any](p, `document.querySelector("#alist details").open = true`)
		Expect(p.text("#alist details table")()).To(ContainSubstring("overlay-tcp"))
		Expect(p.text("#alist details:last-of-type summary")()).To(Equal("host evidence (a-2)"))
		eval[any](p, `document.querySelector("#alist details:last-of-type").open = true`)
		Expect(p.text("#alist details:last-of-type")()).To(And(ContainSubstring("eth0\t1450\t10.0.0.2/24"), ContainSubstring("0.0.0.0/0\t10.0.0.1\teth0")))
		Expect(p.noRawTimes()).To(BeTrue())
	})

	It("falls back to the overview for an address it cannot read, and names a node it does not know", func() {
		for _, hash := range []string{"#/link/a-1", "#/nope"} {
			p.open(url + "/" + hash)
			Eventually(p.count("#findings .finding"), settle).Should(Equal(1), "%s", hash)
		}
		p.open(url + "/#/node/%E0%A4%A")
		Eventually(p.text("#nview"), settle).Should(ContainSubstring("does not know this node"))
		Expect(p.text("h2")()).To(Equal("Node %E0%A4%A"))
	})

	AfterAll(func() {
		Expect(p.Errors()).To(BeEmpty(), "console errors")
	})
})

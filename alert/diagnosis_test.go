package alert_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/links"
)

// The engine renders the cluster's diagnosis: these specs hand it one.
var _ = Describe("engine on the cluster's diagnosis", func() {
	var (
		clk     *fakeClock
		am, hk  *recorder
		diag    links.Diagnosis
		e       *alert.Engine
		ctx     = context.Background()
		hostOf3 = links.Finding{ID: "host-down/node3", Kind: links.FindingHostDown, Severity: links.SeverityCritical,
			Node: "node3", Cause: links.FindingHostDown, Summary: "node3 is down"}
	)
	views := func(at time.Time, missing ...string) map[string]links.ViewInfo {
		out := map[string]links.ViewInfo{}
		for _, n := range []string{"node1", "node2", "node3"} {
			out[n] = links.ViewInfo{Via: links.ViaPublished, Generated: at}
		}
		for _, n := range missing {
			out[n] = links.ViewInfo{Missing: "no answer"}
		}
		return out
	}
	newEngineAs := func(self string) *alert.Engine {
		am, hk = &recorder{name: "am", dedup: true}, &recorder{name: "hook"}
		e, err := alert.New(alert.Options{Config: alert.Config{}, Self: self, Queue: newMemKV(), State: newMemKV(),
			Notifiers: []alert.Notifier{am, hk}, Clock: clk, Log: testLogger(),
			Diagnose: func(context.Context) links.Diagnosis { return diag }})
		Expect(err).NotTo(HaveOccurred())
		return e
	}
	step := func(d time.Duration) {
		clk.Advance(d)
		e.Evaluate(ctx)
		e.Deliver(ctx)
	}
	// show makes fs the diagnosis, first seen now, and then gathers the
	// views once more: a finding fires once views generated after it was
	// first seen still show it.
	show := func(fs []links.Finding, missing ...string) {
		diag.Findings, diag.Views = fs, views(clk.Now(), missing...)
		step(time.Second)
		diag.Views = views(clk.Now().Add(time.Second), missing...)
		step(2 * time.Second)
	}
	BeforeEach(func() {
		clk = newFakeClock(t0)
		diag = links.Diagnosis{Self: "node1", Nodes: []string{"node1", "node2", "node3"}, Views: views(t0)}
		e = newEngineAs("node1")
		step(2 * time.Minute) // past the grace period, healthy
	})

	It("fires a host alert once the views of every node generated after the finding still show it", func() {
		diag.Findings, diag.Views = []links.Finding{hostOf3}, views(clk.Now().Add(-time.Second), "node3")
		step(time.Second)
		Expect(e.Alerts()).To(BeEmpty(), "node2's view predates the finding")
		diag.Views = views(clk.Now().Add(time.Second), "node3")
		step(2 * time.Second)
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameHostUnreachable)))
		Expect(e.Alerts()[0].Labels).To(HaveKeyWithValue("node", "node3"))
		Expect(am.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable node3"}))
	})

	It("keeps a host alert firing while the node stays down or cut off, however long, and resolves it when it is back", func() {
		show([]links.Finding{hostOf3}, "node3")
		for range 30 {
			diag.Views = views(clk.Now(), "node3")
			step(10 * time.Second)
		}
		Expect(e.Alerts()).To(HaveLen(1))
		Expect(hk.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable node3"}), "one firing, no resolve in 5 minutes")
		diag.Findings, diag.Views = nil, views(clk.Now())
		step(time.Second)
		Expect(hk.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable node3", "resolved SwarmlinkHostUnreachable node3"}))
	})

	It("raises nothing about a node for 30 s after its host alert resolved: Swarm is still re-adding it", func() {
		show([]links.Finding{hostOf3}, "node3")
		Expect(e.Alerts()).To(HaveLen(1))
		diag.Findings = nil
		step(time.Second)
		Expect(e.Alerts()).To(BeEmpty())
		inbound := links.Finding{ID: "node-inbound/node3", Kind: links.FindingNodeInbound, Severity: links.SeverityCritical,
			Node: "node3", To: "node3", Path: links.PathOverlay, Cause: "timeout"}
		show([]links.Finding{inbound})
		Expect(e.Alerts()).To(BeEmpty(), "the overlay towards a returning node converges")
		for range 20 {
			diag.Views = views(clk.Now())
			step(3 * time.Second)
		}
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameNodeInbound)), "a fault that outlasts the grace fires")
	})

	It("holds an alert about a node whose view is missing for at most 30 s when no host alert stands for it", func() {
		oneWay := links.Finding{ID: "one-way/node3/node1", Kind: links.FindingOneWay, Severity: links.SeverityWarning,
			From: "node3", To: "node1", Path: links.PathOverlay, Cause: "timeout"}
		show([]links.Finding{oneWay}, "node3")
		Expect(e.Alerts()).To(BeEmpty())
		for range 11 {
			diag.Views = views(clk.Now(), "node3")
			step(3 * time.Second)
		}
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameLinkOneWay)))
	})

	It("raises nothing new about a node whose host alert still fires, e.g. while it comes back", func() {
		diag.Cells = []links.Cell{{From: "node1", To: "node3", Path: links.PathOverlay, State: links.Failing}}
		show([]links.Finding{hostOf3}, "node3")
		Expect(e.Alerts()).To(HaveLen(1))
		inbound := links.Finding{ID: "node-inbound/node3", Kind: links.FindingNodeInbound, Severity: links.SeverityCritical,
			Node: "node3", To: "node3", Path: links.PathOverlay, Cause: "timeout"}
		show([]links.Finding{inbound}) // node3's view is back, its links not yet
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameHostUnreachable)), "the host alert stands for it")
	})

	It("fires nothing and resolves nothing while this node is cut off, and nothing after it is back", func() {
		show([]links.Finding{hostOf3}, "node3")
		Expect(e.Alerts()).To(HaveLen(1))
		cut := links.Finding{ID: "cut-off/node1", Kind: links.FindingCutOff, Node: "node1", Severity: links.SeverityCritical}
		diag.Findings, diag.CutOff, diag.Views = []links.Finding{cut}, true, views(time.Time{}, "node2", "node3")
		for range 10 {
			step(5 * time.Second)
		}
		Expect(e.Alerts()).To(HaveLen(1), "its own side only: node3's alert stays")
		Expect(am.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable node3"}), "nothing about node2, nothing about itself")
	})

	It("holds an alert about a node whose view is missing, unless it is the host alert, for at most 30 s", func() {
		oneWay := links.Finding{ID: "one-way/node3/node1", Kind: links.FindingOneWay, Severity: links.SeverityWarning,
			From: "node3", To: "node1", Path: links.PathOverlay, Cause: "timeout"}
		show([]links.Finding{oneWay}, "node3")
		Expect(e.Alerts()).To(BeEmpty(), "node3 may be going down: its half-known links are not the fault")
		show([]links.Finding{oneWay, hostOf3}, "node3")
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameHostUnreachable)))
		for range 12 {
			diag.Views = views(clk.Now(), "node3")
			step(3 * time.Second)
		}
		Expect(e.Alerts()).To(HaveLen(1), "past 30 s, the host alert still stands for node3's other faults")
	})

	It("resolves a restored cluster-wide alert once its path's cells are known, or the path is gone", func() {
		state := newMemKV()
		restart := func() {
			var err error
			e, err = alert.New(alert.Options{Config: alert.Config{}, Self: "node1", Queue: newMemKV(), State: state,
				Notifiers: []alert.Notifier{am, hk}, Clock: clk, Log: testLogger(),
				Diagnose: func(context.Context) links.Diagnosis { return diag }})
			Expect(err).NotTo(HaveOccurred())
		}
		restart()
		step(2 * time.Minute)
		enc := links.Finding{ID: "encrypted////encrypted/", Kind: links.FindingEncrypted, Severity: links.SeverityCritical,
			Path: links.PathEncrypted, Cause: "timeout", Summary: "ESP"}
		diag.Cells = []links.Cell{{From: "node1", To: "node2", Path: links.PathEncrypted, State: links.Failing}}
		show([]links.Finding{enc})
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameEncrypted)))

		restart() // the agents left the encrypted network: the path is gone
		diag.Cells, diag.Findings = []links.Cell{{From: "node1", To: "node2", Path: links.PathOverlay, State: links.Healthy}}, nil
		Expect(e.Alerts()).To(HaveLen(1), "restored")
		step(alert.DefaultGrace + time.Second)
		Expect(e.Alerts()).To(BeEmpty(), "well before the restore timeout")
		Expect(am.events()).To(ContainElement("resolved SwarmlinkEncryptedOverlay "))
	})

	It("asks for fresh views the moment a new alert is held", func() {
		regathered := 0
		am, hk = &recorder{name: "am", dedup: true}, &recorder{name: "hook"}
		var err error
		e, err = alert.New(alert.Options{Config: alert.Config{}, Self: "node1", Queue: newMemKV(), State: newMemKV(),
			Notifiers: []alert.Notifier{am, hk}, Clock: clk, Log: testLogger(), Regather: func() { regathered++ },
			Diagnose: func(context.Context) links.Diagnosis { return diag }})
		Expect(err).NotTo(HaveOccurred())
		step(2 * time.Minute)
		show([]links.Finding{hostOf3}, "node3")
		Expect(regathered).To(Equal(1))
		Expect(e.Alerts()).To(HaveLen(1))
	})

	It("raises nothing about itself for 30 s after it stops being cut off", func() {
		cut := links.Finding{ID: "cut-off/node1", Kind: links.FindingCutOff, Node: "node1", Severity: links.SeverityCritical}
		diag.Findings, diag.CutOff, diag.Views = []links.Finding{cut}, true, views(time.Time{}, "node2", "node3")
		step(5 * time.Second)
		diag.CutOff = false
		oneWay := links.Finding{ID: "one-way/node2/node1", Kind: links.FindingOneWay, Severity: links.SeverityWarning,
			From: "node2", To: "node1", Path: links.PathOverlay, Cause: "timeout"}
		show([]links.Finding{oneWay})
		Expect(e.Alerts()).To(BeEmpty(), "the overlay towards this returning node converges")
		for range 22 {
			diag.Views = views(clk.Now())
			step(3 * time.Second)
		}
		Expect(e.Alerts()).To(HaveLen(1), "a fault that outlasts the grace fires")
	})

	It("raises nothing about a node whose agent started less than ten intervals (at least 20 s) ago", func() {
		inbound := links.Finding{ID: "node-inbound/node2", Kind: links.FindingNodeInbound, Severity: links.SeverityCritical,
			Node: "node2", To: "node2", Path: links.PathOverlay, Cause: "timeout"}
		started := clk.Now()
		withStart := func() {
			v := diag.Views["node2"]
			v.Started = started
			diag.Views["node2"] = v
		}
		diag.Findings, diag.Views = []links.Finding{inbound}, views(clk.Now())
		withStart()
		step(time.Second)
		diag.Views = views(clk.Now().Add(time.Second))
		withStart()
		step(2 * time.Second)
		Expect(e.Alerts()).To(BeEmpty(), "a restarted agent's arrivals have no window yet")
		clk.Advance(20 * time.Second)
		diag.Views = views(clk.Now().Add(time.Second))
		withStart()
		step(2 * time.Second)
		Expect(e.Alerts()).To(HaveLen(1))
	})

	It("waits for a pending direction on the alert's own path only", func() {
		inbound := links.Finding{ID: "node-inbound/node3", Kind: links.FindingNodeInbound, Severity: links.SeverityCritical,
			Node: "node3", To: "node3", Path: links.PathOverlay, Cause: "timeout"}
		diag.Cells = []links.Cell{{From: "node1", To: "node3", Path: links.PathPublished, State: links.Pending,
			Forward: links.Healthy, RoundTrip: links.Pending}}
		show([]links.Finding{inbound})
		Expect(e.Alerts()).To(HaveLen(1), "a pending published link does not hold an overlay alert")
		e = newEngineAs("node1")
		step(2 * time.Minute)
		diag.Cells[0].Path = links.PathOverlay
		show([]links.Finding{inbound})
		Expect(e.Alerts()).To(BeEmpty(), "a pending overlay link does")
	})

	It("resolves only once what the alert is about is healthy, not when its finding changes shape", func() {
		pub := links.Finding{ID: "published-port/node3", Kind: links.FindingPublishedPort, Severity: links.SeverityWarning,
			Node: "node3", To: "node3", Path: links.PathPublished, Cause: "timeout"}
		failing := links.Cell{From: "node1", To: "node3", Path: links.PathPublished, State: links.Failing,
			Forward: links.Failing, RoundTrip: links.Failing}
		diag.Cells = []links.Cell{failing}
		show([]links.Finding{pub})
		Expect(e.Alerts()).To(HaveLen(1))
		diag.Findings = nil // e.g. it reads as another kind while an agent restarts
		step(5 * time.Second)
		Expect(e.Alerts()).To(HaveLen(1), "node3's published cells still fail")
		diag.Cells[0].State = links.Healthy
		step(time.Second)
		Expect(e.Alerts()).To(BeEmpty(), "healed")
		Expect(hk.events()).To(Equal([]string{"firing SwarmlinkPublishedPort node3", "resolved SwarmlinkPublishedPort node3"}))
	})

	It("resolves an alert whose finding is gone after two minutes even if its cells never heal", func() {
		diag.Cells = []links.Cell{{From: "node1", To: "node3", Path: links.PathOverlay, State: links.Unknown}}
		show([]links.Finding{hostOf3}, "node3")
		Expect(e.Alerts()).To(HaveLen(1))
		diag.Findings = nil
		step(time.Second)
		step(time.Minute)
		Expect(e.Alerts()).To(HaveLen(1), "node3's cells are unknown: not healed yet")
		step(61 * time.Second)
		Expect(e.Alerts()).To(BeEmpty())
	})

	It("waits for a quorum of views: fewer than half of the others present changes nothing", func() {
		show([]links.Finding{hostOf3}, "node2", "node3")
		Expect(e.Alerts()).To(BeEmpty())
	})

	It("sends a shared alert to a non-deduplicating receiver from one node only: the first not at fault", func() {
		for _, self := range []string{"node1", "node2"} {
			e = newEngineAs(self)
			step(2 * time.Minute)
			diag.Self = self
			show([]links.Finding{hostOf3}, "node3")
			Expect(am.events()).To(HaveLen(1), "Alertmanager deduplicates: every node sends it")
			if self == "node1" {
				Expect(hk.events()).To(HaveLen(1))
			} else {
				Expect(hk.events()).To(BeEmpty(), "node1 sends it")
			}
		}
	})

	It("describes the alert with the finding's advice, its evidence and the named hosts' interfaces and routes", func() {
		f := links.Finding{ID: "mtu-node/node2", Kind: links.FindingMTUNode, Severity: links.SeverityWarning, Node: "node2",
			To: "node2", Path: links.PathOverlay, Cause: "mtu", Summary: "MTU black hole into node2 on the overlay path",
			Advice: "set com.docker.network.driver.mtu ≤ 950",
			Evidence: []links.LinkState{{Agent: "node1", Peer: "node2", Path: links.PathOverlay, Probe: "overlay-large",
				Role: links.RoleLarge, Direction: links.Outbound, Status: links.Failing, Cause: "mtu", Message: "large echo timed out"}},
			Hosts: map[string]links.HostEvidence{"node2": {
				Interfaces: []links.Interface{{Name: "eth0", MTU: 1450, Addrs: []string{"10.0.1.3/24"}}},
				Routes:     []links.Route{{Destination: "0.0.0.0/0", Gateway: "172.18.0.1", Interface: "eth1"}}}}}
		show([]links.Finding{f})
		Expect(e.Alerts()).To(HaveLen(1))
		desc := e.Alerts()[0].Description
		Expect(desc).To(ContainSubstring("Advice: set com.docker.network.driver.mtu ≤ 950."))
		Expect(desc).To(ContainSubstring("- node1 -> node2 overlay-large (outbound, seen by node1): FAILING, cause mtu: large echo timed out"))
		Expect(desc).To(ContainSubstring("Host node2:\ninterfaces: eth0 mtu 1450 10.0.1.3/24\nroutes: 0.0.0.0/0 via 172.18.0.1 dev eth1"))
	})

	It("designates the next node for non-deduplicating receivers while the first one's agent is fresh", func() {
		e = newEngineAs("node2")
		step(2 * time.Minute)
		diag.Self = "node2"
		show([]links.Finding{hostOf3}, "node3")
		Expect(hk.events()).To(BeEmpty(), "node1 sends it")
		e = newEngineAs("node2")
		step(2 * time.Minute)
		diag.Findings, diag.Views = []links.Finding{hostOf3}, views(clk.Now(), "node3")
		v := diag.Views["node1"]
		v.Started = clk.Now() // node1's agent just restarted: its grace holds its new alerts
		diag.Views["node1"] = v
		step(time.Second)
		diag.Views = views(clk.Now().Add(time.Second), "node3")
		diag.Views["node1"] = links.ViewInfo{Via: links.ViaPublished, Generated: clk.Now().Add(time.Second), Started: v.Started}
		step(2 * time.Second)
		Expect(hk.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable node3"}), "node2 sends it instead")
	})

	It("designates the first node by name when every agent is fresh (a cluster started together): one sender, not each evaluator", func() {
		sent := map[string][]string{}
		for _, self := range []string{"node1", "node2"} {
			e = newEngineAs(self)
			step(2 * time.Minute)
			diag.Self, diag.Findings = self, []links.Finding{hostOf3}
			for i := 0; i < 3; i++ {
				diag.Views = views(clk.Now().Add(time.Second), "node3")
				for n, v := range diag.Views {
					if v.Missing == "" {
						v.Started, v.Interval = clk.Now().Add(-time.Minute), 2*time.Minute // fresh: within ten intervals
						diag.Views[n] = v
					}
				}
				step(2 * time.Second)
			}
			Expect(e.Alerts()).To(HaveLen(1), "%s fires it", self)
			sent[self] = hk.events()
		}
		Expect(sent).To(Equal(map[string][]string{"node1": {"firing SwarmlinkHostUnreachable node3"}, "node2": nil}), "from node1 only")
	})

	It("raises loss only past the configured loss percent", func() {
		loss := links.Finding{ID: "loss/node2", Kind: links.FindingLoss, Severity: links.SeverityWarning, Node: "node2",
			To: "node2", Path: links.PathOverlay, Cause: "loss", LossPercent: 12}
		show([]links.Finding{loss})
		Expect(e.Alerts()).To(BeEmpty(), "12% is degraded, not past the 20% default")
		loss.LossPercent = 30
		show([]links.Finding{loss})
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameLoss)))
	})

	Describe("rules pinned against their mutants (hack/mutants.tsv)", func() {
		inbound3 := links.Finding{ID: "node-inbound/node3", Kind: links.FindingNodeInbound, Severity: links.SeverityCritical,
			Node: "node3", To: "node3", Path: links.PathOverlay, Cause: "timeout"}
		only := func(at time.Time, nodes []string, missing ...string) map[string]links.ViewInfo {
			out := map[string]links.ViewInfo{}
			for _, n := range nodes {
				out[n] = links.ViewInfo{Via: links.ViaPublished, Generated: at}
			}
			for _, n := range missing {
				out[n] = links.ViewInfo{Missing: "no answer"}
			}
			return out
		}
		// showOn is show for a cluster of nodes.
		showOn := func(nodes []string, fs []links.Finding, missing ...string) {
			diag.Nodes, diag.Findings, diag.Views = nodes, fs, only(clk.Now(), nodes, missing...)
			step(time.Second)
			diag.Views = only(clk.Now().Add(time.Second), nodes, missing...)
			step(2 * time.Second)
		}
		asNode := func(self string) {
			e = newEngineAs(self)
			step(2 * time.Minute)
			diag.Self = self
		}

		It("changes nothing while cut off, though every view is present", func() {
			diag.CutOff = true
			show([]links.Finding{inbound3})
			Expect(e.Alerts()).To(BeEmpty())
		})

		It("needs no quorum with a single peer: its missing view does not hold the host alert", func() {
			host2 := links.Finding{ID: "host-down/node2", Kind: links.FindingHostDown, Severity: links.SeverityCritical, Node: "node2"}
			showOn([]string{"node1", "node2"}, []links.Finding{host2}, "node2")
			Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameHostUnreachable)))
		})

		It("counts the quorum among the other nodes, not itself: one of three others is not half", func() {
			host4 := links.Finding{ID: "host-down/node4", Kind: links.FindingHostDown, Severity: links.SeverityCritical, Node: "node4"}
			showOn([]string{"node1", "node2", "node3", "node4"}, []links.Finding{host4}, "node3", "node4")
			Expect(e.Alerts()).To(BeEmpty())
		})

		It("fires only on views generated strictly after the finding was first seen; its own view's age does not matter", func() {
			diag.Findings, diag.Views = []links.Finding{inbound3}, views(clk.Now().Add(time.Second))
			step(time.Second)
			step(time.Second)
			Expect(e.Alerts()).To(BeEmpty(), "views generated the moment the finding was first seen")
			diag.Views = views(clk.Now().Add(time.Second))
			diag.Views["node1"] = links.ViewInfo{Via: links.ViaSelf, Generated: t0}
			step(2 * time.Second)
			Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameNodeInbound)))
		})

		DescribeTable("holds an alert while a direction about its node is undecided, for at most 30 s",
			func(c links.Cell) {
				diag.Cells = []links.Cell{c}
				show([]links.Finding{hostOf3}, "node3")
				Expect(e.Alerts()).To(BeEmpty())
				for range 10 {
					diag.Views = views(clk.Now(), "node3")
					step(3 * time.Second)
				}
				Expect(e.Alerts()).To(HaveLen(1))
			},
			Entry("its forward record pending", links.Cell{From: "node1", To: "node3", Path: links.PathOverlay, Forward: links.Pending}),
			Entry("its round trip pending", links.Cell{From: "node3", To: "node2", Path: links.PathOverlay, RoundTrip: links.Pending}),
		)

		It("is not held by an undecided direction about other nodes", func() {
			diag.Cells = []links.Cell{{From: "node1", To: "node2", Path: links.PathOverlay, Forward: links.Pending}}
			show([]links.Finding{hostOf3}, "node3")
			Expect(e.Alerts()).To(HaveLen(1))
		})

		It("holds alerts about a returning node for the whole 30 s after its host alert resolved", func() {
			show([]links.Finding{hostOf3}, "node3")
			diag.Findings = nil
			step(time.Second)
			show([]links.Finding{inbound3})
			for range 8 {
				diag.Views = views(clk.Now())
				step(3 * time.Second)
			}
			Expect(e.Alerts()).To(BeEmpty(), "27 s after the host alert resolved")
			Expect(e.Rejoining()).To(HaveKey("node3"), "and the hold says so")
			for range 2 {
				diag.Views = views(clk.Now())
				step(3 * time.Second)
			}
			Expect(e.Alerts()).To(HaveLen(1), "past the grace")
			Expect(e.Rejoining()).To(BeEmpty())
		})

		It("starts no rejoin grace when an alert other than the host alert resolves", func() {
			show([]links.Finding{inbound3})
			Expect(e.Alerts()).To(HaveLen(1))
			diag.Findings = nil
			step(time.Second)
			outbound3 := links.Finding{ID: "node-outbound/node3", Kind: links.FindingNodeOutbound, Severity: links.SeverityCritical,
				Node: "node3", From: "node3", Path: links.PathOverlay, Cause: "timeout"}
			show([]links.Finding{outbound3})
			Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameNodeOutbound)))
		})

		It("designates the first node whose view arrived and that is neither end of the alert", func() {
			asNode("node2")
			show([]links.Finding{inbound3}, "node1")
			Expect(hk.events()).To(HaveLen(1), "node1's view is missing: node2 sends it")

			asNode("node2")
			oneWays := []links.Finding{
				{ID: "one-way/node1/node3", Kind: links.FindingOneWay, From: "node1", To: "node3", Path: links.PathOverlay, Cause: "timeout"},
				{ID: "one-way/node3/node1", Kind: links.FindingOneWay, From: "node3", To: "node1", Path: links.PathOverlay, Cause: "timeout"}}
			show(oneWays)
			Expect(hk.events()).To(HaveLen(2), "node1 is an end of both: node2 sends them")
		})

		It("sends from every node when every node is at fault, and a check's alert from its own node", func() {
			down := links.Finding{ID: "link-down/node1/node2", Kind: links.FindingLinkDown, From: "node1", To: "node2",
				Path: links.PathOverlay, Cause: "timeout"}
			showOn([]string{"node1", "node2"}, []links.Finding{down})
			Expect(hk.events()).To(HaveLen(1))

			asNode("node1")
			checkDB := links.Finding{ID: "check-failed///node1/db", Kind: links.FindingCheckFailed, From: "node1", To: "db:5432",
				Path: links.PathDirect, Probe: "db", Cause: "refused"}
			show([]links.Finding{checkDB})
			Expect(hk.events()).To(HaveLen(1), "a check is not shared: node1 sends its own")
		})

		It("holds a new finding for Settle, though fresh views show it", func() {
			var err error
			am, hk = &recorder{name: "am", dedup: true}, &recorder{name: "hook"}
			e, err = alert.New(alert.Options{Config: alert.Config{Settle: 20 * time.Second}, Self: "node1", Queue: newMemKV(),
				State: newMemKV(), Notifiers: []alert.Notifier{am, hk}, Clock: clk, Log: testLogger(),
				Diagnose: func(context.Context) links.Diagnosis { return diag }})
			Expect(err).NotTo(HaveOccurred())
			step(2 * time.Minute)
			show([]links.Finding{inbound3})
			Expect(e.Alerts()).To(BeEmpty(), "3 s of the 20 s settle")
			for range 7 {
				diag.Views = views(clk.Now())
				step(3 * time.Second)
			}
			Expect(e.Alerts()).To(HaveLen(1))
		})

		It("raises loss from exactly the configured loss percent", func() {
			loss := links.Finding{ID: "loss/node2", Kind: links.FindingLoss, Severity: links.SeverityWarning, Node: "node2",
				To: "node2", Path: links.PathOverlay, Cause: "loss", LossPercent: 20}
			show([]links.Finding{loss})
			Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameLoss)))
		})
	})
})

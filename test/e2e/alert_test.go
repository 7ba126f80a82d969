package e2e

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/test/cluster"
)

// The test config's hysteresis (testdata/swarmlink.yml): failing after F of
// the last 3 results failed.
const alertF = 2

// alertBudget is how soon an alert must reach Alertmanager after a fault
// (issue 8): F failed results, the last one taking the probe timeout, 2 s
// for diagnosing and delivering, plus one mesh interval — the other nodes'
// views of the same fault, and the fresh gathering an alert waits for.
var alertBudget = alertF*meshInterval + meshTimeout + 2*time.Second + meshInterval

// Alerting (issue 5) on the real cluster, delivered to a real Alertmanager
// (Debian's prometheus-alertmanager in node1's namespace) and to a signed
// webhook, both started for the suite (receivers_test.go).
var _ = Describe("alerting", Label("e2e"), func() {
	var n1, n3 *cluster.Node
	BeforeEach(func(ctx SpecContext) {
		n1, n3 = suite.Nodes[0], suite.Nodes[2]
		eventuallyMeshHealthy(ctx, 60*time.Second)
		eventuallyNoAlerts(ctx, 75*time.Second)
	})

	It("UDP 4789 dropped on node3: SwarmlinkNodeInbound and SwarmlinkNodeOutbound for node3 reach Alertmanager within F×interval+timeout+2s+interval; healed, they resolve", func(ctx SpecContext) {
		t0 := time.Now()
		injectAll(ctx, cluster.DropOverlayTo, cluster.DropOverlayFrom)(n3)
		want := overlayDataPlaneAlerts(n3)
		arrived := waitForAM(ctx, t0, want, alertBudget+15*time.Second, amMentions(n3.Name))
		first := time.Hour
		for _, k := range want {
			GinkgoWriter.Printf("%s reached Alertmanager %s after the fault (budget %s)\n", k, arrived[k].Round(time.Millisecond), alertBudget)
			first = min(first, arrived[k])
			// "The node, not its links" needs the receiving ends' verdicts
			// too, which each takes once per interval (its sweep of what
			// arrived): one may wait for one more sweep.
			Expect(arrived[k]).To(BeNumerically("<=", alertBudget+meshInterval), "%s", k)
		}
		Expect(first).To(BeNumerically("<=", alertBudget), "the fault is reported within F×interval+timeout+2s+interval")
		// The webhook hears from the designated node only, which may fire a
		// second after another evaluator reached Alertmanager: healed at
		// once, node1 had fired one of the two (CI).
		waitWebhookFiring(ctx, t0, want)

		t1 := time.Now()
		healAll(ctx)
		Eventually(ctx, amActive).WithTimeout(30 * time.Second).WithPolling(250 * time.Millisecond).
			ShouldNot(ContainElement(amMentions(n3.Name)))
		GinkgoWriter.Printf("resolved in Alertmanager %s after healing\n", time.Since(t1).Round(time.Millisecond))
		expectWebhookLifetimes(ctx, t0, want)
	}, SpecTimeout(specTimeout))

	It("Alertmanager down during a fault: the alert is delivered once it is back", func(ctx SpecContext) {
		Expect(am.Stop()).To(Succeed())
		DeferCleanup(func(ctx SpecContext) {
			if am.cmd == nil {
				Expect(am.Start(ctx)).To(Succeed())
			}
		})
		failures := notificationFailures(ctx, n1)
		injectAll(ctx, cluster.DropOverlayTo, cluster.DropOverlayFrom)(n3)
		want := overlayDataPlaneAlerts(n3)
		Eventually(ctx, func(g Gomega) {
			as, err := agentAlerts(ctx, n1)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(as).To(ContainElement(HaveField("Name", BeElementOf(nameNodeInbound, nameNodeOutbound))))
			g.Expect(notificationFailures(ctx, n1)).To(BeNumerically(">", failures), "node1 tried Alertmanager and failed")
		}).WithTimeout(alertBudget + 10*time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())

		up := time.Now()
		Expect(am.Start(ctx)).To(Succeed())
		// The agents back off exponentially (1 s doubling) while it is down.
		arrived := waitForAM(ctx, up, want, 45*time.Second, amMentions(n3.Name))
		for _, k := range want {
			GinkgoWriter.Printf("%s delivered %s after Alertmanager came back\n", k, arrived[k].Round(time.Millisecond))
		}
		healAll(ctx)
		Eventually(ctx, amActive).WithTimeout(30 * time.Second).WithPolling(250 * time.Millisecond).
			ShouldNot(ContainElement(amMentions(n3.Name)))
	}, SpecTimeout(specTimeout))

	It("an agent restarted while its alert fires sends no second firing message, and the alert resolves after healing", func(ctx SpecContext) {
		t0 := time.Now()
		// The published peer port dropped at node3: the overlay still works,
		// so the restarted agent identifies every peer again at once.
		injectAll(ctx, func(ctx context.Context, n *cluster.Node) (cluster.Heal, error) {
			return cluster.DropPublishedPort(ctx, n, "tcp", 9471)
		}, func(ctx context.Context, n *cluster.Node) (cluster.Heal, error) {
			return cluster.DropPublishedPort(ctx, n, "udp", 9471)
		})(n3)
		var fp string
		Eventually(ctx, func(g Gomega) {
			msgs := hook.messages(t0, alert.StatusFiring)
			for _, m := range msgs {
				if m.Sender == n1.Name && m.Alert.Name == namePublishedPort {
					fp = m.Alert.Fingerprint
				}
			}
			g.Expect(fp).NotTo(BeEmpty(), "node1's firing message about node3: %+v", msgs)
		}).WithTimeout(alertBudget + 10*time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
		Eventually(ctx, amActive).WithTimeout(10 * time.Second).Should(ContainElement(And(
			HaveField("Labels", HaveKeyWithValue("alertname", namePublishedPort)), amMentions(n3.Name))))

		old, err := suite.AgentContainer(ctx, n1)
		Expect(err).NotTo(HaveOccurred())
		Expect(n1.Client.ContainerKill(ctx, old.ID, "KILL")).To(Succeed())
		Eventually(ctx, func(g Gomega) {
			ct, err := suite.AgentContainer(ctx, n1)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ct.ID).NotTo(Equal(old.ID), "Swarm started a new task")
			g.Expect(ct.State.Health).NotTo(BeNil())
			g.Expect(ct.State.Health.Status).To(Equal("healthy"))
		}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
		Eventually(ctx, func(g Gomega) {
			as, err := agentAlerts(ctx, n1)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(as).To(ContainElement(HaveField("Fingerprint", fp)), "the restarted agent still fires it")
		}).WithTimeout(30 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
		// Past the restarted engine's grace period and a few rounds.
		Consistently(ctx, func() int { return firingCount(t0, n1.Name, fp) }).
			WithTimeout(5*time.Second+3*meshInterval).WithPolling(500*time.Millisecond).
			Should(Equal(1), func() string { return hook.log(t0) + "\n" + agentLog(ctx, n1, "alert") })

		healAll(ctx)
		Eventually(ctx, func(g Gomega) {
			g.Expect(amActive(ctx)).NotTo(ContainElement(amMentions(n3.Name)))
			g.Expect(resolvedCount(t0, n1.Name, fp)).To(Equal(1))
		}).WithTimeout(30 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
		Expect(firingCount(t0, n1.Name, fp)).To(Equal(1), "one firing message for the alert's whole lifetime")
		Expect(hook.rejected()).To(BeEmpty(), "every webhook request carried a valid signature")
	}, SpecTimeout(4*time.Minute))

	It("a node cut off entirely is one SwarmlinkHostUnreachable in Alertmanager, not one alert per link; healed", func(ctx SpecContext) {
		t0 := time.Now()
		injectAll(ctx, cluster.CutNode)(n3)
		host := alertKey{Name: nameHostUnreachable, Node: n3.Name, Cause: "host-down"}
		perLink := func(a AMAlert) bool {
			ok, _ := amMentions(n3.Name).Match(a)
			return ok && a.Labels["alertname"] != nameHostUnreachable
		}
		var seen time.Duration
		Eventually(ctx, func(g Gomega) {
			active, err := amActive(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			for _, a := range active {
				if perLink(a) {
					StopTrying(fmt.Sprintf("a per-link alert while node3 is cut off: %s (all: %v)\nnode1:\n%s\nnode2:\n%s",
						a, active, agentLog(ctx, n1, "alert"), agentLog(ctx, suite.Nodes[1], "alert"))).Now()
				}
				if host.matches(keyOf(a)) && seen == 0 {
					seen = time.Since(t0)
				}
			}
			g.Expect(seen).NotTo(BeZero(), "active: %v", active)
		}).WithTimeout(alertBudget + 15*time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
		// No F×interval budget here: "the host, not its links" is every
		// agent's verdict, so it waits for the others' links to decide and
		// for a cluster view fetched after that (one more interval).
		GinkgoWriter.Printf("%s reached Alertmanager %s after the cut\n", host, seen.Round(time.Millisecond))
		Consistently(ctx, func() []AMAlert {
			active, _ := amActive(ctx)
			var bad []AMAlert
			for _, a := range active {
				if perLink(a) {
					bad = append(bad, a)
				}
			}
			return bad
		}).WithTimeout(2 * meshInterval).WithPolling(250 * time.Millisecond).Should(BeEmpty())

		healAll(ctx)
		Eventually(ctx, amActive).WithTimeout(90 * time.Second).WithPolling(250 * time.Millisecond).
			ShouldNot(ContainElement(amMentions(n3.Name)))
	}, SpecTimeout(specTimeout))
})

// Alertnames (one per finding kind, alertFor) the alerting specs expect.
const (
	nameHostUnreachable = "SwarmlinkHostUnreachable"
	nameNodeInbound     = "SwarmlinkNodeInbound"
	nameNodeOutbound    = "SwarmlinkNodeOutbound"
	namePublishedPort   = "SwarmlinkPublishedPort"
)

// alertKey is the label set the specs compare: alertname, node, source,
// destination, path, cause.
type alertKey struct{ Name, Node, Source, Destination, Path, Cause string }

func (k alertKey) String() string {
	return fmt.Sprintf("%s node=%s %s→%s (%s, %s)", k.Name, k.Node, k.Source, k.Destination, k.Path, k.Cause)
}

// matches says whether got is k, the fields k leaves empty aside.
func (k alertKey) matches(got alertKey) bool {
	eq := func(want, have string) bool { return want == "" || want == have }
	return got.Name == k.Name && eq(k.Node, got.Node) && eq(k.Source, got.Source) &&
		eq(k.Destination, got.Destination) && eq(k.Path, got.Path) && eq(k.Cause, got.Cause)
}

func keyOf(a AMAlert) alertKey {
	l := a.Labels
	return alertKey{l["alertname"], l["node"], l["source"], l["destination"], l["path"], l["cause"]}
}

// overlayDataPlaneAlerts are the alerts of n's overlay data plane being
// down both ways: n receives nothing, and nothing it sends arrives.
func overlayDataPlaneAlerts(n *cluster.Node) []alertKey {
	return []alertKey{{Name: nameNodeInbound, Node: n.Name, Path: "overlay"}, {Name: nameNodeOutbound, Node: n.Name, Path: "overlay"}}
}

// waitForAM polls Alertmanager until every wanted alert is active and
// returns how long after t0 each was first seen. Any other active alert
// matching about fails the spec at once.
func waitForAM(ctx context.Context, t0 time.Time, want []alertKey, timeout time.Duration, about OmegaMatcher) map[alertKey]time.Duration {
	GinkgoHelper()
	seen := map[alertKey]time.Duration{}
	Eventually(ctx, func(g Gomega) {
		active, err := amActive(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		for _, a := range active {
			k, ok := matchingKey(want, keyOf(a))
			if !ok {
				if ok, _ := about.Match(a); ok {
					StopTrying(fmt.Sprintf("unexpected alert %s (active: %v)\n%s", a, active, hook.log(t0))).Now()
				}
				continue
			}
			g.Expect(a.Labels).To(HaveKeyWithValue("severity", BeElementOf("critical", "warning")))
			g.Expect(a.Labels).To(HaveKeyWithValue("cluster", "swarmlink"))
			if _, ok := seen[k]; !ok {
				seen[k] = time.Since(t0)
			}
		}
		g.Expect(seen).To(HaveLen(len(want)), "seen %v, active %v", seen, active)
	}).WithTimeout(timeout).WithPolling(100 * time.Millisecond).Should(Succeed())
	return seen
}

// matchingKey is the key of want that got matches.
func matchingKey(want []alertKey, got alertKey) (alertKey, bool) {
	for _, w := range want {
		if w.matches(got) {
			return w, true
		}
	}
	return alertKey{}, false
}

// waitWebhookFiring waits until the webhook got a firing message for each
// wanted alert since t0.
func waitWebhookFiring(ctx context.Context, t0 time.Time, want []alertKey) {
	GinkgoHelper()
	Eventually(ctx, func(g Gomega) {
		for _, k := range want {
			g.Expect(hook.messages(t0, alert.StatusFiring)).To(ContainElement(HaveField("Alert", And(
				HaveField("Name", k.Name), HaveField("Path", k.Path)))), "no firing webhook message for %s\n%s", k, hook.log(t0))
		}
	}).WithTimeout(15 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
}

// expectWebhookLifetimes waits until the webhook got, for each wanted alert
// since t0, one firing message and one resolved message from every agent
// that sent it (at least one).
func expectWebhookLifetimes(ctx context.Context, t0 time.Time, want []alertKey) {
	GinkgoHelper()
	Eventually(ctx, func(g Gomega) {
		for _, k := range want {
			count := map[string]map[string]int{} // sender+fingerprint -> status -> messages
			for _, status := range []string{alert.StatusFiring, alert.StatusResolved} {
				for _, m := range hook.messages(t0, status) {
					if a := m.Alert; a.Name == k.Name && a.Path == k.Path {
						id := m.Sender + "/" + a.Fingerprint
						if count[id] == nil {
							count[id] = map[string]int{}
						}
						count[id][status]++
					}
				}
			}
			g.Expect(count).NotTo(BeEmpty(), "no webhook message for %s\n%s", k, hook.log(t0))
			for id, c := range count {
				g.Expect(c).To(Equal(map[string]int{alert.StatusFiring: 1, alert.StatusResolved: 1}), "%s from %s\n%s", k, id, hook.log(t0))
			}
		}
	}).WithTimeout(15 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
	Expect(hook.rejected()).To(BeEmpty(), "every webhook request carried a valid signature")
}

// firingCount and resolvedCount count sender's webhook messages about the
// alert fp since t0.
func firingCount(t0 time.Time, sender, fp string) int {
	return countMessages(t0, alert.StatusFiring, sender, fp)
}

func resolvedCount(t0 time.Time, sender, fp string) int {
	return countMessages(t0, alert.StatusResolved, sender, fp)
}

func countMessages(t0 time.Time, status, sender, fp string) int {
	n := 0
	for _, m := range hook.messages(t0, status) {
		if m.Sender == sender && m.Alert.Fingerprint == fp {
			n++
		}
	}
	return n
}

// notificationFailures reads swarmlink_notifications_total for
// Alertmanager failures on n's agent.
func notificationFailures(ctx context.Context, n *cluster.Node) float64 {
	GinkgoHelper()
	text, err := metricsOf(ctx, agentURL(n))
	Expect(err).NotTo(HaveOccurred())
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "swarmlink_notifications_total{") &&
			strings.Contains(line, `notifier="alertmanager"`) && strings.Contains(line, `result="failure"`) {
			var v float64
			_, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			Expect(err).NotTo(HaveOccurred(), line)
			return v
		}
	}
	return 0
}

// agentLog returns the lines of n's running agent's log that contain word.
func agentLog(ctx context.Context, n *cluster.Node, word string) string {
	ct, err := suite.AgentContainer(ctx, n)
	if err != nil {
		return err.Error()
	}
	stdout, stderr, err := containerLogs(ctx, n, ct.ID)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, line := range strings.Split(string(stdout)+string(stderr), "\n") {
		if strings.Contains(line, word) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

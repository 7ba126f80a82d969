package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// replaceTasksAvoiding replaces the service's tasks (a forced update) and
// keeps them off node n.
func replaceTasksAvoiding(ctx context.Context, name string, n *cluster.Node) {
	GinkgoHelper()
	m := suite.Manager()
	svc, _, err := m.Client.ServiceInspectWithRaw(ctx, name, swarm.ServiceInspectOptions{})
	Expect(err).NotTo(HaveOccurred())
	spec := svc.Spec
	if spec.TaskTemplate.Placement == nil {
		spec.TaskTemplate.Placement = &swarm.Placement{}
	}
	spec.TaskTemplate.Placement.Constraints = []string{"node.hostname!=" + n.Name}
	spec.TaskTemplate.ForceUpdate++
	_, err = m.Client.ServiceUpdate(ctx, svc.ID, svc.Version, spec, swarm.ServiceUpdateOptions{})
	Expect(err).NotTo(HaveOccurred())
}

// setRole makes n a manager or a worker, through manager m's engine.
func setRole(ctx context.Context, m, n *cluster.Node, role swarm.NodeRole) {
	GinkgoHelper()
	Expect(trySetRole(ctx, m, n, role)).To(Succeed())
}

func trySetRole(ctx context.Context, m, n *cluster.Node, role swarm.NodeRole) error {
	info, err := n.Client.Info(ctx)
	if err != nil {
		return err
	}
	node, _, err := m.Client.NodeInspectWithRaw(ctx, info.Swarm.NodeID)
	if err != nil {
		return err
	}
	if node.Spec.Role == role {
		return nil
	}
	node.Spec.Role = role
	return m.Client.NodeUpdate(ctx, node.ID, node.Version, node.Spec)
}

// relayStatus is the part of /api/v1/status that says where an agent's
// view of the Swarm comes from.
type relayStatus struct {
	LabelErrors []struct{ Service, Label, Value, Expected string } `json:"label_errors"`
	SwarmRelay  struct {
		Role, From string
		Taken      time.Time
		Error      string
		Events     *struct {
			Watching bool
			Seen     uint64
			Error    string
		}
	} `json:"swarm_relay"`
}

// checksOf is checks, for the specs below whose checks variable shadows it.
func checksOf(ctx context.Context, n *cluster.Node) ([]CheckStatus, error) { return checks(ctx, n) }

// The swarm sources against the real Swarm: an agent with the swarm
// section on, run on the manager with its Docker socket and on the stack's
// overlay, reads a vip-mode service with two replicas (published through
// the ingress mesh and in host mode) from the API and makes its checks. On
// this kernel (no IPVS) the VIP times out and the ingress port is refused
// while the tasks answer: the checks must say exactly that.
var _ = Describe("swarm checks from the Docker API", Label("e2e"), Ordered, func() {
	const (
		svc                   = "slswarm"
		ingressPort, hostPort = 23180, 23181
		agentPort             = 29470
	)
	labels := map[string]string{
		"swarmlink.check.health.kind":         "http",
		"swarmlink.check.health.target":       "http://tasks.slswarm:8080/healthz",
		"swarmlink.check.health.http.status":  "200",
		"swarmlink.check.vip.kind":            "tcp",
		"swarmlink.check.vip.target":          "slswarm:8080",
		"swarmlink.check.vip.expect":          "unreachable",
		"swarmlink.check.dns.kind":            "dns",
		"swarmlink.check.dns.target":          "tasks.slswarm",
		"swarmlink.check.dns.dns.resolver":    "127.0.0.11:53",
		"swarmlink.check.dns.dns.min_answers": "2",
		"swarmlink.check.bad.kind":            "tcp",
		"swarmlink.check.bad.target":          "slswarm:8080",
		"swarmlink.check.bad.interval":        "soon",
	}
	var (
		tasks  []cluster.Task
		ips    []string
		vip    string
		agent  swarmAgent
		checks map[string]swarmCheck
	)
	BeforeAll(func(ctx SpecContext) {
		tasks = createSwarmService(ctx, svc, 2, ingressPort, hostPort, labels)
		for _, t := range tasks {
			ips = append(ips, t.IP)
		}
		vip = serviceVIP(ctx, svc)
		agent = startSwarmAgent(ctx, suite.Manager(), agentPort)
		want := []string{"swarm/slswarm/vip/8080", "swarm/slswarm/dns/tasks",
			"labels/slswarm/health", "labels/slswarm/vip", "labels/slswarm/dns"}
		for _, n := range suite.Nodes {
			want = append(want, fmt.Sprintf("swarm/slswarm/ingress/%s-%d", n.Name, ingressPort))
		}
		for _, t := range tasks {
			want = append(want, fmt.Sprintf("swarm/slswarm/host/%s-%d", t.Node.Name, hostPort))
		}
		// The tasks' own agents may still be starting: wait for passing task checks.
		Eventually(func(g Gomega) {
			checks = agent.checks(ctx, svc, append(want, "swarm/slswarm/task/1-8080", "swarm/slswarm/task/2-8080")...)
			for _, k := range []string{"swarm/slswarm/task/1-8080", "swarm/slswarm/task/2-8080"} {
				g.Expect(checks[k].Status.LastResult.Passed).To(BeTrue(), "%s: %+v", k, checks[k].Status.LastResult)
			}
			g.Expect(checks["swarm/slswarm/vip/8080"].Status.LastResult.Message).To(ContainSubstring("all 2 task IPs answer"))
		}).WithContext(ctx).WithTimeout(60 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
		for _, k := range slices.Sorted(maps.Keys(checks)) {
			r := checks[k].Status.LastResult
			GinkgoWriter.Printf("%s %s passed=%t cause=%s: %s\n", k, checks[k].Spec.Spec.Target, r.Passed, r.Cause, r.Message)
		}
	}, NodeTimeout(4*time.Minute))

	It("checks every task IP, and explains the VIP that times out while they answer", func() {
		var targets []string
		for _, k := range []string{"swarm/slswarm/task/1-8080", "swarm/slswarm/task/2-8080"} {
			c := checks[k]
			Expect(c.Spec.Link.Path).To(Equal("task"))
			Expect(c.Status.LastResult.Passed).To(BeTrue())
			targets = append(targets, c.Spec.Spec.Target)
		}
		Expect(targets).To(ConsistOf(ips[0]+":8080", ips[1]+":8080"))

		c := checks["swarm/slswarm/vip/8080"]
		Expect(c.Spec.Spec.Kind).To(Equal("swarm-vip"))
		Expect(c.Spec.Spec.Target).To(Equal(vip + ":8080"))
		Expect(c.Spec.Link.Path).To(Equal("vip"))
		r := c.Status.LastResult
		Expect(r.Passed).To(BeFalse(), "this kernel has no IPVS: %+v", r)
		Expect(r.Cause).To(Equal("timeout"))
		Expect(r.Message).To(Equal("service VIP " + vip + ":8080 times out while all 2 task IPs answer: the service " +
			"load balancer (IPVS) is not working on this node — the kernel may lack IP_VS"))
	})

	It("explains the ingress port that is refused while the tasks answer; the host-mode ports answer", func() {
		m := suite.Manager()
		c := checks[fmt.Sprintf("swarm/slswarm/ingress/%s-%d", m.Name, ingressPort)]
		Expect(c.Spec.Spec.Target).To(Equal(fmt.Sprintf("%s:%d", m.Addr, ingressPort)))
		Expect(c.Spec.Link.Path).To(Equal("ingress"))
		Expect(c.Spec.Link.Destination).To(Equal(m.Name), "the entry node")
		r := c.Status.LastResult
		Expect(r.Passed).To(BeFalse())
		Expect(r.Cause).To(Equal("refused"))
		Expect(r.Message).To(Equal(fmt.Sprintf("ingress routing mesh refuses port %d while the tasks answer: IPVS "+
			"missing? (%s:%d: refused; all 2 task IPs answer)", ingressPort, m.Addr, ingressPort)))

		for _, t := range tasks {
			h := checks[fmt.Sprintf("swarm/slswarm/host/%s-%d", t.Node.Name, hostPort)]
			Expect(h.Spec.Spec.Target).To(Equal(fmt.Sprintf("%s:%d", t.Node.Addr, hostPort)))
			Expect(h.Status.LastResult.Passed).To(BeTrue(), "host mode on %s: %+v", t.Node.Name, h.Status.LastResult)
		}
	})

	// The stack's agents run the swarm checks too (testdata/swarmlink.yml):
	// every one probes the ingress port at every node's address. With no
	// IPVS here every entry node refuses while the tasks answer, which is
	// one finding, the same from every node; a port dropped on node2 on
	// top of that is node2's column, told apart by its cause.
	It("probes the routing mesh at every entry node from every node, and tells no IPVS anywhere from one node's dropped port",
		func(ctx SpecContext) {
			probe := fmt.Sprintf("%s:%d", svc, ingressPort)
			var names []string
			for _, n := range suite.Nodes {
				names = append(names, n.Name)
			}
			// ingress returns each node's routing-mesh findings of probe, by
			// kind, once every node's diagnosis has the full entry-node matrix.
			ingress := func(g Gomega) map[string][]Finding {
				out := map[string][]Finding{}
				for _, n := range suite.Nodes {
					d, err := diagnosis(ctx, n)
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(d.Paths).To(ContainElement("ingress"), "%s", d.Brief())
					var cells int
					for _, c := range d.Cells {
						if c.Path == "ingress" {
							cells++
							g.Expect(c.State).To(Equal("failing"), "%s→%s: no IPVS, every entry node fails", c.From, c.To)
						}
					}
					g.Expect(cells).To(Equal(len(names)*(len(names)-1)), "%s: a node × node matrix", n.Name)
					for _, f := range d.Findings {
						if f.Path == "ingress" && f.Probe == probe {
							out[n.Name] = append(out[n.Name], f)
						}
					}
				}
				return out
			}
			sameEverywhere := func(g Gomega, got map[string][]Finding) []Finding {
				first := got[names[0]]
				for _, n := range names[1:] {
					g.Expect(got[n]).To(Equal(first), "%s says what %s says", n, names[0])
				}
				return first
			}
			Eventually(ctx, func(g Gomega) {
				fs := sameEverywhere(g, ingress(g))
				g.Expect(fs).To(HaveLen(1))
				g.Expect(fs[0].Kind).To(Equal("ingress-mesh"))
				g.Expect(fs[0].Cause).To(Equal("refused"))
				g.Expect(fs[0].Summary).To(Equal(fmt.Sprintf("the routing mesh refuses port %d (%s) on every entry node "+
					"(%s) while the service's tasks answer: the service load balancer (IPVS) is missing or broken on "+
					"the nodes — the kernel may lack ip_vs", ingressPort, svc, strings.Join(names, ", "))))
			}).WithTimeout(60 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
			for _, n := range suite.Nodes {
				cs, err := checksOf(ctx, n)
				Expect(err).NotTo(HaveOccurred())
				passed := 0
				for _, c := range cs {
					if strings.HasPrefix(c.Metadata.Key, "swarm/"+svc+"/host/") && c.Status.LastResult != nil &&
						c.Status.LastResult.Passed {
						passed++
					}
				}
				Expect(passed).To(Equal(len(tasks)), "%s: every task's host-mode port answers, bypassing the mesh", n.Name)
			}

			node2 := suite.Nodes[1]
			heal, err := cluster.DropPublishedPort(ctx, node2, "tcp", ingressPort)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(heal)
			start := time.Now()
			Eventually(ctx, func(g Gomega) {
				fs := sameEverywhere(g, ingress(g))
				g.Expect(fs).To(HaveLen(2))
				g.Expect(fs[0].Kind).To(Equal("ingress-mesh"))
				g.Expect(fs[0].Summary).To(HavePrefix(fmt.Sprintf("the routing mesh refuses port %d (%s) on %s, %s while",
					ingressPort, svc, names[0], names[2])))
				g.Expect([]string{fs[1].Kind, fs[1].Node, fs[1].Cause}).To(Equal([]string{"ingress-node", node2.Name, "timeout"}))
				g.Expect(fs[1].Summary).To(Equal(fmt.Sprintf("%s's routing mesh times out on port %d (%s) from every node "+
					"(timeout) while %s, %s refuse it: the fault is on %s", node2.Name, ingressPort, svc, names[0], names[2],
					node2.Name)))
			}).WithTimeout(60 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
			GinkgoWriter.Printf("node2's dropped ingress port told apart on every node %s after the fault\n",
				time.Since(start).Round(100*time.Millisecond))
			Expect(heal(ctx)).To(Succeed())
			Eventually(ctx, func(g Gomega) {
				fs := sameEverywhere(g, ingress(g))
				g.Expect(fs).To(HaveLen(1))
				g.Expect(fs[0].Kind).To(Equal("ingress-mesh"))
			}).WithTimeout(60 * time.Second).WithPolling(2 * time.Second).Should(Succeed())
		}, SpecTimeout(4*time.Minute))

	It("finds tasks.<service> on the embedded DNS equal to the running tasks' IPs", func() {
		r := checks["swarm/slswarm/dns/tasks"].Status.LastResult
		Expect(r.Passed).To(BeTrue(), "%+v", r)
		Expect(r.Answers).To(ConsistOf(ips))
		Expect(r.Message).To(HavePrefix("tasks.slswarm lists exactly the running tasks' IPs: "))
	})

	It("turns the service's swarmlink.check labels into checks, and reports the bad one instead of running it", func(ctx SpecContext) {
		for key, cause := range map[string]string{"labels/slswarm/health": "ok", "labels/slswarm/vip": "timeout",
			"labels/slswarm/dns": "ok"} {
			c := checks[key]
			Expect(c.Metadata.Origin).To(Equal("labels"))
			Expect(c.Spec.Link.Path).To(Equal("direct"))
			Expect(c.Status.LastResult.Passed).To(BeTrue(), "%s: %+v", key, c.Status.LastResult)
			Expect(c.Status.LastResult.Cause).To(Equal(cause), key)
		}
		Expect(checks["labels/slswarm/dns"].Status.LastResult.Answers).To(ConsistOf(ips))
		Expect(checks).NotTo(HaveKey("labels/slswarm/bad"))

		var st swarmStatus
		Expect(agent.get(ctx, "/api/v1/status", &st)).To(Succeed())
		Expect(st.SourceErrors).To(BeEmpty())
		Expect(st.LabelErrors).To(ContainElement(Equal(struct{ Service, Label, Value, Expected string }{
			svc, "swarmlink.check.bad.interval", "soon", "a duration from 100ms to 24h such as 500ms, 5s or 1m"})))
	})

	// The stack's agents re-read the Swarm every 15 s (swarm.refresh's
	// default); the engine's events make a change show sooner. Three
	// changes, each seen within 5 s: by the refresh alone, all three would
	// be with a chance of (5/15)³ ≈ 4 %; the events counter says why.
	It("picks label changes of the running service up from the engine's events on the manager's agent, well within its 15 s refresh",
		func(ctx SpecContext) {
			m := suite.Manager()
			seen := func() uint64 {
				var st relayStatus
				Expect(getJSON(ctx, agentURL(m), "/api/v1/status", &st)).To(Succeed())
				Expect(st.SwarmRelay.Events).NotTo(BeNil(), "the manager's agent watches the engine's events")
				Expect(st.SwarmRelay.Events.Watching).To(BeTrue(), "%+v", *st.SwarmRelay.Events)
				return st.SwarmRelay.Events.Seen
			}
			has := func(key string) func(Gomega) bool {
				return func(g Gomega) bool {
					cs, err := checksOf(ctx, m)
					g.Expect(err).NotTo(HaveOccurred())
					return slices.ContainsFunc(cs, func(c CheckStatus) bool { return c.Metadata.Key == key })
				}
			}
			before := seen()
			change := func(what, key string, add map[string]string, remove []string, want bool) {
				t0 := time.Now()
				updateServiceLabels(ctx, svc, add, remove)
				Eventually(ctx, has(key)).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal(want))
				took := time.Since(t0)
				GinkgoWriter.Printf("events: %s: %s on %s's agent %s after the update\n", what, key, m.Name, took.Round(time.Millisecond))
				Expect(took).To(BeNumerically("<", 5*time.Second), "%s: %s seen %s after the update, refresh 15 s", what, key, took)
			}
			label := func(name string) map[string]string {
				p := "swarmlink.check." + name + "."
				return map[string]string{p + "kind": "dns", p + "target": "tasks." + svc, p + "dns.resolver": "127.0.0.11:53"}
			}
			change("added", "labels/slswarm/ev1", label("ev1"), nil, true)
			change("added", "labels/slswarm/ev2", label("ev2"), nil, true)
			change("removed", "labels/slswarm/ev1", nil, slices.Collect(maps.Keys(label("ev1"))), false)
			updateServiceLabels(ctx, svc, nil, slices.Collect(maps.Keys(label("ev2"))))
			Expect(seen()).To(BeNumerically(">", before), "events arrived while the labels changed")
		})

	It("runs the service's label checks on the workers' agents too, from the manager agent's snapshot, kept while that agent restarts",
		func(ctx SpecContext) {
			workers := suite.Nodes[1:]
			labelChecks := []string{"labels/slswarm/health", "labels/slswarm/vip", "labels/slswarm/dns"}
			onEveryWorker := func(g Gomega) map[string]time.Time {
				taken := map[string]time.Time{}
				for _, n := range workers {
					cs, err := checksOf(ctx, n)
					g.Expect(err).NotTo(HaveOccurred())
					byKey := map[string]CheckStatus{}
					for _, c := range cs {
						byKey[c.Metadata.Key] = c
					}
					for _, k := range labelChecks {
						g.Expect(byKey).To(HaveKey(k), "%s runs %s", n.Name, k)
						c := byKey[k]
						g.Expect(c.Spec.Link.Source).To(Equal(n.Name), "recorded as run by %s", n.Name)
						g.Expect(c.Status.LastResult).NotTo(BeNil(), "%s %s", n.Name, k)
						g.Expect(c.Status.LastResult.Passed).To(BeTrue(), "%s %s: %+v", n.Name, k, c.Status.LastResult)
					}
					g.Expect(byKey).NotTo(HaveKey("labels/slswarm/bad"), "the bad label is skipped on %s too", n.Name)
					var st relayStatus
					g.Expect(getJSON(ctx, agentURL(n), "/api/v1/status", &st)).To(Succeed())
					g.Expect(st.SwarmRelay.Role).To(Equal("worker"))
					g.Expect(st.SwarmRelay.From).To(Equal(suite.Manager().Name))
					g.Expect(st.LabelErrors).To(ContainElement(HaveField("Label", "swarmlink.check.bad.interval")))
					taken[n.Name] = st.SwarmRelay.Taken
				}
				return taken
			}
			start := time.Now()
			Eventually(ctx, onEveryWorker).WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Not(BeEmpty()))
			GinkgoWriter.Printf("the workers' agents run the label checks %s after the spec started\n", time.Since(start).Round(time.Second))

			m := suite.Manager()
			old, err := suite.AgentContainer(ctx, m)
			Expect(err).NotTo(HaveOccurred())
			killed := time.Now()
			Expect(m.Client.ContainerKill(ctx, old.ID, "KILL")).To(Succeed())
			Consistently(ctx, func(g Gomega) { onEveryWorker(g) }).WithTimeout(10*time.Second).
				WithPolling(time.Second).Should(Succeed(), "the workers keep their checks while no manager's agent answers")
			Eventually(ctx, func(g Gomega) {
				for n, at := range onEveryWorker(g) {
					g.Expect(at).To(BeTemporally(">", killed), "%s: a snapshot from the restarted agent", n)
				}
			}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
			// slswarm's VIP and routing mesh fail here (no IPVS): the mesh's
			// paths must be healthy again, those are the next spec's.
			Eventually(ctx, func(ctx context.Context) error {
				return diagnosedHealthyBut(ctx, "ingress", "direct")
			}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
		}, SpecTimeout(5*time.Minute))

	// Each node's embedded DNS answers from that node's own copy of the
	// overlay's state, kept by gossip. With node3's gossip blocked, the
	// service's tasks are replaced (kept off node3): node1 and node2 learn
	// the new tasks from each other, node3's copy keeps the old ones. Its
	// tasks.<service> is stale, and only node3's agent says so.
	It("reports a stale tasks.<service> answer on the one worker whose DNS gives it", func(ctx SpecContext) {
		n3 := suite.Nodes[2]
		dns := func(g Gomega, n *cluster.Node) LastResult {
			cs, err := checksOf(ctx, n)
			g.Expect(err).NotTo(HaveOccurred())
			for _, c := range cs {
				if c.Metadata.Key == "swarm/"+svc+"/dns/tasks" && c.Status.LastResult != nil {
					return *c.Status.LastResult
				}
			}
			g.Expect("no result").To(BeEmpty(), "%s has no result of swarm/%s/dns/tasks", n.Name, svc)
			return LastResult{}
		}
		heal, err := cluster.DropGossip(ctx, n3)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(heal)
		start := time.Now()
		replaceTasksAvoiding(ctx, svc, n3)
		Eventually(ctx, func(g Gomega) {
			r := dns(g, n3)
			g.Expect(r.Passed).To(BeFalse(), "node3's DNS: %+v", r)
			g.Expect(r.Cause).To(Equal("mismatch"))
			g.Expect(r.Message).To(ContainSubstring("(no running task)"), "stale entries")
			for _, n := range suite.Nodes[:2] {
				g.Expect(dns(g, n).Passed).To(BeTrue(), "%s's DNS is right", n.Name)
			}
		}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
		printf("gossip blocked on %s, tasks replaced: its tasks.%s is stale %s after, its agent alone says so", n3.Name, svc,
			time.Since(start).Round(time.Second))
		Expect(heal(ctx)).To(Succeed())
		Eventually(ctx, func(g Gomega) {
			for _, n := range suite.Nodes {
				g.Expect(dns(g, n).Passed).To(BeTrue(), "%s's DNS right again", n.Name)
			}
		}).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	}, SpecTimeout(6*time.Minute))

	// A second manager, and the first one's engine stopped: with two
	// managers there is no quorum then, so node2 lists nothing new, but
	// its agent serves the last snapshot it took as a manager, and node3's
	// agent, which learnt from a snapshot that node2 is a manager now (its
	// agent's identity still says worker), asks it: the worker keeps its
	// checks and takes the set from whichever manager's agent answers.
	It("keeps the worker's checks, from the promoted second manager's agent, while the first manager's engine is stopped",
		func(ctx SpecContext) {
			m, n2, n3 := suite.Manager(), suite.Nodes[1], suite.Nodes[2]
			relay := func(ctx context.Context, g Gomega, n *cluster.Node) relayStatus {
				var st relayStatus
				g.Expect(getJSON(ctx, agentURL(n), "/api/v1/status", &st)).To(Succeed())
				return st
			}
			// labelChecks: node3 runs the service's three good label checks
			// (and, with passing, they pass: not once node1's engine, and a
			// task of the service with it, is down).
			labelChecks := func(g Gomega, passing bool) {
				cs, err := checksOf(ctx, n3)
				g.Expect(err).NotTo(HaveOccurred())
				n := 0
				for _, c := range cs {
					if strings.HasPrefix(c.Metadata.Key, "labels/"+svc+"/") && c.Status.LastResult != nil &&
						(c.Status.LastResult.Passed || !passing) {
						n++
					}
				}
				g.Expect(n).To(Equal(3), "node3's label checks of %s (passing: %t)", svc, passing)
			}
			labelChecksPass := func(g Gomega) { labelChecks(g, true) }
			labelChecksKept := func(g Gomega) { labelChecks(g, false) }
			setRole(ctx, m, n2, swarm.NodeRoleManager)
			DeferCleanup(func(ctx SpecContext) {
				Eventually(ctx, func() error { return trySetRole(ctx, m, n2, swarm.NodeRoleWorker) }).
					WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
				Expect(suite.WaitAgentsHealthy(ctx, 2*time.Minute)).To(Succeed())
				Eventually(ctx, func(g Gomega) { g.Expect(relay(ctx, g, n2).SwarmRelay.Role).To(Equal("worker")) }).
					WithTimeout(time.Minute).WithPolling(2 * time.Second).Should(Succeed())
			}, NodeTimeout(5*time.Minute))
			promoted := time.Now()
			Eventually(ctx, func(g Gomega) {
				st2 := relay(ctx, g, n2)
				g.Expect(st2.SwarmRelay.Role).To(Equal("manager"), "node2's agent takes snapshots now")
				g.Expect(st2.SwarmRelay.Taken).To(BeTemporally(">", promoted))
				g.Expect(relay(ctx, g, n3).SwarmRelay.Taken).To(BeTemporally(">", promoted), "node3 has a snapshot naming node2 a manager")
				labelChecksPass(g)
			}).WithTimeout(90 * time.Second).WithPolling(2 * time.Second).Should(Succeed())

			heal, err := cluster.StopEngine(ctx, m)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(func(ctx SpecContext) { Expect(heal(ctx)).To(Succeed()) })
			stopped := time.Now()
			Consistently(ctx, labelChecksKept).WithTimeout(10*time.Second).WithPolling(time.Second).Should(Succeed(),
				"node3 keeps its checks while node1's engine is down")
			Eventually(ctx, func(g Gomega) {
				st := relay(ctx, g, n3)
				g.Expect(st.SwarmRelay.From).To(Equal(n2.Name), "node3 asks the manager's agent that answers: %+v", st.SwarmRelay)
				g.Expect(st.SwarmRelay.Error).To(BeEmpty())
				labelChecksKept(g)
			}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
			printf("node1's engine stopped: node3 took the swarm from %s's agent %s after, its checks kept",
				n2.Name, time.Since(stopped).Round(time.Second))
			Expect(heal(ctx)).To(Succeed())
		}, SpecTimeout(8*time.Minute))

	It("on a worker, without the peer mesh, makes no swarm or service-label checks, reports no error, and says why", func(ctx SpecContext) {
		w := startSwarmAgent(ctx, suite.Nodes[1], agentPort)
		Consistently(func(g Gomega) {
			var st swarmStatus
			g.Expect(w.get(ctx, "/api/v1/status", &st)).To(Succeed())
			g.Expect(st.SourceErrors).To(BeEmpty())
			g.Expect(st.LabelErrors).To(BeEmpty())
			g.Expect(st.Checks.Total).To(BeZero())
			var rs relayStatus
			g.Expect(w.get(ctx, "/api/v1/status", &rs)).To(Succeed())
			g.Expect(rs.SwarmRelay.Role).To(Equal("worker"))
			g.Expect(rs.SwarmRelay.Error).To(ContainSubstring("no peer mesh: no manager's agent to ask"))
		}).WithContext(ctx).WithTimeout(5 * time.Second).WithPolling(time.Second).Should(Succeed())
	}, SpecTimeout(time.Minute))
})

package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// The peer mesh (issue 4) as the deployed agents report it through their
// own API: links from both ends, the cluster matrix, history, checks and
// metrics, with real faults injected between the nodes.
var _ = Describe("peer mesh", Label("e2e"), func() {
	var n1, n2, n3 *cluster.Node
	BeforeEach(func(ctx SpecContext) {
		n1, n2, n3 = suite.Nodes[0], suite.Nodes[1], suite.Nodes[2]
	})

	It("deployed with the stack: every agent reports every directed link healthy from both ends, and every diagnosis is healthy", func(ctx SpecContext) {
		// Measured in BeforeSuite, right after the deploy: specs run in
		// random order, and others restart agents.
		Expect(deployedMesh.err).NotTo(HaveOccurred(), "within 60 s of the deploy")
		GinkgoWriter.Printf("mesh healthy from both ends %s after the deploy\n", deployedMesh.after.Round(time.Millisecond))
		eventuallyMeshHealthy(ctx, 60*time.Second)

		// The diagnosis judges forward directions by the receivers' views,
		// which travel once per refresh: give it the diagnosis bound.
		n := len(suite.Nodes)
		Eventually(ctx, func(g Gomega) {
			for _, node := range suite.Nodes {
				d, err := diagnosis(ctx, node)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(d.Verdict).To(Equal("healthy"), "diagnosis on %s: %s", node.Name, d.Brief())
				g.Expect(d.Findings).To(BeEmpty(), "diagnosis on %s: %s", node.Name, d.Brief())
				g.Expect(d.Partial).To(BeFalse(), "every view arrived at %s: %+v", node.Name, d.Views)
				g.Expect(d.Views).To(HaveLen(n), "one view per node at %s", node.Name)
				g.Expect(d.Nodes).To(HaveLen(n))
				g.Expect(d.Paths).To(ConsistOf(diagPaths))
				g.Expect(d.Cells).To(HaveLen(len(diagPaths)*n*(n-1)), "N×(N−1) cells per path")
				for _, c := range d.Cells {
					g.Expect(c.State).To(Equal("healthy"), "%s: %+v", node.Name, c)
					g.Expect(c.Forward).To(Equal("healthy"), "%s: the destination saw %s's beacons: %+v", node.Name, c.From, c)
					g.Expect(c.RoundTrip).To(Equal("healthy"), "%s: the source's echoes came back: %+v", node.Name, c)
					g.Expect(c.Large).To(Equal("healthy"), "%s: the source's large echoes came back: %+v", node.Name, c)
				}
			}
		}).WithTimeout(diagnosisBound).WithPolling(500 * time.Millisecond).Should(Succeed())
	}, SpecTimeout(specTimeout))

	It("UDP 4789 dropped on node3: overlay links to and from it time out at both ends, its published links stay healthy; healed", func(ctx SpecContext) {
		eventuallyMeshHealthy(ctx, 60*time.Second)
		t0 := time.Now()
		injectAll(ctx, cluster.DropOverlayTo, cluster.DropOverlayFrom)(n3)

		// Outbound, at each end: node1 and node2 to node3, node3 to them.
		outBudget := 3 * meshInterval
		for _, src := range suite.Nodes {
			for _, dst := range otherNodes(src) {
				if src != n3 && dst != n3 {
					continue
				}
				took := eventuallyInHistory(ctx, src, t0, outBudget+meshTimeout, url.Values{"source": {src.Name},
					"destination": {dst.Name}, "path": {"overlay"}, "direction": {"outbound"}}, "timeout")
				Expect(took).To(BeNumerically("<=", outBudget), "%s → %s", src.Name, dst.Name)
				GinkgoWriter.Printf("%s → %s overlay: %s records a probe started %s after the fault timing out (budget %s)\n",
					src.Name, dst.Name, src.Name, took.Round(time.Millisecond), outBudget)
			}
		}
		// Inbound, at the receiving end: nothing arrives for the tracker's
		// grace (3 intervals), judged at the next sweep.
		inBudget := 4 * meshInterval
		for _, other := range otherNodes(n3) {
			for _, pair := range [][2]*cluster.Node{{other, n3}, {n3, other}} {
				took := eventuallyInHistory(ctx, pair[1], t0, inBudget+meshTimeout, url.Values{"source": {pair[0].Name},
					"destination": {pair[1].Name}, "path": {"overlay"}, "direction": {"inbound"}}, "timeout")
				Expect(took).To(BeNumerically("<=", inBudget+meshInterval/10), "%s → %s", pair[0].Name, pair[1].Name) // + sweep jitter
				GinkgoWriter.Printf("%s → %s overlay: %s records the probes missing %s after the fault (budget %s)\n",
					pair[0].Name, pair[1].Name, pair[1].Name, took.Round(time.Millisecond), inBudget)
			}
		}
		for _, node := range suite.Nodes {
			v, err := links(ctx, node)
			Expect(err).NotTo(HaveOccurred())
			for _, peer := range otherNodes(node) {
				for _, dir := range []string{"outbound", "inbound"} {
					l, ok := v.Find(peer.Name, "published", dir)
					Expect(ok).To(BeTrue(), "%s lists %s published %s", node.Name, peer.Name, dir)
					Expect(l.State).To(Equal("healthy"), "%s: %+v", node.Name, l)
				}
			}
			failed, err := history(ctx, node, url.Values{"path": {"published"}, "since": {t0.Format(time.RFC3339Nano)}, "limit": {"1000"}})
			Expect(err).NotTo(HaveOccurred())
			for _, it := range failed {
				Expect(it.Passed).To(BeTrue(), "%s's published history during the fault: %+v", node.Name, it)
			}
		}
		healAll(ctx)
		eventuallyMeshHealthy(ctx, 30*time.Second)
	}, SpecTimeout(specTimeout))

	It("one direction dropped (node1 → node2 on both paths): node3's diagnosis and both ends name the broken direction; healed", func(ctx SpecContext) {
		eventuallyMeshHealthy(ctx, 60*time.Second)
		oneWay := func(proto string, port int) func(context.Context, *cluster.Node) (cluster.Heal, error) {
			return func(ctx context.Context, from *cluster.Node) (cluster.Heal, error) {
				return cluster.DropOneWay(ctx, from, n2, proto, port)
			}
		}
		// The data plane only (VXLAN and the published peer port): the
		// Swarm's own control traffic keeps flowing.
		injectAll(ctx, oneWay("udp", 4789), oneWay("tcp", 9471), oneWay("udp", 9471))(n1)

		// node3 is no end of the fault: its diagnosis holds both ends' views.
		Eventually(ctx, func(g Gomega) {
			d, err := diagnosis(ctx, n3)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(d.Partial).To(BeFalse(), "%+v", d.Views)
			var want []FindingKey
			for _, path := range meshPaths {
				want = append(want, FindingKey{Kind: "one-way", From: n1.Name, To: n2.Name, Path: path})
				broken, ok := d.Cell(n1.Name, n2.Name, path)
				g.Expect(ok).To(BeTrue())
				g.Expect(broken.State).To(Equal("failing"), "%+v", broken)
				g.Expect(broken.Forward).To(Equal("failing"), "node2 saw nothing of node1's beacons: %+v", broken)
				back, _ := d.Cell(n2.Name, n1.Name, path)
				g.Expect(back.State).To(Equal("healthy"), "%+v", back)
				g.Expect(back.Forward).To(Equal("healthy"), "node1 receives node2's beacons: %+v", back)
			}
			g.Expect(d.Keys()).To(ConsistOf(want), "%s", d.Brief())
			g.Expect(d.Verdict).To(Equal("failing"))
		}).WithTimeout(6 * meshInterval).WithPolling(500 * time.Millisecond).Should(Succeed())

		Eventually(ctx, func(g Gomega) {
			receiver, err := links(ctx, n2)
			g.Expect(err).NotTo(HaveOccurred())
			sender, err := links(ctx, n1)
			g.Expect(err).NotTo(HaveOccurred())
			for _, path := range meshPaths {
				in, _ := receiver.Find(n1.Name, path, "inbound")
				g.Expect(in.State).To(Equal("failing"), "node2 misses node1's probes on %s: %+v", path, in)
				out, _ := sender.Find(n2.Name, path, "outbound")
				g.Expect(out.State).To(Equal("failing"), "node1's probes to node2 on %s: %+v", path, out)
				back, _ := sender.Find(n2.Name, path, "inbound")
				g.Expect(back.State).To(Equal("healthy"), "node1 receives node2's probes on %s: %+v", path, back)
			}
			pub, _ := receiver.Find(n1.Name, "published", "outbound")
			g.Expect(pub.State).To(Equal("healthy"), "node2 → node1 published works both ways: %+v", pub)
		}).WithTimeout(6 * meshInterval).WithPolling(500 * time.Millisecond).Should(Succeed())

		healAll(ctx)
		eventuallyMeshHealthy(ctx, 30*time.Second)
	}, SpecTimeout(specTimeout))

	It("MTU black hole to node2: the overlay-large probe to it fails with cause mtu while overlay-tcp passes; healed", func(ctx SpecContext) {
		eventuallyMeshHealthy(ctx, 60*time.Second)
		injectAll(ctx, cluster.MTUBlackHole)(n2)

		Eventually(ctx, func(g Gomega) {
			v, err := links(ctx, n1)
			g.Expect(err).NotTo(HaveOccurred())
			l, _ := v.Find(n2.Name, "overlay", "outbound")
			g.Expect(l.State).To(Equal("failing"))
			g.Expect(l.Cause).To(Equal("mtu"), "%+v", l)
			g.Expect(l.Probes).To(ContainElements(
				And(HaveField("Name", "overlay-large"), HaveField("Passed", false), HaveField("Cause", "mtu")),
				And(HaveField("Name", "overlay-tcp"), HaveField("Passed", true), HaveField("Cause", "ok"))), "%+v", l.Probes)
			pub, _ := v.Find(n2.Name, "published", "outbound")
			g.Expect(pub.State).To(Equal("healthy"), "no VXLAN on the published path: %+v", pub)
		}).WithTimeout(3*meshInterval + meshTimeout).WithPolling(500 * time.Millisecond).Should(Succeed())

		cs, err := checks(ctx, n1)
		Expect(err).NotTo(HaveOccurred())
		byKey := map[string]CheckStatus{}
		for _, c := range cs {
			byKey[c.Metadata.Key] = c
		}
		large, tcp := byKey["mesh/node2/overlay/large"], byKey["mesh/node2/overlay/tcp"]
		Expect(large.Status.LastResult).NotTo(BeNil())
		Expect(large.Status.LastResult.Cause).To(Equal("mtu"), "%+v", large.Status.LastResult)
		Expect(large.Status.LastResult.Message).To(ContainSubstring("MTU black hole"))
		Expect(tcp.Status.LastResult).NotTo(BeNil())
		Expect(tcp.Status.LastResult.Passed).To(BeTrue(), "%+v", tcp.Status.LastResult)

		healAll(ctx)
		eventuallyMeshHealthy(ctx, 30*time.Second)
	}, SpecTimeout(specTimeout))

	It("a peer holding the wrong key is refused and counted, and sees itself refused", func(ctx SpecContext) {
		eventuallyMeshHealthy(ctx, 60*time.Second)
		before := map[string]float64{}
		for _, node := range suite.Nodes {
			before[node.Name] = droppedBadMAC(ctx, agentURL(node))
		}
		intruder := startIntruder(ctx, n1)
		DeferCleanup(intruder.Remove)
		base := fmt.Sprintf("http://%s:%d", n1.Addr, intruderPort)

		Eventually(ctx, func(g Gomega) {
			for _, node := range suite.Nodes {
				g.Expect(droppedBadMAC(ctx, agentURL(node))).To(BeNumerically(">", before[node.Name]),
					"%s drops the intruder's messages as bad_mac", node.Name)
			}
		}).WithTimeout(6 * meshInterval).WithPolling(500 * time.Millisecond).Should(Succeed())

		Eventually(ctx, func(g Gomega) {
			var v LinksView
			g.Expect(getJSON(ctx, base, "/api/v1/links", &v)).To(Succeed())
			peers := v.Peers()
			for _, peer := range peers {
				for _, path := range meshPaths {
					l, ok := v.Find(peer, path, "outbound")
					if !ok {
						continue
					}
					g.Expect(l.State).To(Equal("failing"), "%+v", l)
					g.Expect(l.Probes).To(ContainElement(And(HaveField("Passed", false),
						HaveField("Cause", "auth"), HaveField("Message", ContainSubstring("refused our key")))), "%+v", l)
				}
			}
			g.Expect(peers).To(HaveLen(len(suite.Nodes)), "the intruder probes every agent it found in tasks.agent: %+v", v)
		}).WithTimeout(6 * meshInterval).WithPolling(500 * time.Millisecond).Should(Succeed())

		Expect(meshHealthy(ctx)).To(Succeed(), "the agents neither list nor trust the intruder")
	}, SpecTimeout(specTimeout))

	// It takes node3's agent away, and brings it back before the next spec.
	It("a drained node is retired: its links and checks are gone, its history stays, and nothing alerts about it", func(ctx SpecContext) {
		eventuallyMeshHealthy(ctx, 60*time.Second)
		earlier, err := history(ctx, n1, url.Values{"destination": {n3.Name}, "limit": {"5"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(earlier).NotTo(BeEmpty())
		t0 := time.Now()
		setAvailability(ctx, n3, swarm.NodeAvailabilityDrain)
		DeferCleanup(func(ctx SpecContext) {
			setAvailability(ctx, n3, swarm.NodeAvailabilityActive)
			eventuallyMeshHealthy(ctx, 90*time.Second)
		}, NodeTimeout(2*time.Minute))

		Eventually(ctx, func(g Gomega) {
			for _, node := range otherNodes(n3) {
				v, err := links(ctx, node)
				g.Expect(err).NotTo(HaveOccurred())
				var left []Link
				for _, l := range v.Links {
					if l.Peer == n3.Name {
						left = append(left, l)
					}
				}
				g.Expect(v.Peers()).NotTo(ContainElement(n3.Name), "%s still lists node3: %+v", node.Name, left)
				cs, err := checks(ctx, node)
				g.Expect(err).NotTo(HaveOccurred())
				for _, c := range cs {
					g.Expect(c.Spec.Link.Destination).NotTo(Equal(n3.Name), "%s still checks node3: %s", node.Name, c.Metadata.Key)
				}
			}
		}).WithTimeout(3 * meshRefresh).WithPolling(500 * time.Millisecond).Should(Succeed())
		GinkgoWriter.Printf("node3 retired by the other agents %s after the drain\n", time.Since(t0).Round(time.Millisecond))

		for _, node := range otherNodes(n3) {
			items, err := history(ctx, node, url.Values{"destination": {n3.Name}, "until": {t0.Format(time.RFC3339Nano)}, "limit": {"5"}})
			Expect(err).NotTo(HaveOccurred())
			Expect(items).NotTo(BeEmpty(), "%s keeps the history of its links to node3", node.Name)
		}
		// Nothing is raised about node3, on the agents or in Alertmanager,
		// over the time a fault would take to fire.
		Consistently(ctx, func(g Gomega) {
			for _, node := range otherNodes(n3) {
				as, err := agentAlerts(ctx, node)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(as).NotTo(ContainElement(mentions(n3.Name)), "alerts on %s", node.Name)
			}
			g.Expect(amActive(ctx)).NotTo(ContainElement(amMentions(n3.Name)))
		}).WithTimeout(4*meshInterval + alertSettle).WithPolling(500 * time.Millisecond).Should(Succeed())
		Expect(hook.firingSince(t0)).NotTo(ContainElement(mentions(n3.Name)), "no webhook message about node3")
	}, SpecTimeout(4*time.Minute))
})

// meshRefresh is the test config's discovery refresh.
const meshRefresh = 2 * time.Second

// deployedMesh is how long after the deploy the mesh was first healthy
// from both ends, or why not within 60 s (measureDeployedMesh).
var deployedMesh struct {
	after time.Duration
	err   error
}

// measureDeployedMesh waits up to 60 s after the deploy for meshHealthy and
// records the outcome for the spec that asserts it.
func measureDeployedMesh(ctx context.Context, deployed time.Time) {
	deployedMesh.err = cluster.Poll(ctx, time.Until(deployed.Add(60*time.Second)), func() (bool, error) {
		err := meshHealthy(ctx)
		return err == nil, err
	})
	deployedMesh.after = time.Since(deployed)
}

// injectAll returns a function that applies every fault to a node and
// registers their heals as cleanups (healAll heals them in the spec), and,
// after them, a wait until the mesh is healthy again: the next spec, of
// this suite or another, gets the cluster back whole even after a failure.
func injectAll(ctx context.Context, faults ...func(context.Context, *cluster.Node) (cluster.Heal, error)) func(*cluster.Node) {
	return func(n *cluster.Node) {
		GinkgoHelper()
		DeferCleanup(func(ctx SpecContext) { eventuallyMeshHealthy(ctx, 2*time.Minute) }, NodeTimeout(3*time.Minute))
		for _, f := range faults {
			heal, err := f(ctx, n)
			Expect(err).NotTo(HaveOccurred())
			heals = append(heals, heal)
			DeferCleanup(func(ctx SpecContext) { Expect(heal(ctx)).To(Succeed()) })
		}
	}
}

// heals are the current spec's faults, for healAll.
var heals []cluster.Heal

// healAll heals every fault injectAll applied in the current spec.
func healAll(ctx context.Context) {
	GinkgoHelper()
	for _, h := range heals {
		Expect(h(ctx)).To(Succeed())
	}
	heals = nil
}

// eventuallyInHistory waits until node n's history, filtered, holds a
// failed result with cause since t0, and returns how long after t0 the
// first such result started.
func eventuallyInHistory(ctx context.Context, n *cluster.Node, t0 time.Time, timeout time.Duration, filters url.Values, cause string) time.Duration {
	GinkgoHelper()
	filters.Set("since", t0.Format(time.RFC3339Nano))
	filters.Set("limit", "200")
	var first time.Time
	Eventually(ctx, func(g Gomega) {
		items, err := history(ctx, n, filters)
		g.Expect(err).NotTo(HaveOccurred())
		for _, it := range items { // newest first
			if !it.Passed && it.Cause == cause {
				first = it.Time
			}
		}
		g.Expect(first).NotTo(BeZero(), "%s's history %v: %+v", n.Name, filters, items)
	}).WithTimeout(timeout).WithPolling(250 * time.Millisecond).Should(Succeed())
	return first.Sub(t0)
}

// droppedBadMAC sums swarmlink_peer_dropped_total{reason="bad_mac"} over
// transports on an agent's /metrics.
func droppedBadMAC(ctx context.Context, base string) float64 {
	GinkgoHelper()
	text, err := metricsOf(ctx, base)
	Expect(err).NotTo(HaveOccurred())
	sum := 0.0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "swarmlink_peer_dropped_total{") && strings.Contains(line, `reason="bad_mac"`) {
			var v float64
			_, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			Expect(err).NotTo(HaveOccurred(), line)
			sum += v
		}
	}
	return sum
}

// intruderPort is where the intruder's API is published on its node.
const intruderPort = 19470

// startIntruder runs an agent on the stack's attachable overlay that
// discovers the stack's agents like they do (tasks.agent) but holds another
// key. Its API is published on the node, for the spec to read.
func startIntruder(ctx context.Context, n *cluster.Node) Agent {
	GinkgoHelper()
	dir := writeFiles(map[string]string{
		"wrong.key": "this-is-not-the-stack-peer-key-0123456789\n",
		"config.yaml": `agent: {name: intruder, listen: ":9470", data_dir: /tmp/swarmlink}
schedules: []
mesh:
  enabled: true
  service: agent
  key_file: /cfg/wrong.key
  interval: 2s
  timeout: 1s
`})
	id, err := createContainer(ctx, n, containerSpec{name: "intruder", network: suite.OverlayNetwork(),
		cmd:     []string{"agent", "--config", "/cfg/config.yaml"},
		binds:   []string{dir + ":/cfg:ro"},
		publish: map[string]string{"9470/tcp": fmt.Sprint(intruderPort)}})
	Expect(err).NotTo(HaveOccurred())
	a := Agent{ID: id, Node: n}
	Expect(n.Client.ContainerStart(ctx, id, container.StartOptions{})).To(Succeed())
	Eventually(ctx, func() error {
		_, err := getBody(ctx, fmt.Sprintf("http://%s:%d/healthz", n.Addr, intruderPort))
		return err
	}).WithTimeout(30*time.Second).WithPolling(250*time.Millisecond).Should(Succeed(), "the intruder's API answers")
	return a
}

// writeFiles writes files into a fresh directory under the harness's state
// dir (visible to every engine, bind-mountable) and returns the directory.
func writeFiles(files map[string]string) string {
	GinkgoHelper()
	dir := filepath.Join(cluster.StateDir, "files", strconv.FormatInt(configSeq.Add(1), 10))
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	for name, content := range files {
		Expect(os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)).To(Succeed())
	}
	return dir
}

// setAvailability sets a Swarm node's availability on the manager.
func setAvailability(ctx context.Context, n *cluster.Node, a swarm.NodeAvailability) {
	GinkgoHelper()
	m := suite.Manager().Client
	Eventually(ctx, func() error {
		node, _, err := m.NodeInspectWithRaw(ctx, n.Name)
		if err != nil {
			return err
		}
		spec := node.Spec
		spec.Availability = a
		return m.NodeUpdate(ctx, node.ID, node.Version, spec)
	}).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())
}

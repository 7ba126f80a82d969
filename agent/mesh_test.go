package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// fixedPeers is a Discoverer of a fixed peer list.
type fixedPeers []mesh.Peer

func (f fixedPeers) Peers(context.Context) ([]mesh.Peer, error) { return f, nil }

// recordingSink keeps the results recorded to it, by destination.
type recordingSink struct {
	mu  sync.Mutex
	got map[string][]probes.Result // by the check's source (the sender)
}

func (s *recordingSink) Record(_ context.Context, c controller.Check, r probes.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got[c.Link.Source] = append(s.got[c.Link.Source], r)
}

func (s *recordingSink) Forget(controller.Check) {}

var _ = Describe("meshPart sweep in subset mode", func() {
	const interval = 10 * time.Second
	ctx := context.Background()
	var (
		m      *meshPart
		sink   *recordingSink
		paused map[string]int
	)
	BeforeEach(func() {
		var peers fixedPeers
		for i := 1; i < 7; i++ {
			peers = append(peers, mesh.Peer{Name: fmt.Sprintf("node%d", i), OverlayAddr: fmt.Sprintf("10.0.1.%d", i+1)})
		}
		self := mesh.Identity{Name: "node0"}
		src := mesh.NewSource(self, mesh.SourceConfig{Interval: interval, Timeout: 2 * time.Second, SubsetK: 2}, zap.NewNop(), peers)
		sink, paused = &recordingSink{got: map[string][]probes.Result{}}, map[string]int{}
		m = &meshPart{cfg: config.Mesh{Interval: interval, Timeout: 2 * time.Second, SubsetK: 2}, self: self,
			source: src, tracker: mesh.NewInboundTracker(time.Minute), sink: sink,
			pauseInbound: func(peer string) { paused[peer]++ }}
	})
	// roundEnd is when the sweep judging round r comes: a slack after it.
	roundEnd := func(r int64) time.Time { return time.Unix(0, (r+1)*int64(interval)).Add(m.sweepSlack()) }

	It("judges only the peers due to probe it in the round just ended, pausing the others' inbound links", func() {
		const r = 1_000_000
		_, err := m.source.DesiredAt(ctx, roundEnd(r-31))
		Expect(err).NotTo(HaveOccurred())
		due := m.source.DueFrom(r)
		m.sweep(ctx, roundEnd(r-30)) // the pairs are expected from here on, settled by r
		sink.got, paused = map[string][]probes.Result{}, map[string]int{}

		// Nothing arrives for a whole rotation: each peer is judged failing in
		// its own rounds only, and paused in the others.
		m.sweep(ctx, roundEnd(r))
		var judged, wantJudged []string
		for peer := range sink.got {
			judged = append(judged, peer)
		}
		for peer, ok := range due {
			if ok {
				wantJudged = append(wantJudged, peer)
			}
		}
		Expect(judged).To(ConsistOf(wantJudged), "the sweep after round r judges the peers due in r")
		for i := int64(1); i < 3; i++ {
			m.sweep(ctx, roundEnd(r+i))
		}
		for i := 1; i < 7; i++ {
			peer := fmt.Sprintf("node%d", i)
			Expect(sink.got[peer]).To(HaveLen(1), "%s judged once in the three rounds its rotation takes", peer)
			Expect(sink.got[peer][0].Passed).To(BeFalse())
			Expect(paused[peer]).To(Equal(2), "%s paused in the other two", peer)
		}
		Expect(due).To(HaveLen(6))

		// A probe arriving from a peer not due (one following a failing
		// link up) is judged at the next sweep: arrivals are evidence in any
		// round. One from a peer due in the round under way (its early
		// probes) waits for the sweep of that round.
		was, next := m.source.DueFrom(r+3), m.source.DueFrom(r+4)
		var followUp, early string
		for peer := range was {
			switch {
			case !was[peer] && !next[peer]:
				followUp = peer
			case !was[peer] && next[peer]:
				early = peer
			}
		}
		Expect(followUp).NotTo(BeEmpty())
		Expect(early).NotTo(BeEmpty())
		for _, peer := range []string{followUp, early} {
			m.tracker.OnInbound(mesh.Inbound{From: peer, Path: mesh.PathOverlay, Kind: mesh.InboundTCP, At: roundEnd(r + 2).Add(time.Second)})
		}
		sink.got = map[string][]probes.Result{}
		m.sweep(ctx, roundEnd(r+3))
		Expect(sink.got[followUp]).To(HaveLen(1), "judged in a round it is not due: its probe arrived")
		Expect(sink.got[followUp][0].Passed).To(BeTrue(), "%s", sink.got[followUp][0].Message)
		Expect(sink.got).NotTo(HaveKey(early), "due in the round under way: not judged before that round ends")
		m.sweep(ctx, roundEnd(r+4))
		Expect(sink.got[early]).To(HaveLen(1))
		Expect(sink.got[early][0].Passed).To(BeTrue(), "its arrival counted when it came due: %s", sink.got[early][0].Message)
	})
})

// newMeshAgent is an agent made by New from the config yaml, where %[1]q
// is its data directory and %[2]q its peer key file; no Docker engine.
func newMeshAgent(yaml string) *Agent {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	GinkgoT().Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "no-docker.sock")) // never a real engine
	key := filepath.Join(dir, "peer.key")
	Expect(os.WriteFile(key, []byte("agent-test-key-0123456789abcdef\n"), 0o600)).To(Succeed())
	path := filepath.Join(dir, "swarmlink.yaml")
	Expect(os.WriteFile(path, []byte(fmt.Sprintf(yaml, filepath.Join(dir, "data"), key)), 0o600)).To(Succeed())
	a, err := New(Options{ConfigPath: path, Version: "test", Log: zap.NewNop()})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(a.store.Close)
	return a
}

var _ = Describe("an agent in subset mode", func() {
	It("probes, in every round, the peers whose links from it fail, as its tracker says", func() {
		a := newMeshAgent(`agent: {name: node0, listen: "127.0.0.1:0", data_dir: %[1]q}
swarm: {labels: false}
mesh:
  enabled: true
  listen: "127.0.0.1:0"
  key_file: %[2]q
  interval: 10s
  subset_k: 1
  static: [{name: node1, address: 127.0.0.2}, {name: node2, address: 127.0.0.3}, {name: node3, address: 127.0.0.4}]
`)

		probed := func(round int64) []string {
			GinkgoHelper()
			checks, err := a.mesh.source.DesiredAt(context.Background(), time.Unix(0, round*int64(10*time.Second)).Add(time.Second))
			Expect(err).NotTo(HaveOccurred())
			var out []string
			for _, c := range checks {
				out = append(out, c.Link.Destination)
			}
			return slices.Compact(out)
		}
		Expect(probed(0)).To(Equal([]string{"node1"}))
		a.tracker.Observe(links.Sample{Agent: "node0", Peer: "node3", Path: mesh.PathPublished, Probe: "published-tcp",
			Role: links.RoleTCP, Direction: links.Outbound, Cause: "timeout", LossPercent: -1, At: time.Now()})
		Expect(probed(0)).To(Equal([]string{"node1", "node3"}), "node3's last result failed: it follows up")
	})
})

var _ = Describe("an agent that is not one of the alert evaluators", func() {
	It("evaluates its own checks only (the engine's evaluator gauge is 0) once the first nodes' views arrived", func() {
		a := newMeshAgent(`agent: {name: node9, listen: "127.0.0.1:0", data_dir: %[1]q}
swarm: {labels: false}
alerting: {enabled: true, evaluators: 2}
mesh:
  enabled: true
  listen: "127.0.0.1:0"
  key_file: %[2]q
  interval: 10s
  static: [{name: node1, address: 127.0.0.2}, {name: node2, address: 127.0.0.3}]
`)
		gauge := func() float64 {
			GinkgoHelper()
			a.alerts.Evaluate(context.Background())
			families, err := a.reg.Gather()
			Expect(err).NotTo(HaveOccurred())
			for _, f := range families {
				if f.GetName() == "swarmlink_alert_evaluator" {
					return f.GetMetric()[0].GetGauge().GetValue()
				}
			}
			Fail("no swarmlink_alert_evaluator")
			return -1
		}
		a.views.done = true
		Expect(gauge()).To(Equal(1.0), "no view has arrived: it is one")
		old := time.Now().Add(-time.Hour)
		for _, n := range []string{"node1", "node2"} {
			a.views.record(n, links.View{Node: n, Started: old, Interval: 10 * time.Second}, true, nil)
		}
		Expect(gauge()).To(Equal(0.0))
		a.views.wholeAt = time.Now()
		Expect(a.views.wantsAll()).To(BeFalse(), "it gathers the head's views only")
		rec := httptest.NewRecorder()
		a.matrixHandler(rec, httptest.NewRequest(http.MethodGet, "/api/v1/matrix", nil))
		Expect(rec.Code).To(Equal(http.StatusOK))
		var d links.Diagnosis
		Expect(json.Unmarshal(rec.Body.Bytes(), &d)).To(Succeed())
		Expect(d.Self).To(Equal("node9"))
		Expect(d.DiagnosedBy).To(BeEmpty(), "no evaluator answers (none runs): it diagnosed itself")
		Expect(a.views.wantsAll()).To(BeFalse(), "a client's request gathers every view that once, and keeps no interest")
	})
})

var _ = Describe("the diagnosis an agent serves to the agents that relay it", func() {
	It("is served only while it diagnoses the whole cluster: an evaluator that gathered every view lately", func() {
		a := newMeshAgent(`agent: {name: node1, listen: "127.0.0.1:0", data_dir: %[1]q}
swarm: {labels: false}
alerting: {enabled: true, evaluators: 1}
mesh:
  enabled: true
  listen: "127.0.0.1:0"
  key_file: %[2]q
  interval: 10s
  static: [{name: node2, address: 127.0.0.2}, {name: node3, address: 127.0.0.3}]
`)
		Expect(a.diagnosisJSON()).To(BeNil(), "before its first gathering it does not know it is an evaluator")
		a.views.done = true
		Expect(a.diagnosisJSON()).To(BeNil(), "an evaluator, but no gathering of every view yet")
		a.views.wholeAt = time.Now()
		var p links.Packed
		Expect(json.Unmarshal(a.diagnosisJSON(), &p)).To(Succeed())
		Expect(p.Self).To(Equal("node1"))
		Expect(p.DiagnosedBy).To(BeEmpty())
		a.views.wholeAt = time.Now().Add(-time.Minute)
		Expect(a.diagnosisJSON()).To(BeNil(), "its last gathering of every view is over two intervals old")
	})
})

// twentyPeersAgent is an agent named name with static peers node1..node20.
func twentyPeersAgent(name string) *Agent {
	GinkgoHelper()
	var static []string
	for i := 1; i <= 20; i++ {
		static = append(static, fmt.Sprintf("{name: node%d, address: 127.0.0.%d}", i, i+1))
	}
	return newMeshAgent(`agent: {name: ` + name + `, listen: "127.0.0.1:0", data_dir: %[1]q}
swarm: {labels: false}
mesh:
  enabled: true
  listen: "127.0.0.1:0"
  key_file: %[2]q
  interval: 10s
  static: [` + strings.Join(static, ", ") + `]
`)
}

var _ = Describe("a gathering of many peers' views", func() {
	It("has at most gatherParallel fetches under way at once, and asks every peer", func() {
		a := twentyPeersAgent("node0")
		var mu sync.Mutex
		under, most, asked := 0, 0, map[string]bool{}
		a.views.fetchPeer = func(_ context.Context, p mesh.Peer) (links.View, bool, error) {
			mu.Lock()
			under++
			most, asked[p.Name] = max(most, under), true
			mu.Unlock()
			time.Sleep(20 * time.Millisecond) // a busy peer
			mu.Lock()
			under--
			mu.Unlock()
			return links.View{Node: p.Name}, true, nil
		}
		_, err := a.mesh.source.Desired(context.Background()) // discovers the static peers
		Expect(err).NotTo(HaveOccurred())
		n, whole := a.views.gatherScope(context.Background(), true)
		Expect(n).To(Equal(20))
		Expect(whole).To(BeTrue())
		Expect(asked).To(HaveLen(20))
		Expect(most).To(Equal(gatherParallel), "bounded, and in parallel")
		Expect(a.views.views).To(HaveLen(20))
	})

	It("holds, after a gathering of the head, the head's views only, not the others it held", func() {
		a := twentyPeersAgent("node99")
		old := time.Now().Add(-time.Hour)
		a.views.fetchPeer = func(_ context.Context, p mesh.Peer) (links.View, bool, error) {
			return links.View{Node: p.Name, Generated: time.Now(), Started: old, Interval: 10 * time.Second}, true, nil
		}
		_, err := a.mesh.source.Desired(context.Background())
		Expect(err).NotTo(HaveOccurred())
		_, whole := a.views.gatherScope(context.Background(), true)
		Expect(whole).To(BeTrue())
		Expect(a.views.views).To(HaveLen(20))
		Expect(a.views.evaluator()).To(BeFalse(), "three nodes before it sent views")
		n, whole := a.views.gatherScope(context.Background(), false)
		Expect(whole).To(BeFalse())
		Expect(n).To(Equal(6), "2 × the default three evaluators")
		Expect(slices.Sorted(maps.Keys(a.views.views))).To(Equal([]string{"node1", "node10", "node11", "node12", "node13", "node14"}))
	})

	It("is told when a shared alert it fired still fires, when alerting is on", func() {
		a := newMeshAgent(`agent: {name: node0, listen: "127.0.0.1:0", data_dir: %[1]q}
swarm: {labels: false}
alerting: {enabled: true}
mesh: {enabled: true, listen: "127.0.0.1:0", key_file: %[2]q, static: [{name: node1, address: 127.0.0.2}]}
`)
		Expect(a.views.firesShared).NotTo(BeNil())
		Expect(reflect.ValueOf(a.views.firesShared).Pointer()).To(Equal(reflect.ValueOf(a.alerts.FiresShared).Pointer()),
			"the engine's FiresShared")
		Expect(a.views.firesShared()).To(BeFalse(), "nothing fired")

		opts := a.alertOptions(a.cfg.Alerting, nil)
		opts.Regather() // a new alert held
		Expect(a.views.now).To(HaveLen(1), "fresh views at once")
		Expect(a.views.kick).To(BeEmpty(), "not after the triggered floor")
	})
})

package agent

import (
	"context"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/internal/clocktest"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
)

var _ = Describe("gatherer.planned", func() {
	It("says a node is out on purpose when a manager's view lists it drained, or lists nodes without it", func() {
		g := &gatherer{views: map[string]links.View{"node2": {Node: "node2"}}}
		Expect(g.planned("node3")).To(BeFalse(), "no Swarm list: nothing is known to be planned")
		g.views["node1"] = links.View{Node: "node1", Swarm: []links.NodeInfo{
			{Name: "node1", State: "ready", Availability: "active"},
			{Name: "node2", State: "down", Availability: "active"},
			{Name: "node3", State: "ready", Availability: "drain"}}}
		Expect(g.planned("node3")).To(BeTrue(), "drained")
		Expect(g.planned("node2")).To(BeFalse(), "down is a failure, not a plan")
		Expect(g.planned("node4")).To(BeTrue(), "not in the Swarm's node list: removed")
	})
})

var _ = Describe("when a diagnosis is due again", func() {
	var (
		a *Agent
		g *gatherer
	)
	BeforeEach(func() {
		g = &gatherer{kick: make(chan struct{}, 1), views: map[string]links.View{}, missing: map[string]string{}}
		a = &Agent{views: g} // no mesh: the reuse bound (TTL) is 500 ms
		g.a = a
	})
	made := func(ago, took time.Duration) { a.diag.at, a.diag.took = time.Now().Add(-ago), took }

	It("is not, for an answer that changed nothing; is, once ten times its cost old, for a changed view", func() {
		g.record("node2", links.View{Node: "node2"}, true, nil)
		made(0, 40*time.Millisecond)
		g.record("node2", links.View{Node: "node2"}, false, nil)
		Expect(a.diagDue(100*time.Millisecond)).To(BeFalse(), "an empty delta is no news")
		g.record("node2", links.View{Node: "node2"}, true, nil)
		Expect(a.diagDue(100*time.Millisecond)).To(BeFalse(), "news, but the diagnosis is younger than ten times its 40 ms")
		Expect(a.diagDue(400 * time.Millisecond)).To(BeTrue())
		Expect(a.diagDue(500*time.Millisecond)).To(BeTrue(), "the reuse bound")
	})

	It("is at once when a peer goes missing or comes back, or this agent's own link changes", func() {
		g.record("node2", links.View{Node: "node2"}, true, nil)
		made(0, time.Second)
		g.record("node2", links.View{}, false, errors.New("no answer"))
		Expect(a.diagDue(0)).To(BeTrue(), "missing")
		made(0, time.Second)
		g.record("node2", links.View{}, false, errors.New("no answer"))
		Expect(a.diagDue(0)).To(BeFalse(), "missing as before")
		g.record("node2", links.View{Node: "node2"}, false, nil)
		Expect(a.diagDue(0)).To(BeTrue(), "back")
		made(0, time.Second)
		a.linkChanged(links.Healthy, links.LinkState{Status: links.Pending})
		Expect(a.diagDue(0)).To(BeTrue(), "own link")
	})

	It("asks for fresh views on a link's change, but not on its first result finding it healthy", func() {
		a.linkChanged(links.Unknown, links.LinkState{Status: links.Healthy})
		Expect(g.kick).To(BeEmpty())
		a.linkChanged(links.Unknown, links.LinkState{Status: links.Pending})
		Expect(g.kick).To(HaveLen(1))
		<-g.kick
		a.linkChanged(links.Failing, links.LinkState{Status: links.Healthy})
		Expect(g.kick).To(HaveLen(1))
	})
})

var _ = Describe("a triggered gathering", func() {
	It("waits for a floor since the last started: at most every half interval, four views a second", func() {
		Expect(triggerWait(time.Second, 2, 0)).To(Equal(500*time.Millisecond), "3 agents, 1 s interval: half an interval")
		Expect(triggerWait(time.Second, 2, 200*time.Millisecond)).To(Equal(300 * time.Millisecond))
		Expect(triggerWait(time.Second, 2, 2*time.Second)).To(BeZero(), "the last started long enough ago")
		Expect(triggerWait(30*time.Second, 49, 0)).To(Equal(12250*time.Millisecond), "49 peers: four fetches a second")
		Expect(triggerWait(60*time.Second, 199, time.Second)).To(Equal(29*time.Second), "capped at half the interval")
	})

	It("comes once the floor since the last began has passed, or at the next tick, and stops with its context", func() {
		t0 := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
		clk := clocktest.New(t0)
		a := &Agent{cfg: &config.Config{}}
		a.cfg.Mesh.Interval = 10 * time.Second // 4 peers: the floor is 1 s
		g := &gatherer{a: a, kick: make(chan struct{}, 1)}
		tick, began := make(chan time.Time), make(chan time.Time, 4)
		gather := func(context.Context) int {
			began <- clk.Now()
			clk.Advance(300 * time.Millisecond) // a gathering takes 300 ms
			return 4
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); g.run(ctx, clk, tick, gather) }()
		Eventually(began).Should(Receive(Equal(t0)))

		g.Trigger()
		Eventually(clk.Waiters).Should(Equal(1))
		clk.Advance(699 * time.Millisecond)
		Consistently(began, 50*time.Millisecond).ShouldNot(Receive(), "0.999 s after the last began")
		clk.Advance(time.Millisecond)
		Eventually(began).Should(Receive(Equal(t0.Add(time.Second))))

		g.Trigger()
		Eventually(clk.Waiters).Should(Equal(1))
		tick <- clk.Now()
		Eventually(began).Should(Receive(Equal(t0.Add(1300*time.Millisecond))), "the tick does not wait for the floor")
		tick <- clk.Now()
		Eventually(began).Should(Receive(Equal(t0.Add(1600*time.Millisecond))), "untriggered: at the tick")

		cancel()
		Eventually(done).Should(BeClosed())
	})

	It("gathers at once, without the floor, when asked now (a new alert), even while a trigger waits for it", func() {
		t0 := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
		clk := clocktest.New(t0)
		a := &Agent{cfg: &config.Config{}}
		a.cfg.Mesh.Interval = 120 * time.Second // 199 peers: the floor is 49.75 s
		g := &gatherer{a: a, kick: make(chan struct{}, 1), now: make(chan struct{}, 1)}
		tick, began := make(chan time.Time), make(chan time.Time, 4)
		gather := func(context.Context) int {
			began <- clk.Now()
			clk.Advance(300 * time.Millisecond)
			return 199
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go g.run(ctx, clk, tick, gather)
		Eventually(began).Should(Receive(Equal(t0)))
		g.TriggerNow()
		Eventually(began).Should(Receive(Equal(t0.Add(300 * time.Millisecond))))

		g.Trigger()
		Eventually(clk.Waiters).Should(Equal(1), "a trigger waits for the floor")
		g.TriggerNow()
		Eventually(began).Should(Receive(Equal(t0.Add(600*time.Millisecond))), "asked now: it waits no more")
	})
	It("ticks first a phase after it starts, then every interval, dropping ticks while the gathering is busy", func() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		start := time.Now()
		ticks := phasedTicks(ctx, 20*time.Millisecond, 150*time.Millisecond)
		first := <-ticks
		Expect(first.Sub(start)).To(BeNumerically(">=", 150*time.Millisecond), "not before the phase")
		time.Sleep(100 * time.Millisecond) // a long gathering: five ticks come meanwhile
		Expect(ticks).To(HaveLen(1), "one tick waits; the others were dropped")
		second := <-ticks
		Expect(second.Sub(first)).To(BeNumerically(">=", 20*time.Millisecond))
		cancel()
		time.Sleep(50 * time.Millisecond)
		select { // a tick that came as it ended
		case <-ticks:
		default:
		}
		Consistently(ticks, 100*time.Millisecond).ShouldNot(Receive(), "no tick after the context ends")
	})
})

var _ = Describe("gatherer.evaluator", func() {
	It("is not one before its first gathering is over, then is one of the first nodes by name whose views arrived", func() {
		cfg := &config.Config{Agent: config.Agent{Name: "node3"}, Mesh: config.Mesh{Interval: 10 * time.Second}}
		cfg.Alerting.Evaluators = 2
		a := &Agent{started: time.Now().Add(-time.Hour), cfg: cfg}
		g := &gatherer{a: a, views: map[string]links.View{}, missing: map[string]string{}}
		Expect(g.evaluator()).To(BeFalse(), "no gathering yet: it does not know")
		g.done = true
		Expect(g.evaluator()).To(BeTrue(), "no view before it")
		old := time.Now().Add(-time.Hour)
		g.views["node1"] = links.View{Node: "node1", Started: old, Interval: 10 * time.Second}
		g.views["node2"] = links.View{Node: "node2", Started: old, Interval: 10 * time.Second}
		Expect(g.evaluator()).To(BeFalse(), "two nodes before it")
		cfg.Agent.Name = "node2"
		Expect(g.evaluator()).To(BeTrue())
	})
})

var _ = Describe("which views a gathering asks for", func() {
	var g *gatherer
	BeforeEach(func() {
		cfg := &config.Config{Agent: config.Agent{Name: "node5"}, Mesh: config.Mesh{Interval: 10 * time.Second}}
		cfg.Alerting.Evaluators = 2
		a := &Agent{started: time.Now().Add(-time.Hour), cfg: cfg, mesh: &meshPart{}}
		g = &gatherer{a: a, views: map[string]links.View{}, missing: map[string]string{}}
	})
	peers := func(names ...string) []mesh.Peer {
		var out []mesh.Peer
		for _, n := range names {
			out = append(out, mesh.Peer{Name: n})
		}
		return out
	}
	names := func(ps []mesh.Peer) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}

	It("asks every peer but the drained for a whole gathering, and the first 2n by name before itself for the head", func() {
		ps := peers("node9", "node4", "node1", "node3", "node2", "node6", "node7")
		ps[3].State = mesh.StateDrain
		Expect(names(g.scope(ps, true))).To(ConsistOf("node9", "node4", "node1", "node2", "node6", "node7"))
		Expect(names(g.scope(ps, false))).To(Equal([]string{"node1", "node2", "node4"}), "n=2: up to four, none after node5")
	})

	It("gathers every view as an evaluator (not before the first gathering), when a client asked lately, and while a shared alert it fired fires", func() {
		g.wholeAt = time.Now()
		Expect(g.wantsAll()).To(BeFalse(), "the first gathering asks the head")
		g.done = true
		Expect(g.wantsAll()).To(BeTrue(), "no view before it: an evaluator")
		old := time.Now().Add(-time.Hour)
		for _, n := range []string{"node1", "node2"} {
			g.views[n] = links.View{Node: n, Started: old, Interval: 10 * time.Second}
		}
		Expect(g.wantsAll()).To(BeFalse(), "two evaluators before it")
		g.asked = time.Now().Add(-time.Minute)
		Expect(g.wantsAll()).To(BeTrue(), "a client asked a minute ago")
		g.asked = time.Now().Add(-interestFor)
		Expect(g.wantsAll()).To(BeFalse())
		g.wholeAt = time.Now().Add(-time.Hour)
		Expect(g.wantsAll()).To(BeFalse(), "an hour since the last whole gathering: no matter")
		firing := false
		g.firesShared = func() bool { return firing }
		Expect(g.wantsAll()).To(BeFalse())
		firing = true
		Expect(g.wantsAll()).To(BeTrue(), "it resolves what it fired: every view")
	})

	It("counts, in the election of evaluators, a view missing for less than two gatherings", func() {
		g.done = true
		old := time.Now().Add(-time.Hour)
		for _, n := range []string{"node1", "node2"} {
			g.record(n, links.View{Node: n, Started: old, Interval: 10 * time.Second}, true, nil)
		}
		Expect(g.evaluator()).To(BeFalse(), "two evaluators before it")
		g.record("node1", links.View{}, false, errors.New("no answer (published: timeout)"))
		Expect(g.views).NotTo(HaveKey("node1"), "the diagnosis has it missing at once")
		Expect(g.evaluator()).To(BeFalse(), "one timeout under load does not make it an evaluator")
		info := g.answered["node1"]
		info.Generated = time.Now().Add(-2*10*time.Second - time.Second)
		g.answered["node1"] = info
		Expect(g.evaluator()).To(BeTrue(), "missing for two gatherings: node1 is gone, it takes over")
	})

	It("asks the managers besides the head", func() {
		ps := peers("node9", "node1", "node2", "node3", "node7", "node8")
		ps[0].Role, ps[4].Role, ps[1].Role = "manager", "manager", "manager"
		Expect(names(g.scope(ps, false))).To(Equal([]string{"node1", "node2", "node3", "node9", "node7"}))
	})
})

var _ = Describe("gatherer.ensureWhole", func() {
	It("does not wait for a gathering when the agent gathers every view each interval already", func() {
		cfg := &config.Config{Agent: config.Agent{Name: "node1"}, Mesh: config.Mesh{Interval: 10 * time.Second}}
		cfg.Alerting.Evaluators = 3
		g := &gatherer{a: &Agent{started: time.Now().Add(-time.Hour), cfg: cfg, mesh: &meshPart{}},
			views: map[string]links.View{}, missing: map[string]string{}, done: true,
			wholeAt: time.Now()} // gathered just now: only being an evaluator keeps it from waiting
		g.wholeMu.Lock() // a gathering under way (a cut peer's fetches timing out)
		defer g.wholeMu.Unlock()
		returned := make(chan struct{})
		go func() {
			g.ensureWhole(context.Background()) // node1: an evaluator
			close(returned)
		}()
		Eventually(returned).Should(BeClosed())
		Expect(g.asked).NotTo(BeZero())
	})
})

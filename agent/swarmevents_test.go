package agent

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/system"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gstruct"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/config"
)

// streamingEngine is a manager's engine (so the relay takes its snapshot
// and does not wait for one) whose event streams the spec feeds: each
// Events call opens a new stream, with its filters kept.
type streamingEngine struct {
	engine
	mu      sync.Mutex
	streams []stream
}

type stream struct {
	msgs chan events.Message
	errs chan error
	opts events.ListOptions
}

func (e *streamingEngine) Info(context.Context) (system.Info, error) {
	var i system.Info
	i.Name, i.Swarm.ControlAvailable = "node1", true
	return i, nil
}

func (e *streamingEngine) Events(_ context.Context, o events.ListOptions) (<-chan events.Message, <-chan error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := stream{msgs: make(chan events.Message), errs: make(chan error, 1), opts: o}
	e.streams = append(e.streams, s)
	return s.msgs, s.errs
}

// current is the last stream opened, once there are n.
func (e *streamingEngine) current(n int) func() (stream, bool) {
	return func() (stream, bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.streams) < n {
			return stream{}, false
		}
		return e.streams[len(e.streams)-1], true
	}
}

// triggers counts reconcile triggers.
type triggers struct{ n atomic.Int32 }

func (t *triggers) Trigger()     { t.n.Add(1) }
func (t *triggers) count() int32 { return t.n.Load() }

var _ = Describe("the swarm part's event watch", func() {
	var (
		e    *streamingEngine
		p    *swarmPart
		trig *triggers
	)
	BeforeEach(func() {
		// An hour's refresh: every trigger the specs see is an event's.
		c, err := config.Parse("a.yaml", []byte("swarm: {labels: true, refresh: 1h}"))
		Expect(err).NotTo(HaveOccurred())
		e, trig = &streamingEngine{}, &triggers{}
		p = newSwarmPartWith(context.Background(), &Agent{cfg: c, log: zap.NewNop()}, e, zap.NewNop())
		Expect(p.events).NotTo(BeNil(), "an engine that streams events is watched")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = p.Start(ctx, trig) }()
		DeferCleanup(func() { cancel(); Eventually(done).Should(BeClosed()) })
	})
	event := func(t events.Type, a events.Action) events.Message {
		return events.Message{Type: t, Action: a, Actor: events.Actor{ID: "x"}}
	}
	send := func(s stream, m events.Message) {
		GinkgoHelper()
		Eventually(s.msgs).Should(BeSent(m))
	}

	It("asks the engine only for the changes that can change the checks, not the health-check execs", func() {
		Eventually(func() bool { _, ok := e.current(1)(); return ok }).Should(BeTrue())
		st, _ := e.current(1)()
		f := st.opts.Filters
		Expect(f.Get("type")).To(ConsistOf("service", "node", "network", "container"))
		Expect(f.Get("event")).To(ContainElements("create", "update", "remove", "start", "die"))
		Expect(f.Get("event")).NotTo(ContainElement(HavePrefix("exec")))
		Expect(f.Get("event")).NotTo(ContainElement("health_status"))
	})

	It("reconciles once per burst of events, soon after it settles, without waiting for the refresh", func() {
		Eventually(func() bool { _, ok := e.current(1)(); return ok }).Should(BeTrue())
		s, _ := e.current(1)()
		Consistently(trig.count, 2*eventSettle).Should(BeZero(), "no event, no reconcile (the refresh is an hour)")
		for range 5 { // a service update: the service, then its tasks
			send(s, event(events.ServiceEventType, events.ActionUpdate))
		}
		Eventually(trig.count, 3*eventSettle).Should(BeNumerically(">=", 1))
		Consistently(trig.count, 2*eventSettle).Should(BeNumerically("<=", 2), "a burst is one or two reconciles, not five")
		Expect(p.eventStatus()).To(gstruct.PointTo(And(HaveField("Seen", uint64(5)), HaveField("Watching", true),
			HaveField("Error", ""))))
	})

	It("opens the stream again when it ends, says so meanwhile, and clears the error on the next event", func() {
		Eventually(func() bool { _, ok := e.current(1)(); return ok }).Should(BeTrue())
		s, _ := e.current(1)()
		s.errs <- errors.New("unexpected EOF")
		Eventually(p.eventStatus).Should(gstruct.PointTo(HaveField("Error", "docker events: unexpected EOF")))
		Expect(p.eventStatus().Since).NotTo(BeZero())
		Eventually(func() bool { _, ok := e.current(2)(); return ok }, 3*eventRetryMin).Should(BeTrue(), "reopened")
		s2, _ := e.current(2)()
		send(s2, event(events.ContainerEventType, events.ActionDie))
		Eventually(p.eventStatus).Should(gstruct.PointTo(And(HaveField("Error", ""), HaveField("Seen", uint64(1)))))
		Eventually(trig.count, 3*eventSettle).Should(BeNumerically(">=", 1))
	})
})

var _ = Describe("the swarm part without an event stream", func() {
	It("has no event watch and reports none", func() {
		c, err := config.Parse("a.yaml", []byte("swarm: {labels: true}"))
		Expect(err).NotTo(HaveOccurred())
		p := newSwarmPartWith(context.Background(), &Agent{cfg: c, log: zap.NewNop()}, engine{}, zap.NewNop())
		Expect(p.events).To(BeNil())
		Expect(p.eventStatus()).To(BeNil())
	})
})

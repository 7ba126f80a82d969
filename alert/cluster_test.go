package alert_test

import (
	"context"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
)

// viewFunc adapts a function to alert.ClusterView.
type viewFunc func(ctx context.Context) ([]alert.LinkState, error)

func (f viewFunc) LinkStates(ctx context.Context) ([]alert.LinkState, error) { return f(ctx) }

var _ = Describe("host alerts with a cluster view", func() {
	ctx := context.Background()

	DescribeTable("are sent to every deduplicating receiver, and to the others by the designated reporter only",
		func(view alert.ClusterView, wantWebhook bool) {
			clk := newFakeClock(t0)
			hookRec, amRec := &recorder{name: "hook"}, &recorder{name: "am", dedup: true}
			e, err := alert.New(alert.Options{Self: "c", Queue: newMemKV(), State: newMemKV(), Clock: clk,
				Notifiers: []alert.Notifier{hookRec, amRec}, ClusterView: view, Log: testLogger()})
			Expect(err).NotTo(HaveOccurred())
			for _, s := range prefixed(hostBDown, "a b ", "c x ") {
				st := ls(s)
				for range 3 {
					if st.Direction == alert.DirectionInbound {
						e.ObserveInbound(st.Peer, st.Path, st.Probe, false, clk.Now())
					} else {
						feed(e, check(st.Peer, st.Path, st.Probe), 1, false, clk.Now())
					}
				}
			}
			clk.Advance(2 * time.Minute)
			e.Evaluate(ctx)
			e.Deliver(ctx)
			Expect(amRec.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable x"}))
			if wantWebhook {
				Expect(hookRec.events()).To(Equal([]string{"firing SwarmlinkHostUnreachable x"}))
			} else {
				Expect(hookRec.events()).To(BeEmpty())
			}
		},
		Entry("no cluster view: every agent sends", nil, true),
		Entry("the view is down: every agent sends", viewFunc(func(context.Context) ([]alert.LinkState, error) {
			return nil, errors.New("peers unreachable")
		}), true),
		Entry("a reports x failing too and a < c: a sends", viewFunc(func(context.Context) ([]alert.LinkState, error) {
			return states("a x overlay overlay-tcp out failing timeout"), nil
		}), false),
		Entry("d reports x failing too and c < d: c sends", viewFunc(func(context.Context) ([]alert.LinkState, error) {
			return states("d x overlay overlay-tcp out failing timeout"), nil
		}), true),
	)

	It("localises from a view that says another agent still reaches the host: no host alert", func() {
		clk := newFakeClock(t0)
		view := viewFunc(func(context.Context) ([]alert.LinkState, error) {
			return states("d x overlay overlay-tcp out healthy"), nil
		})
		e, err := alert.New(alert.Options{Self: "c", Queue: newMemKV(), State: newMemKV(), Clock: clk, ClusterView: view})
		Expect(err).NotTo(HaveOccurred())
		feed(e, check("x", "overlay", "overlay-tcp"), 3, false, clk.Now())
		for range 3 {
			e.ObserveInbound("x", "overlay", "overlay-oneway", false, clk.Now())
		}
		clk.Advance(2 * time.Minute)
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(HaveLen(1))
		Expect(e.Alerts()[0].Name).To(Equal(alert.NameLinkDown))
	})

	It("re-fetches the cluster view once it is older than ClusterRefresh", func() {
		clk := newFakeClock(t0)
		fetches := 0
		view := viewFunc(func(context.Context) ([]alert.LinkState, error) { fetches++; return nil, nil })
		e, err := alert.New(alert.Options{Self: "c", Queue: newMemKV(), State: newMemKV(), Clock: clk,
			ClusterView: view, ClusterRefresh: 2 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		for range 4 {
			e.Evaluate(ctx)
			clk.Advance(time.Second)
		}
		Expect(fetches).To(Equal(2), "at 0s and 2s")
	})

	It("holds a link alert about a peer gone here until a view newer than the alert shows the others", func() {
		clk := newFakeClock(t0)
		other := "c b overlay overlay-tcp out healthy"
		view := viewFunc(func(context.Context) ([]alert.LinkState, error) { return states(other), nil })
		e, err := alert.New(alert.Options{Self: "a", Queue: newMemKV(), State: newMemKV(), Clock: clk,
			ClusterView: view, ClusterRefresh: 2 * time.Second})
		Expect(err).NotTo(HaveOccurred())
		clk.Advance(2 * time.Minute)
		e.Evaluate(ctx) // the view is fetched: c still reaches b
		for _, s := range hostBDown {
			st := ls(s)
			for range 3 {
				if st.Direction == alert.DirectionInbound {
					e.ObserveInbound(st.Peer, st.Path, st.Probe, false, clk.Now())
				} else {
					feed(e, check(st.Peer, st.Path, st.Probe), 1, false, clk.Now())
				}
			}
		}
		clk.Advance(time.Second)
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(BeEmpty(), "the view predates b's links failing here")
		other = "c b overlay overlay-tcp out failing timeout"
		clk.Advance(time.Second)
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameHostUnreachable)))
	})

	It("holds a link alert while another agent's links to the same peer are still deciding", func() {
		clk := newFakeClock(t0)
		other := "c b overlay overlay-tcp out pending timeout"
		view := viewFunc(func(context.Context) ([]alert.LinkState, error) { return states(other), nil })
		e, err := alert.New(alert.Options{Self: "a", Queue: newMemKV(), State: newMemKV(), Clock: clk, ClusterView: view})
		Expect(err).NotTo(HaveOccurred())
		clk.Advance(2 * time.Minute)
		for _, s := range hostBDown {
			st := ls(s)
			for range 3 {
				if st.Direction == alert.DirectionInbound {
					e.ObserveInbound(st.Peer, st.Path, st.Probe, false, clk.Now())
				} else {
					feed(e, check(st.Peer, st.Path, st.Probe), 1, false, clk.Now())
				}
			}
		}
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(BeEmpty(), "c has not decided about b yet: host or link?")
		other = "c b overlay overlay-tcp out failing timeout"
		clk.Advance(11 * time.Second) // past the view's refresh, within the settle period
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(HaveLen(1))
		Expect(e.Alerts()[0].Name).To(Equal(alert.NameHostUnreachable))
	})
})

package agent

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

var _ = Describe("a gathering for a pending link's confirming result", func() {
	now := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	state := func(st links.State, last time.Time) links.LinkState {
		return links.LinkState{Agent: "node2", Peer: "node200", Path: links.PathPublished, Status: st, Last: last}
	}

	It("is due an interval, the timeout and a tenth of the interval (at most 2 s) after the earliest pending link's last result", func() {
		in := links.Input{Views: map[string]links.View{
			"node2": {Node: "node2", Interval: 120 * time.Second, Links: []links.LinkState{
				state(links.Pending, now.Add(-30*time.Second)), state(links.Failing, now.Add(-100*time.Second)),
				state(links.Healthy, now.Add(-110*time.Second))}},
			"node3": {Node: "node3", Links: []links.LinkState{state(links.Pending, now.Add(-60*time.Second))}},
			"node4": {Node: "node4", Interval: 120 * time.Second, Links: []links.LinkState{
				state(links.Pending, now.Add(-200*time.Second))}},
		}}
		Expect(confirmDue(in, 120*time.Second, 3*time.Second, now)).To(Equal(now.Add(-60*time.Second+125*time.Second)),
			"node3's (its view without an interval: the agent's), not node4's, long due, nor the failing or healthy ones")
		Expect(confirmDue(in, 2*time.Second, time.Second, now)).To(Equal(now.Add(-30*time.Second+123*time.Second)),
			"node3's at the agent's 2 s is past")
		Expect(confirmDue(links.Input{}, time.Minute, time.Second, now)).To(BeZero())
	})

	It("triggers a gathering at the earliest time asked", func() {
		g := &gatherer{kick: make(chan struct{}, 1)}
		g.gatherAt(time.Now().Add(time.Hour))
		g.gatherAt(time.Now().Add(50 * time.Millisecond))
		later := g.wakeAt
		g.gatherAt(time.Now().Add(time.Minute))
		Expect(g.wakeAt).To(Equal(later), "a later time does not put it off")
		g.gatherAt(time.Time{})
		g.gatherAt(time.Now().Add(-time.Second))
		Expect(g.wakeAt).To(Equal(later), "nothing asked")
		Eventually(g.kick).WithTimeout(2 * time.Second).Should(Receive())
		Consistently(g.kick, 200*time.Millisecond).ShouldNot(Receive(), "the hour's was replaced")
	})

	It("is asked for by a diagnosis that holds a pending link", func() {
		a := twentyPeersAgent("node0")
		last := time.Now().Add(-5 * time.Second)
		a.views.record("node1", links.View{Node: "node1", Generated: time.Now(), Interval: 10 * time.Second,
			Links: []links.LinkState{{Agent: "node1", Peer: "node2", Path: links.PathPublished, Role: links.RoleTCP,
				Direction: links.Outbound, Status: links.Pending, Last: last}}}, true, nil)
		a.diagnose()
		a.views.mu.Lock()
		defer a.views.mu.Unlock()
		Expect(a.views.wakeAt).To(BeTemporally("~", last.Add(10*time.Second+a.cfg.Mesh.Timeout+time.Second), time.Millisecond))
	})
})

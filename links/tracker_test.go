package links_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

var _ = Describe("Tracker", func() {
	var (
		tr *links.Tracker
		t0 time.Time
	)
	BeforeEach(func() {
		tr = links.NewTracker(links.TrackerOptions{For: func(string, string) links.Hysteresis {
			return links.Hysteresis{FailingAfter: 3, Window: 5, RecoverAfter: 2}
		}})
		t0 = simNow
	})
	feed := func(probe string, role links.Role, d links.Direction, at time.Time, passed bool, loss float64) links.State {
		tr.Observe(links.Sample{Agent: "node1", Peer: "node2", Path: ov, Probe: probe, Role: role, Direction: d,
			Passed: passed, Cause: "timeout", LossPercent: loss, At: at})
		for _, s := range tr.States() {
			if s.Probe == probe && s.Direction == d {
				return s.Status
			}
		}
		return ""
	}
	tcp := func(i int, passed bool) links.State {
		return feed("overlay-tcp", links.RoleTCP, links.Outbound, t0.Add(time.Duration(i)*time.Second), passed, -1)
	}

	It("fails at exactly F of the last N failures, and recovers after exactly R successes", func() {
		Expect(tcp(0, true)).To(Equal(links.Healthy))
		Expect(tcp(1, false)).To(Equal(links.Pending))
		Expect(tcp(2, false)).To(Equal(links.Pending), "2 of 5 is not yet failing")
		Expect(tcp(3, true)).To(Equal(links.Healthy))
		Expect(tcp(4, false)).To(Equal(links.Failing), "the 3rd failure of the last 5")
		Expect(tcp(5, true)).To(Equal(links.Failing), "one success is not recovery")
		Expect(tcp(6, true)).To(Equal(links.Healthy), "R = 2 successes")
		Expect(tcp(7, false)).To(Equal(links.Pending), "a fresh window after recovery")
	})

	It("is degraded at the loss threshold over at least two results, healthy below it", func() {
		udp := func(i int, loss float64) links.State {
			return feed("overlay-udp", links.RoleUDP, links.Outbound, t0.Add(time.Duration(i)*time.Second), true, loss)
		}
		Expect(udp(0, 10)).To(Equal(links.Healthy), "one lossy result is not yet degraded")
		Expect(udp(1, 10)).To(Equal(links.Degraded), "mean 10% ≥ the 10% threshold")
		Expect(udp(2, 0)).To(Equal(links.Healthy), "mean 6.7% is under it")
	})

	It("is not degraded after a heal: a failed run's loss and the outage's samples do not count as loss", func() {
		udp := func(i int, passed bool, loss float64) links.State {
			return feed("overlay-udp", links.RoleUDP, links.Outbound, t0.Add(time.Duration(i)*time.Second), passed, loss)
		}
		for i := range 3 {
			udp(i, false, 100)
		}
		Expect(udp(3, true, 0)).To(Equal(links.Failing))
		Expect(udp(4, true, 0)).To(Equal(links.Healthy), "healed: not degraded by the outage's 100 % runs")
		Expect(udp(5, true, 20)).To(Equal(links.Healthy), "mean 6.7 %")
		Expect(udp(6, true, 20)).To(Equal(links.Degraded), "mean 10 %: real partial loss after the heal still counts")
	})

	It("never judges one-way beacons by their sender; their receiver's arrivals count", func() {
		Expect(feed("overlay-oneway", links.RoleOneWay, links.Outbound, t0, true, -1)).To(BeEmpty())
		Expect(feed("overlay-arrival", links.RoleArrival, links.Inbound, t0, true, -1)).To(Equal(links.Healthy))
	})

	It("keeps a paused link's state and drops a removed one, ignoring its stragglers", func() {
		tcp(0, true)
		tr.Pause("node2", true)
		Expect(tr.States()[0].Phase).To(Equal(links.PhasePaused))
		Expect(tr.States()[0].Status).To(Equal(links.Healthy))
		tr.Pause("node2", false)
		Expect(tr.States()[0].Phase).To(Equal(links.PhaseActive))

		feed("overlay-arrival", links.RoleArrival, links.Inbound, t0, true, -1)
		tr.Forget(links.Key{Peer: "node2", Path: ov, Probe: "overlay-tcp", Direction: links.Outbound}, t0.Add(10*time.Second))
		Expect(tr.States()).To(BeEmpty(), "the last outbound link gone takes the peer's inbound links with it")
		Expect(tcp(5, false)).To(BeEmpty(), "a result started before the removal is a straggler")
		Expect(tcp(11, true)).To(Equal(links.Healthy), "a later one starts a new link")
	})

	It("carries an inbound link over until it is removed on its own", func() {
		feed("overlay-arrival", links.RoleArrival, links.Inbound, t0, true, -1)
		tr.ForgetInbound("node2", pub, t0.Add(time.Second))
		Expect(tr.States()).To(HaveLen(1), "another path's removal leaves it")
		tr.ForgetInbound("node2", ov, t0.Add(time.Second))
		Expect(tr.States()).To(BeEmpty())
	})
})

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

	It("answers States from a snapshot made again after every change: a result, a pause, a forgotten link", func() {
		tcp(0, true)
		first := tr.States()
		first[0].Status = links.Failing // the caller's copy
		Expect(tr.States()[0].Status).To(Equal(links.Healthy), "a copy, not the snapshot")
		Expect(tcp(1, false)).To(Equal(links.Pending), "a result")
		tr.Pause("node2", links.Outbound, true)
		Expect(tr.States()[0].Phase).To(Equal(links.PhasePaused), "a pause")
		tr.Forget(tr.States()[0].Key(), t0.Add(2*time.Second))
		Expect(tr.States()).To(BeEmpty(), "forgotten")
	})

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

	It("dates the run of failures a state ends with from its first failure, as Since dates the status", func() {
		state := func() links.LinkState { return tr.States()[0] }
		tcp(0, false)
		tcp(1, true)
		Expect(state().FailedFrom).To(BeZero(), "the last result passed")
		tcp(2, false)
		tcp(3, false)
		Expect(state().FailedFrom).To(Equal(t0.Add(2 * time.Second)))
		Expect(state().Status).To(Equal(links.Failing), "the 3rd failure of the last 5")
		Expect(state().Since).To(Equal(t0.Add(3*time.Second)), "a failure earlier in the window made it failing at once")
		tcp(4, true)
		tcp(5, false)
		Expect(state().FailedFrom).To(Equal(t0.Add(5 * time.Second)))
	})

	It("is degraded at the loss threshold over at least two results, healthy below it", func() {
		udp := func(i int, loss float64) links.State {
			return feed("overlay-udp", links.RoleUDP, links.Outbound, t0.Add(time.Duration(i)*time.Second), true, loss)
		}
		Expect(udp(0, 10)).To(Equal(links.Healthy), "one lossy result is not yet degraded")
		Expect(udp(1, 10)).To(Equal(links.Degraded), "mean 10% ≥ the 10% threshold")
		Expect(udp(2, 0)).To(Equal(links.Healthy), "mean 6.7% is under it")
	})

	It("judges a loss that just began by the last two runs when they counted enough packets", func() {
		run := func(probe string, i int, loss float64, sent int) links.State {
			tr.Observe(links.Sample{Agent: "node1", Peer: "node2", Path: ov, Probe: probe, Role: links.RoleArrival,
				Direction: links.Inbound, Passed: true, LossPercent: loss, Sent: sent, At: t0.Add(time.Duration(i) * time.Second)})
			for _, s := range tr.States() {
				if s.Probe == probe {
					return s.Status
				}
			}
			return ""
		}
		for i := range 4 {
			run("overlay-arrival", i, 0, 20)
		}
		Expect(run("overlay-arrival", 4, 25, 20)).To(Equal(links.Degraded),
			"beacons: the last two runs lost 12.5 % of 40 (the window's mean is 5 %)")
		Expect(tr.States()[0].LossPercent).To(Equal(12.5), "the figure is the one that judged")
		Expect(run("overlay-arrival", 5, 0, 20)).To(Equal(links.Degraded), "12.5 % of the last 40 still, mean 5 %")
		Expect(run("overlay-arrival", 6, 0, 20)).To(Equal(links.Healthy), "both judges under 10 %")

		for i := range 4 {
			run("overlay-few", i, 0, 3)
		}
		Expect(run("overlay-few", 4, 33.3, 3)).To(Equal(links.Healthy),
			"one echo of six lost: too few packets for the last two runs alone; the window's mean is 6.7 %")
		Expect(run("overlay-few", 5, 0, 20)).To(Equal(links.Healthy), "23 packets: still too few")
		Expect(run("overlay-few", 6, 10, 20)).To(Equal(links.Healthy), "5 % of the last 40")
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

	It("tells its watcher of every status change, and only of changes", func() {
		var seen, was []links.State
		tr = links.NewTracker(links.TrackerOptions{OnChange: func(from links.State, s links.LinkState) {
			was, seen = append(was, from), append(seen, s.Status)
		},
			For: func(string, string) links.Hysteresis {
				return links.Hysteresis{FailingAfter: 2, Window: 3, RecoverAfter: 1}
			}})
		for i, ok := range []bool{true, true, false, false, false, true} {
			tcp(i, ok)
		}
		Expect(seen).To(Equal([]links.State{links.Healthy, links.Pending, links.Failing, links.Healthy}))
		Expect(was).To(Equal([]links.State{links.Unknown, links.Healthy, links.Pending, links.Failing}))
	})

	It("forgets, on recovery, the loss of the runs that healed it", func() {
		udp := func(i int, passed bool, loss float64) links.State {
			return feed("overlay-udp", links.RoleUDP, links.Outbound, t0.Add(time.Duration(i)*time.Second), passed, loss)
		}
		for i := range 3 {
			udp(i, false, 100)
		}
		udp(3, true, 67) // the run the heal cut through: partly answered
		Expect(udp(4, true, 0)).To(Equal(links.Healthy), "recovered: the healing run's 67 % is not loss")
		Expect(udp(5, true, 0)).To(Equal(links.Healthy))
	})

	It("never judges one-way beacons by their sender; their receiver's arrivals count", func() {
		Expect(feed("overlay-oneway", links.RoleOneWay, links.Outbound, t0, true, -1)).To(BeEmpty())
		Expect(feed("overlay-arrival", links.RoleArrival, links.Inbound, t0, true, -1)).To(Equal(links.Healthy))
	})

	It("keeps a paused link's state and drops a removed one, ignoring its stragglers", func() {
		tcp(0, true)
		tr.Pause("node2", links.Outbound, true)
		Expect(tr.States()[0].Phase).To(Equal(links.PhasePaused))
		Expect(tr.States()[0].Status).To(Equal(links.Healthy))
		tr.Pause("node2", links.Outbound, false)
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

	It("takes a result started exactly at the removal: only earlier ones are stragglers", func() {
		tcp(0, true)
		tr.Forget(links.Key{Peer: "node2", Path: ov, Probe: "overlay-tcp", Direction: links.Outbound}, t0.Add(5*time.Second))
		Expect(tcp(5, true)).To(Equal(links.Healthy))
	})

	It("confirms a healthy link after exactly R successes", func() {
		tcp(0, true)
		Expect(tr.States()[0].Confirmed).To(BeFalse(), "one success of R = 2")
		tcp(1, true)
		Expect(tr.States()[0].Confirmed).To(BeTrue(), "R = 2 successes")
	})

	It("keeps the lost leg of the last failure over later passes, and Since at the status change", func() {
		large := func(i int, passed bool, leg string) links.LinkState {
			tr.Observe(links.Sample{Agent: "node1", Peer: "node2", Path: ov, Probe: "overlay-large", Role: links.RoleLarge,
				Direction: links.Outbound, Passed: passed, Cause: "mtu", Leg: leg, LossPercent: -1, At: t0.Add(time.Duration(i) * time.Second)})
			return tr.States()[0]
		}
		Expect(large(0, true, "").Since).To(Equal(t0))
		Expect(large(1, true, "").Since).To(Equal(t0), "healthy since the first result, not the last")
		large(2, false, "reply")
		Expect(large(3, true, "").Leg).To(Equal("reply"), "the leg is the last failure's")
	})

	It("keeps the peer's inbound links while another outbound link to it remains", func() {
		tcp(0, true)
		feed("overlay-udp", links.RoleUDP, links.Outbound, t0, true, 0)
		feed("overlay-arrival", links.RoleArrival, links.Inbound, t0, true, -1)
		tr.Forget(links.Key{Peer: "node2", Path: ov, Probe: "overlay-tcp", Direction: links.Outbound}, t0.Add(time.Second))
		Expect(tr.States()).To(ConsistOf(HaveField("Probe", "overlay-arrival"), HaveField("Probe", "overlay-udp")))
	})

	It("forgets an inbound link alone, and the last outbound link takes only its own peer's inbound links", func() {
		feed("overlay-arrival", links.RoleArrival, links.Inbound, t0, true, -1)
		feed("published-arrival", links.RoleArrival, links.Inbound, t0, true, -1)
		tr.Observe(links.Sample{Agent: "node1", Peer: "node3", Path: ov, Probe: "overlay-arrival", Role: links.RoleArrival,
			Direction: links.Inbound, Passed: true, LossPercent: -1, At: t0})
		tr.Forget(links.Key{Peer: "node2", Path: ov, Probe: "overlay-arrival", Direction: links.Inbound}, t0.Add(time.Second))
		Expect(tr.States()).To(HaveLen(2), "forgetting an inbound link takes no other")
		tcp(2, true)
		tr.Forget(links.Key{Peer: "node2", Path: ov, Probe: "overlay-tcp", Direction: links.Outbound}, t0.Add(3*time.Second))
		Expect(tr.States()).To(ConsistOf(HaveField("Peer", "node3")), "node3's inbound link is not node2's")
	})

	It("forgets only that peer's inbound links on that path", func() {
		tcp(0, true)
		feed("overlay-arrival", links.RoleArrival, links.Inbound, t0, true, -1)
		tr.Observe(links.Sample{Agent: "node1", Peer: "node3", Path: ov, Probe: "overlay-arrival", Role: links.RoleArrival,
			Direction: links.Inbound, Passed: true, LossPercent: -1, At: t0})
		tr.ForgetInbound("node2", ov, t0.Add(time.Second))
		Expect(tr.States()).To(ConsistOf(HaveField("Probe", "overlay-tcp"), HaveField("Peer", "node3")))
	})

	It("pauses only the links with that peer in that direction", func() {
		tcp(0, true)
		tr.Observe(links.Sample{Agent: "node1", Peer: "node3", Path: ov, Probe: "overlay-tcp", Role: links.RoleTCP,
			Direction: links.Outbound, Passed: true, LossPercent: -1, At: t0})
		tr.Observe(links.Sample{Agent: "node1", Peer: "node3", Path: ov, Probe: "overlay-arrival", Role: links.RoleArrival,
			Direction: links.Inbound, Passed: true, LossPercent: -1, At: t0})
		tr.Pause("node3", links.Outbound, true)
		Expect(tr.States()).To(ConsistOf(
			And(HaveField("Peer", "node2"), HaveField("Phase", links.PhaseActive)),
			And(HaveField("Peer", "node3"), HaveField("Direction", links.Outbound), HaveField("Phase", links.PhasePaused)),
			And(HaveField("Peer", "node3"), HaveField("Direction", links.Inbound), HaveField("Phase", links.PhaseActive))))
		tr.Pause("node3", links.Inbound, true)
		Expect(tr.States()).To(ContainElement(
			And(HaveField("Peer", "node3"), HaveField("Direction", links.Inbound), HaveField("Phase", links.PhasePaused))))
	})

	It("names the peers with a link in a direction whose last result failed, or that fails, until it heals", func() {
		tcp(0, true)
		Expect(tr.Troubled(links.Outbound)).To(BeEmpty())
		tcp(1, false)
		feed("overlay-arrival", links.RoleArrival, links.Inbound, t0.Add(time.Second), false, -1)
		tr.Observe(links.Sample{Agent: "node1", Peer: "node3", Path: ov, Probe: "overlay-tcp", Role: links.RoleTCP,
			Direction: links.Outbound, Passed: true, LossPercent: -1, At: t0})
		Expect(tr.Troubled(links.Outbound)).To(Equal(map[string]bool{"node2": true}), "pending after one failure")
		Expect(tr.Troubled(links.Inbound)).To(Equal(map[string]bool{"node2": true}))
		for i := 2; i < 5; i++ {
			tcp(i, false)
		}
		Expect(tr.Troubled(links.Outbound)).To(HaveKey("node2"), "failing")
		tcp(5, true)
		Expect(tr.Troubled(links.Outbound)).To(HaveKey("node2"), "one success of the two it takes to recover")
		tcp(6, true)
		Expect(tr.Troubled(links.Outbound)).To(BeEmpty())
	})

	It("counts failures over the whole window of N results", func() {
		for i, ok := range []bool{false, true, true, false} {
			tcp(i, ok)
		}
		Expect(tcp(4, false)).To(Equal(links.Failing), "3 failures in the last 5, the first of them 5 results ago")
	})
})

package mesh_test

import (
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
)

var _ = Describe("InboundTracker", func() {
	const grace = 30 * time.Second
	var (
		t0      time.Time
		tracker *mesh.InboundTracker
	)
	BeforeEach(func() {
		t0 = time.Unix(1700000000, 0)
		tracker = mesh.NewInboundTracker(grace)
		tracker.Expect([]mesh.PeerPath{{Peer: "b", Path: "overlay"}, {Peer: "b", Path: "published"}}, t0)
	})
	arrive := func(peer, path string, at time.Time) {
		tracker.OnInbound(mesh.Inbound{From: peer, Path: path, Kind: mesh.InboundUDP, At: at})
	}
	status := func(now time.Time, path string) mesh.InboundStatus {
		GinkgoHelper()
		for _, s := range tracker.Sweep(now) {
			if s.Path == path {
				return s
			}
		}
		Fail("no status for path " + path)
		return mesh.InboundStatus{}
	}

	It("judges only the peers due, the others' arrivals and beacons counting on to the sweep that judges them", func() {
		tracker.Expect([]mesh.PeerPath{{Peer: "b", Path: "overlay"}, {Peer: "c", Path: "overlay"}}, t0)
		onlyC := func(peer string) bool { return peer == "c" }
		onlyB := func(peer string) bool { return peer == "b" }
		for _, seq := range []uint64{7, 8, 10} { // c's round: 9 is lost
			tracker.OnInbound(mesh.Inbound{From: "c", Path: "overlay", Kind: mesh.InboundBeacon, At: t0, Seq: seq})
		}
		Expect(tracker.SweepDue(t0.Add(10*time.Second), onlyB, onlyC)).To(ConsistOf(
			And(HaveField("Peer", "b"), HaveField("Arrived", 0))), "c, due next, is not judged in b's round")
		for _, seq := range []uint64{11, 12} { // late in c's round, after b's sweep
			tracker.OnInbound(mesh.Inbound{From: "c", Path: "overlay", Kind: mesh.InboundBeacon, At: t0.Add(11 * time.Second), Seq: seq})
		}
		got := tracker.SweepDue(t0.Add(20*time.Second), onlyC, onlyB)
		Expect(got).To(HaveLen(1))
		Expect(got[0]).To(And(HaveField("Peer", "c"), HaveField("Arrived", 5), HaveField("Beacons", 5), HaveField("BeaconsExpected", 6)))
		Expect(tracker.SweepDue(t0.Add(30*time.Second), onlyC, onlyB)).To(ConsistOf(
			And(HaveField("Peer", "c"), HaveField("Arrived", 0))), "the judged sweep restarted c's count")
		Expect(tracker.SweepDue(t0.Add(40*time.Second), nil, nil)).To(HaveLen(2), "nil judges every pair")
	})

	It("judges a peer not due whose probes arrived: arrivals are evidence in any round, silence only when due", func() {
		tracker.Expect([]mesh.PeerPath{{Peer: "b", Path: "overlay"}, {Peer: "c", Path: "overlay"}}, t0)
		onlyB := func(peer string) bool { return peer == "b" }
		none := func(string) bool { return false }
		arrive("c", "overlay", t0.Add(time.Second)) // c follows a failing link up in b's round
		got := tracker.SweepDue(t0.Add(10*time.Second), onlyB, none)
		Expect(got).To(ConsistOf(And(HaveField("Peer", "b"), HaveField("Arrived", 0)),
			And(HaveField("Peer", "c"), HaveField("Arrived", 1), HaveField("Missing", false))))
		Expect(tracker.SweepDue(t0.Add(20*time.Second), onlyB, none)).To(ConsistOf(HaveField("Peer", "b")),
			"c, not due and silent, is left as it is")
	})

	It("counts this direction's loss exactly from the beacons' numbers, across sweeps and a sender restart", func() {
		beacon := func(seq uint64) {
			tracker.OnInbound(mesh.Inbound{From: "b", Path: "overlay", Kind: mesh.InboundBeacon, At: t0, Seq: seq})
		}
		for _, seq := range []uint64{41, 42, 44} { // the first seen starts the count; 43 is lost
			beacon(seq)
		}
		s := status(t0.Add(time.Second), "overlay")
		Expect([2]int{s.Beacons, s.BeaconsExpected}).To(Equal([2]int{3, 4}))
		for _, seq := range []uint64{45, 48} { // 46 and 47 lost
			beacon(seq)
		}
		s = status(t0.Add(2*time.Second), "overlay")
		Expect([2]int{s.Beacons, s.BeaconsExpected}).To(Equal([2]int{2, 4}))
		s = status(t0.Add(3*time.Second), "overlay")
		Expect(s.BeaconsExpected).To(BeZero(), "nothing arrived: the loss is unknown, not 100%")
		for _, seq := range []uint64{90, 91, 92} { // after an outage: 49..89 were an outage, not loss
			beacon(seq)
		}
		s = status(t0.Add(3500*time.Millisecond), "overlay")
		Expect([2]int{s.Beacons, s.BeaconsExpected}).To(Equal([2]int{3, 3}))
		for _, seq := range []uint64{1, 2, 3} { // the sender restarted
			beacon(seq)
		}
		s = status(t0.Add(4*time.Second), "overlay")
		Expect([2]int{s.Beacons, s.BeaconsExpected}).To(Equal([2]int{3, 3}))
	})

	It("gives a new pair a full grace period, then marks it missing", func() {
		Expect(status(t0.Add(grace), "overlay").Missing).To(BeFalse())
		Expect(status(t0.Add(grace+time.Second), "overlay").Missing).To(BeTrue())
	})

	It("says a new pair is settling until its first arrival, for at most twice the grace period", func() {
		s := status(t0.Add(grace+time.Second), "overlay")
		Expect(s.Settling).To(BeTrue(), "no arrival yet says nothing")
		Expect(s.Missing).To(BeTrue())
		Expect(status(t0.Add(2*grace+time.Second), "overlay").Settling).To(BeFalse(), "a peer that never came")
		arrive("b", "published", t0.Add(2*time.Second))
		Expect(status(t0.Add(3*time.Second), "published").Settling).To(BeFalse(), "established by its first arrival")
		tracker.Expect([]mesh.PeerPath{{Peer: "b", Path: "overlay"}, {Peer: "c", Path: "overlay"}}, t0.Add(grace))
		Expect(status(t0.Add(2*grace+time.Second), "overlay").Settling).To(BeFalse(), "still expected: keeps its age")
	})

	It("marks a pair present after an arrival, and missing again once it is older than the grace", func() {
		arrive("b", "overlay", t0.Add(40*time.Second))
		s := status(t0.Add(41*time.Second), "overlay")
		Expect(s).To(Equal(mesh.InboundStatus{Peer: "b", Path: "overlay", Kind: mesh.InboundUDP,
			LastSeen: t0.Add(40 * time.Second), Arrived: 1, Missing: false}))
		Expect(status(t0.Add(41*time.Second), "published").Missing).To(BeTrue(), "the other path saw nothing")
		s = status(t0.Add(40*time.Second+grace+time.Second), "overlay")
		Expect(s.Missing).To(BeTrue())
		Expect(s.Arrived).To(BeZero(), "counts restart at every sweep")
	})

	It("ignores arrivals it does not expect, so memory stays bounded", func() {
		for i := range 1000 {
			arrive(fmt.Sprintf("stranger-%d", i), "overlay", t0)
		}
		arrive("b", "bogus-path", t0)
		Expect(tracker.Sweep(t0)).To(HaveLen(2))
	})

	It("forgets a retired peer and pairs no longer expected", func() {
		tracker.Retire("b")
		Expect(tracker.Sweep(t0)).To(BeEmpty())
		tracker.Expect([]mesh.PeerPath{{Peer: "c", Path: "overlay"}}, t0)
		Expect(tracker.Sweep(t0)).To(ConsistOf(HaveField("Peer", "c")))
	})

	It("keeps the state of pairs still expected across Expect calls", func() {
		arrive("b", "overlay", t0.Add(time.Second))
		tracker.Expect([]mesh.PeerPath{{Peer: "b", Path: "overlay"}}, t0.Add(2*time.Second))
		Expect(status(t0.Add(3*time.Second), "overlay").LastSeen).To(Equal(t0.Add(time.Second)))
	})

	It("is safe for concurrent use", func() {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 100 {
					arrive("b", "overlay", t0.Add(time.Duration(i*100+j)*time.Millisecond))
					if j%10 == 0 {
						tracker.Sweep(t0)
						tracker.SetGrace(grace)
					}
				}
			})
		}
		wg.Wait()
		Expect(status(t0, "overlay").LastSeen).To(Equal(t0.Add(799 * time.Millisecond)))
	})
})

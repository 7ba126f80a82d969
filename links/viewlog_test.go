package links_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

// viewServer is one agent's states and the log that serves them, as the
// agent's viewJSON does.
type viewServer struct {
	log    *links.ViewLog
	states map[links.Key]links.LinkState
	now    time.Time
	fresh  time.Duration
}

func newViewServer(epoch uint64, peers int) *viewServer {
	v := &viewServer{log: links.NewViewLog(epoch), states: map[links.Key]links.LinkState{}, now: simNow, fresh: 2 * time.Second}
	for i := range peers {
		for _, probe := range []string{"overlay-tcp", "overlay-udp"} {
			v.put(links.LinkState{Agent: "node0", Peer: fmt.Sprintf("node%d", i+1), Path: ov, Probe: probe,
				Direction: links.Outbound, Status: links.Healthy, Confirmed: true, OKRun: 10, Last: simNow, Since: simNow})
		}
	}
	return v
}

func (v *viewServer) put(s links.LinkState) { v.states[s.Key()] = s }

func (v *viewServer) sorted() []links.LinkState {
	out := make([]links.LinkState, 0, len(v.states))
	for _, s := range v.states {
		out = append(out, s)
	}
	links.SortStates(out)
	return out
}

// serve is the view a holder at pos gets now.
func (v *viewServer) serve(pos *links.Position) links.View {
	states, d := v.log.Serve(v.sorted(), pos, v.now, v.fresh)
	return links.View{Node: "node0", Generated: v.now, Links: states, Delta: &d}
}

// tick is one interval: every active state gets a result, a few change.
func (v *viewServer) tick(r *rand.Rand) {
	v.now = v.now.Add(time.Second)
	for k, s := range v.states {
		switch r.IntN(40) {
		case 0:
			s.Status, s.Cause, s.Message, s.OKRun, s.Since = links.Failing, "timeout", "i/o timeout", 0, v.now
		case 1:
			s.Status, s.Cause, s.Message, s.Since = links.Healthy, "", "", v.now
		case 2: // rotated out of the subset, or back in
			if s.Phase == links.PhasePaused {
				s.Phase = links.PhaseActive
			} else {
				s.Phase = links.PhasePaused
			}
		case 3:
			delete(v.states, k)
			continue
		case 4:
			continue // a result that does not come: its Last ages
		}
		if s.Phase != links.PhasePaused {
			s.Last, s.OKRun, s.Message = v.now, s.OKRun+1, fmt.Sprintf("rtt %dµs", r.IntN(900))
		}
		v.states[k] = s
	}
	if r.IntN(3) == 0 {
		v.put(links.LinkState{Agent: "node0", Peer: fmt.Sprintf("node%d", 100+r.IntN(50)), Path: ov, Probe: "overlay-tcp",
			Direction: links.Inbound, Status: links.Pending, Last: v.now})
	}
}

// sameAsServed checks that held says what the server's states say: equal
// but for what ViewLog leaves out, a last result within fresh of the
// truth (exact when older than that).
func sameAsServed(held links.View, v *viewServer) {
	GinkgoHelper()
	want := v.sorted()
	Expect(held.Links).To(HaveLen(len(want)))
	for i, s := range want {
		got := held.Links[i]
		Expect(got.Key()).To(Equal(s.Key()))
		Expect(got.Status).To(Equal(s.Status), "%v", s.Key())
		Expect(got.Phase).To(Equal(s.Phase), "%v", s.Key())
		Expect(got.Cause).To(Equal(s.Cause), "%v", s.Key())
		Expect(got.Since).To(Equal(s.Since), "%v", s.Key())
		Expect(min(got.OKRun, 10)).To(Equal(min(s.OKRun, 10)), "%v", s.Key())
		if s.Status != links.Healthy {
			Expect(got.Message).To(Equal(s.Message), "%v", s.Key())
		}
		switch {
		case s.Phase == links.PhasePaused:
			Expect(got.Last).To(Equal(s.Last), "a paused state says when its link was last probed: %v", s.Key())
		case v.now.Sub(s.Last) > v.fresh:
			Expect(got.Last).To(Equal(s.Last), "a stale result's time travels: %v", s.Key())
		default:
			Expect(got.Last).To(BeTemporally("~", s.Last, v.fresh), "%v", s.Key())
		}
	}
}

var _ = Describe("ViewLog", func() {
	It("gives every holder, at whatever position, the same states as a whole view would", func() {
		r := rand.New(rand.NewPCG(1, 2))
		srv := newViewServer(1, 30)
		holders := make([]links.View, 3)
		for round := range 300 {
			srv.tick(r)
			for i := range holders {
				if i > 0 && r.IntN(i+1) != 0 {
					continue // holders 1 and 2 skip rounds: their deltas span several
				}
				got, err := srv.serve(holders[i].Position()).Apply(holders[i])
				Expect(err).NotTo(HaveOccurred(), "round %d holder %d", round, i)
				holders[i] = got
				sameAsServed(holders[i], srv)
			}
		}
	})

	It("sends nothing of a healthy mesh whose results keep coming, but its position", func() {
		r := rand.New(rand.NewPCG(3, 4))
		srv := newViewServer(1, 199)
		held := srv.serve(nil)
		Expect(held.Delta.Full).To(BeTrue())
		Expect(held.Links).To(HaveLen(398))
		for range 5 {
			srv.now = srv.now.Add(time.Second)
			for k, s := range srv.states {
				s.Last, s.OKRun, s.Message = srv.now, s.OKRun+1, fmt.Sprintf("rtt %dµs", r.IntN(900))
				srv.states[k] = s
			}
			d := srv.serve(held.Position())
			Expect(d.Delta.Full).To(BeFalse())
			Expect(d.Links).To(BeEmpty(), "a success after the tenth is no change")
			var err error
			held, err = d.Apply(held)
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(held.Links[0].Last).To(Equal(srv.now), "left out, fresh as the delta")
		sameAsServed(held, srv)
	})

	It("sends a state rotated out or back in as its key and new phase only", func() {
		srv := newViewServer(1, 10)
		held := srv.serve(nil)
		rotate := func(phase links.CheckPhase) links.View {
			srv.now = srv.now.Add(time.Second)
			for k, s := range srv.states {
				if s.Peer == "node3" || s.Peer == "node4" {
					s.Phase = phase
				}
				if s.Phase != links.PhasePaused {
					s.Last = srv.now
				}
				srv.states[k] = s
			}
			d := srv.serve(held.Position())
			Expect(d.Links).To(BeEmpty(), "no state changed but for its phase")
			Expect(d.Delta.Phases).To(HaveLen(4))
			for _, p := range d.Delta.Phases {
				Expect(p.Peer).To(Or(Equal("node3"), Equal("node4")))
				Expect(p.Phase).To(Equal(phase))
			}
			var err error
			held, err = d.Apply(held)
			Expect(err).NotTo(HaveOccurred())
			sameAsServed(held, srv)
			return d
		}
		rotate(links.PhasePaused)
		rotate(links.PhaseActive)
		srv.now = srv.now.Add(time.Second)
		d := srv.serve(held.Position())
		Expect(d.Delta.Phases).To(BeEmpty(), "a holder up to date gets no phase again")
		srv.now = srv.now.Add(time.Second)
		for k, s := range srv.states {
			if s.Peer == "node3" {
				s.Phase = links.PhasePaused
				srv.states[k] = s
			}
		}
		old := *held.Position()
		old.Phases = false
		Expect(srv.serve(&old).Links).To(HaveLen(2), "a holder from before phase changes gets the whole states")
	})

	It("sends the time of a result older than the freshness, so that a link whose results stop goes stale", func() {
		srv := newViewServer(1, 2)
		held := srv.serve(nil)
		stopped := held.Links[0].Key()
		for i := range 5 {
			srv.now = srv.now.Add(time.Second)
			for k, s := range srv.states {
				if k != stopped {
					s.Last = srv.now
					srv.states[k] = s
				}
			}
			d := srv.serve(held.Position())
			if i >= 2 { // 3 s and more after its last result, fresh 2 s
				Expect(d.Links).To(ConsistOf(HaveField("Peer", stopped.Peer)))
			}
			var err error
			held, err = d.Apply(held)
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(held.Links[0].Last).To(Equal(simNow), "its own last result, 5 s old")
	})

	It("sends the whole view to a holder of another epoch (the agent restarted) or of no position", func() {
		srv := newViewServer(2, 3)
		Expect(srv.serve(&links.Position{Epoch: 1, Rev: 3}).Delta.Full).To(BeTrue())
		Expect(srv.serve(&links.Position{Epoch: 2, Rev: 999}).Delta.Full).To(BeTrue(), "a revision from the future")
		Expect(srv.serve(nil).Links).To(HaveLen(6))
	})

	It("refuses to apply a delta to a view it does not start from", func() {
		srv := newViewServer(1, 3)
		full := srv.serve(nil)
		srv.now = srv.now.Add(time.Second)
		s := srv.states[full.Links[0].Key()]
		s.Status = links.Failing
		srv.put(s)
		d := srv.serve(full.Position())
		_, err := d.Apply(links.View{Node: "node0"})
		Expect(err).To(MatchError(links.ErrDeltaBase))
		got, err := d.Apply(full)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Links[0].Status).To(Equal(links.Failing))
	})

	It("keeps a bounded number of removals; a holder from before the oldest gets the whole view", func() {
		srv := newViewServer(1, 50) // 100 states
		old := srv.serve(nil)
		for k := range srv.states {
			delete(srv.states, k) // 100 removals: more than the 64 tombstones kept for 0 live states
		}
		srv.now = srv.now.Add(time.Second)
		d := srv.serve(old.Position())
		Expect(d.Delta.Full).To(BeTrue())
		Expect(d.Links).To(BeEmpty())
	})
})

package mesh_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("swarm snapshot exchange", func() {
	snap := []byte(`{"manager":"node-b","services":[{"ID":"svc-web"}]}`)
	var prober *mesh.Prober
	BeforeEach(func() {
		prober = mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a"})
	})
	fetch := func(addr, peer string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return prober.FetchSwarm(ctx, addr, peer)
	}
	causeOf := func(err error) probes.Cause {
		c, _ := mesh.Classify(err)
		return c
	}

	It("round-trips a manager's snapshot", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{Swarm: func() []byte { return snap }})
		got, err := fetch(resp.Addr(), "node-b")
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(snap))
	})

	It("is refused, signed, by an agent with no snapshot (a worker's), with or without the option", func() {
		for _, opts := range []mesh.ResponderOptions{{}, {Swarm: func() []byte { return nil }}} {
			resp := startResponder("node-b", opts)
			_, err := fetch(resp.Addr(), "node-b")
			Expect(err).To(MatchError(mesh.ErrNoSwarm))
		}
	})

	It("refuses a snapshot another agent signed, or of another manager than its sender", func() {
		resp := startResponder("node-c", mesh.ResponderOptions{Swarm: func() []byte { return snap }})
		_, err := fetch(resp.Addr(), "node-b")
		Expect(err).To(HaveOccurred(), "asked node-b, node-c answered")

		_, err = fetch(resp.Addr(), "node-c")
		Expect(err).To(MatchError(ContainSubstring(`snapshot of "node-b" sent by "node-c"`)))
		Expect(causeOf(err)).To(Equal(probes.CauseMismatch))
	})

	It("is refused by a responder holding another key: auth", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{Key: otherKey, Swarm: func() []byte { return snap }})
		_, err := fetch(resp.Addr(), "node-b")
		Expect(causeOf(err)).To(Equal(probes.CauseAuth))
	})
})

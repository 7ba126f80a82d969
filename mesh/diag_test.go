package mesh_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
)

var _ = Describe("diagnosis exchange", func() {
	diag := []byte(`{"self":"node-b","verdict":"healthy","nodes":["node-a","node-b"],"healthy":{"overlay":["01","10"]}}`)
	var prober *mesh.Prober
	BeforeEach(func() {
		prober = mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a"})
	})
	fetch := func(addr, peer string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return prober.FetchDiagnosis(ctx, addr, peer)
	}

	It("round-trips an evaluator's diagnosis", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{Diagnosis: func() []byte { return diag }})
		got, err := fetch(resp.Addr(), "node-b")
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(diag))
		Expect(counter(resp.reg, "swarmlink_peer_messages_total",
			map[string]string{"transport": "tcp", "type": "diagnosis_request"})).To(Equal(1.0))
	})

	It("is refused, signed, by an agent that is no evaluator now, with or without the option", func() {
		for _, opts := range []mesh.ResponderOptions{{}, {Diagnosis: func() []byte { return nil }}} {
			resp := startResponder("node-b", opts)
			_, err := fetch(resp.Addr(), "node-b")
			Expect(err).To(MatchError(mesh.ErrNoDiagnosis))
		}
	})

	It("refuses a diagnosis another agent made than the one that sent it", func() {
		resp := startResponder("node-c", mesh.ResponderOptions{Diagnosis: func() []byte { return diag }})
		_, err := fetch(resp.Addr(), "node-c")
		Expect(err).To(MatchError(ContainSubstring(`diagnosis of "node-b" sent by "node-c"`)))
		_, err = fetch(resp.Addr(), "node-b")
		Expect(err).To(HaveOccurred(), "asked node-b, node-c answered")
	})
})

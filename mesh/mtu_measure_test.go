package mesh_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("MeasureMTU", func() {
	var (
		resp   *running
		prober *mesh.Prober
	)
	BeforeEach(func() {
		resp = startResponder("node-b", mesh.ResponderOptions{})
		prober = mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a"})
	})
	measure := func(addr string, ceiling int) (mesh.MTUResult, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		return prober.MeasureMTU(ctx, addr, ceiling)
	}

	DescribeTable("finds the largest payload a path lets through, within 8 B and MaxMTUProbes (32) datagrams",
		func(limit, ceiling int) {
			res, err := measure(udpLimiter(resp.Addr(), limit, 1<<16), ceiling)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Ceiling).To(Equal(ceiling))
			Expect(res.Largest).To(BeNumerically("<=", limit))
			Expect(res.Largest).To(BeNumerically(">", limit-mesh.MTUResolution))
			Expect(res.Probes).To(BeNumerically("<=", mesh.MaxMTUProbes))
			GinkgoWriter.Printf("limit %d ceiling %d: largest %d in %d datagrams\n", limit, ceiling, res.Largest, res.Probes)
		},
		Entry("a 1400 B path, ceiling 1500", 1400, 1500),
		Entry("an overlay-like 1422 B path, ceiling 9000", 1422, 9000),
		Entry("a 576 B path, ceiling 1500", 576, 1500),
	)

	It("reaches the ceiling in two or three datagrams when the path passes it", func() {
		res, err := measure(resp.Addr(), 8972)
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(Equal(mesh.MTUResult{Largest: 8972, Ceiling: 8972, Probes: 2}))
	})

	It("measures only the forward direction: small acks cross a path that drops large replies", func() {
		res, err := measure(udpLimiter(resp.Addr(), 1200, 200), 1500)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Largest).To(BeNumerically("~", 1196, 4))
	})

	It("is an error, not a short path, when the large datagrams' acks only come late (a busy peer)", func() {
		res, err := measure(udpDelayer(resp.Addr(), 300, 150*time.Millisecond), 1500)
		Expect(err).To(MatchError(ContainSubstring("came too late to measure")))
		Expect(res.Largest).To(BeNumerically("<=", 300), "what crossed in time")
		Expect(res.Probes).To(BeNumerically("<=", mesh.MaxMTUProbes))
	})

	It("confirms a black hole within MaxMTUProbes: the smallest failing size is lost again", func() {
		res, err := measure(udpLimiter(resp.Addr(), 1000, 1<<16), 1500)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Largest).To(BeNumerically("~", 996, 4))
		Expect(res.Probes).To(BeNumerically("<=", mesh.MaxMTUProbes))
	})

	It("fails when even the smallest probe gets no ack", func() {
		res, err := measure(udpLimiter(resp.Addr(), 10, 1<<16), 1500)
		Expect(err).To(HaveOccurred())
		c, _ := mesh.Classify(err)
		Expect(c).To(Equal(probes.CauseTimeout))
		Expect(res.Largest).To(BeZero())
		Expect(res.Probes).To(Equal(3), "three tries of the smallest size")
	})

	It("fails at once against a closed port", func() {
		_, err := measure(closedPort(), 1500)
		c, _ := mesh.Classify(err)
		Expect(c).To(Equal(probes.CauseRefused), "%v", err)
	})
})

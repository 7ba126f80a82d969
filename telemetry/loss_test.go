package telemetry_test

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/telemetry"
)

var _ = Describe("the loss ratio", func() {
	udp := controller.Check{Key: "u", Link: controller.Link{Source: "n1", Destination: "n2", Path: "overlay"},
		Spec: probes.Spec{Name: "overlay-udp", Kind: probes.KindPeer, Peer: &probes.PeerOptions{Transport: "udp", Count: 4}}}
	var (
		reg *prometheus.Registry
		m   *telemetry.Metrics
	)
	BeforeEach(func() {
		reg = prometheus.NewRegistry()
		m = telemetry.New(reg)
	})
	record := func(c controller.Check, r probes.Result) { m.Record(context.Background(), c, r) }
	loss := func(c controller.Check) float64 {
		GinkgoHelper()
		families, err := reg.Gather()
		Expect(err).NotTo(HaveOccurred())
		for _, f := range families {
			for _, s := range f.GetMetric() {
				for _, l := range s.GetLabel() {
					if f.GetName() == "swarmlink_link_loss_ratio" && l.GetName() == "probe" && l.GetValue() == c.Spec.Name {
						return s.GetGauge().GetValue()
					}
				}
			}
		}
		Fail("no loss series for " + c.Spec.Name)
		return 0
	}

	DescribeTable("is lost/sent of the last result that counted echoes",
		func(sent, received int, want float64) {
			record(udp, probes.Result{Reachable: received > 0, Cause: probes.CauseOK, Sent: sent, Received: received})
			Expect(loss(udp)).To(BeNumerically("~", want, 1e-9))
		},
		Entry("none lost", 4, 4, 0.0),
		Entry("one of four", 4, 3, 0.25),
		Entry("all lost", 4, 0, 1.0),
		Entry("more received than sent (a late duplicate) is no loss, never negative", 4, 5, 0.0),
	)

	It("exports the series with the link labels", func() {
		record(udp, probes.Result{Reachable: true, Cause: probes.CauseOK, Sent: 4, Received: 2})
		Expect(testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP swarmlink_link_loss_ratio Share of echoes lost on the last probe (0 to 1); only for probes that count echoes (udp, icmp, peer).
# TYPE swarmlink_link_loss_ratio gauge
swarmlink_link_loss_ratio{destination="n2",path="overlay",probe="overlay-udp",source="n1"} 0.5
`), "swarmlink_link_loss_ratio")).To(Succeed())
	})

	It("is absent for results that count nothing, and dropped when a later result sent nothing", func() {
		tcp := controller.Check{Key: "t", Link: udp.Link, Spec: probes.Spec{Name: "overlay-tcp", Kind: probes.KindTCP}}
		record(tcp, probes.Result{Reachable: true, Passed: true, Cause: probes.CauseOK})
		Expect(testutil.CollectAndCount(reg, "swarmlink_link_loss_ratio")).To(Equal(0))

		record(udp, probes.Result{Cause: probes.CauseTimeout, Sent: 4})
		Expect(testutil.CollectAndCount(reg, "swarmlink_link_loss_ratio")).To(Equal(1))
		record(udp, probes.Result{Cause: probes.CauseUnreachable}) // failed before sending
		Expect(testutil.CollectAndCount(reg, "swarmlink_link_loss_ratio")).To(Equal(0))
	})

	It("comes back with the next result that counted echoes, after one that sent nothing dropped it", func() {
		record(udp, probes.Result{Cause: probes.CauseTimeout, Sent: 4})
		record(udp, probes.Result{Cause: probes.CauseError})
		record(udp, probes.Result{Reachable: true, Cause: probes.CauseOK, Sent: 4, Received: 3})
		Expect(testutil.CollectAndCount(reg, "swarmlink_link_loss_ratio")).To(Equal(1))
		Expect(loss(udp)).To(BeNumerically("~", 0.25, 1e-9))
	})

	It("ignores one-way beacons, which nothing answers", func() {
		beacon := udp
		beacon.Spec.Name, beacon.Spec.Peer = "overlay-beacon", &probes.PeerOptions{Transport: "udp", OneWay: true, Count: 3}
		record(beacon, probes.Result{Reachable: true, Passed: true, Cause: probes.CauseOK, Sent: 3})
		Expect(testutil.CollectAndCount(reg, "swarmlink_link_loss_ratio")).To(Equal(0))
	})

	It("is dropped when the check is forgotten", func() {
		record(udp, probes.Result{Cause: probes.CauseTimeout, Sent: 4})
		m.Forget(udp)
		Expect(testutil.CollectAndCount(reg, "swarmlink_link_loss_ratio")).To(Equal(0))
	})
})

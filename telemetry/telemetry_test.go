package telemetry_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/telemetry"
)

func TestTelemetry(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Telemetry Suite")
}

var _ = Describe("Metrics", func() {
	chk := controller.Check{Key: "k", Link: controller.Link{Source: "n1", Destination: "n2", Path: "overlay"},
		Spec: probes.Spec{Name: "overlay-tcp"}}

	It("exports link up, passed, duration and results by cause; forgets retired checks", func() {
		reg := prometheus.NewRegistry()
		m := telemetry.New(reg)
		m.Record(context.Background(), chk, probes.Result{Reachable: false, Passed: false, Cause: probes.CauseTimeout, Duration: time.Second})
		m.Record(context.Background(), chk, probes.Result{Reachable: true, Passed: true, Cause: probes.CauseOK, Duration: time.Millisecond})
		Expect(testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP swarmlink_link_up Whether the link's target answered on the last probe (1) or not (0).
# TYPE swarmlink_link_up gauge
swarmlink_link_up{destination="n2",path="overlay",probe="overlay-tcp",source="n1"} 1
# HELP swarmlink_probe_results_total Probe results by cause.
# TYPE swarmlink_probe_results_total counter
swarmlink_probe_results_total{cause="ok",destination="n2",path="overlay",probe="overlay-tcp",source="n1"} 1
swarmlink_probe_results_total{cause="timeout",destination="n2",path="overlay",probe="overlay-tcp",source="n1"} 1
`), "swarmlink_link_up", "swarmlink_probe_results_total")).To(Succeed())
		Expect(testutil.CollectAndCount(reg, "swarmlink_probe_duration_seconds")).To(Equal(1))

		m.Forget(chk)
		Expect(testutil.CollectAndCount(reg, "swarmlink_link_up", "swarmlink_probe_results_total",
			"swarmlink_check_passed")).To(Equal(0))
		Expect(testutil.CollectAndCount(reg, "swarmlink_probe_duration_seconds")).To(Equal(1),
			"the path's histogram is shared by the path's other checks")
	})

	It("exports a forgotten check's series again when it runs again, and a key's new link under its own labels", func() {
		reg := prometheus.NewRegistry()
		m := telemetry.New(reg)
		ok := probes.Result{Reachable: true, Passed: true, Cause: probes.CauseOK, Duration: time.Millisecond}
		m.Record(context.Background(), chk, ok)
		m.Forget(chk)
		m.Record(context.Background(), chk, ok)
		Expect(testutil.CollectAndCount(reg, "swarmlink_link_up", "swarmlink_check_passed", "swarmlink_probe_results_total")).To(Equal(3))

		moved := chk
		moved.Link.Destination = "n3"
		m.Record(context.Background(), moved, probes.Result{Cause: probes.CauseTimeout})
		Expect(testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP swarmlink_link_up Whether the link's target answered on the last probe (1) or not (0).
# TYPE swarmlink_link_up gauge
swarmlink_link_up{destination="n2",path="overlay",probe="overlay-tcp",source="n1"} 1
swarmlink_link_up{destination="n3",path="overlay",probe="overlay-tcp",source="n1"} 0
`), "swarmlink_link_up")).To(Succeed())
	})

	It("labels the duration histogram by path and kind, or by check when asked", func() {
		tcp := chk
		tcp.Spec.Kind = probes.KindTCP
		other := tcp
		other.Link.Destination, other.Spec.Name = "n3", "overlay-tcp-n3"
		ok := probes.Result{Reachable: true, Passed: true, Cause: probes.CauseOK, Duration: time.Millisecond}

		reg := prometheus.NewRegistry()
		m := telemetry.New(reg)
		m.Record(context.Background(), tcp, ok)
		m.Record(context.Background(), other, ok)
		Expect(testutil.CollectAndCount(reg, "swarmlink_probe_duration_seconds")).To(Equal(1))
		h := family(reg, "swarmlink_probe_duration_seconds").GetMetric()[0]
		Expect(h.GetHistogram().GetSampleCount()).To(BeEquivalentTo(2))
		Expect(labelMap(h)).To(Equal(map[string]string{"source": "n1", "path": "overlay", "kind": "tcp"}))

		reg = prometheus.NewRegistry()
		m = telemetry.NewWith(reg, telemetry.Options{PerCheckHistograms: true})
		m.Record(context.Background(), tcp, ok)
		m.Record(context.Background(), other, ok)
		Expect(testutil.CollectAndCount(reg, "swarmlink_probe_duration_seconds")).To(Equal(2))
		m.Forget(other)
		Expect(testutil.CollectAndCount(reg, "swarmlink_probe_duration_seconds")).To(Equal(1))
	})
})

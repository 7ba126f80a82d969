package telemetry_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/telemetry"
)

// The series budget the README states: per check 3 series (up, passed,
// results by its one cause) plus loss for echo-counting probes; per
// (path, kind) one histogram of 17 series (14 buckets, +Inf, sum, count).
const (
	seriesPerCheck     = 3
	seriesPerHistogram = 17
)

var _ = Describe("Series budget", func() {
	// meshChecks are the checks of an agent probing peers over two paths
	// with tcp and udp peer echoes (udp counts echoes: one loss series).
	meshChecks := func(peers int) []controller.Check {
		var out []controller.Check
		for p := range peers {
			for _, path := range []string{"overlay", "published"} {
				for _, tr := range []string{"tcp", "udp"} {
					peer := fmt.Sprintf("node-%d", p)
					out = append(out, controller.Check{Key: peer + "/" + path + "/" + tr,
						Link: controller.Link{Source: "node-x", Destination: peer, Path: path},
						Spec: probes.Spec{Name: path + "-" + tr, Kind: probes.KindPeer,
							Peer: &probes.PeerOptions{Transport: tr}}})
				}
			}
		}
		return out
	}
	record := func(m *telemetry.Metrics, checks []controller.Check) {
		for _, c := range checks {
			r := probes.Result{Reachable: true, Passed: true, Cause: probes.CauseOK, Duration: time.Millisecond}
			if c.Spec.Peer.Transport == "udp" {
				r.Sent, r.Received = 4, 4
			}
			m.Record(context.Background(), c, r)
		}
	}

	DescribeTable("grows by a small constant per peer",
		func(peers int) {
			checks := meshChecks(peers)
			reg := prometheus.NewRegistry()
			record(telemetry.New(reg), checks)
			udpChecks := len(checks) / 2
			want := len(checks)*seriesPerCheck + udpChecks + 2*seriesPerHistogram // 2 paths × 1 kind
			Expect(countSeries(reg)).To(Equal(want))
			Expect(want).To(Equal(14*peers+34), "14 series per peer of 4 checks, 34 in all for the histograms")
		},
		Entry("1 peer", 1), Entry("10 peers", 10), Entry("100 peers", 100))

	It("costs a histogram per check with per-check histograms", func() {
		checks := meshChecks(10)
		reg := prometheus.NewRegistry()
		record(telemetry.NewWith(reg, telemetry.Options{PerCheckHistograms: true}), checks)
		Expect(countSeries(reg)).To(Equal(len(checks)*(seriesPerCheck+seriesPerHistogram) + len(checks)/2))
	})
})

// countSeries counts the samples a scrape of reg would show.
func countSeries(reg *prometheus.Registry) int {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	n := 0
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				n += len(h.GetBucket()) + 3
				continue
			}
			n++
		}
	}
	return n
}

func family(reg *prometheus.Registry, name string) *dto.MetricFamily {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() == name {
			return f
		}
	}
	Fail("no family " + name)
	return nil
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

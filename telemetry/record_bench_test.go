package telemetry_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/telemetry"
)

// BenchmarkRecord is the sink's cost per result: 5000 UDP echo checks
// (loss counted), each recording in turn, as an agent's results arrive.
func BenchmarkRecord(b *testing.B) {
	const n = 5000
	checks := make([]controller.Check, n)
	for i := range checks {
		checks[i] = controller.Check{Key: fmt.Sprintf("mesh/node%d/overlay/udp", i),
			Link: controller.Link{Source: "node0", Destination: fmt.Sprintf("node%d", i), Path: "overlay"},
			Spec: probes.Spec{Name: "overlay-udp", Kind: probes.KindPeer, Peer: &probes.PeerOptions{}}}
	}
	m := telemetry.New(prometheus.NewRegistry())
	r := probes.Result{Reachable: true, Passed: true, Cause: probes.CauseOK, Duration: time.Millisecond, Sent: 3, Received: 3}
	ctx := context.Background()
	for _, c := range checks {
		m.Record(ctx, c, r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m.Record(ctx, checks[i%n], r)
	}
}

package mesh_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("peer clocks", func() {
	tcp := probes.PeerOptions{Transport: "tcp", Peer: "node-b"}

	It("reports a peer beyond the replay window as clock-skew, with the measured offset", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{}, skewed(45*time.Second))
		p := mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a"})
		r := probes.Run(context.Background(), p, peerSpec(resp.Addr(), time.Second, tcp))
		Expect(r.Cause).To(Equal(probes.CauseClockSkew))
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Message).To(MatchRegexp(`peer clock is \+4[45]\.\ds off ours \(replay window ±30s\)$`))
		Eventually(dropped(resp, "tcp", mesh.ReasonClockSkew)).Should(Equal(1.0))
		Expect(p.ClockOffsets()["node-b"]).To(BeNumerically("~", 45*time.Second, time.Second))
	})

	It("reports clock-skew for a peer behind us too, over UDP as well as from its answers", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{ReplayWindow: time.Hour}, skewed(-45*time.Second))
		p := mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a"})
		r := probes.Run(context.Background(), p, peerSpec(resp.Addr(), time.Second, tcp))
		Expect(r.Cause).To(Equal(probes.CauseClockSkew), "the responder accepts, we refuse its answer")
		Expect(r.Message).To(ContainSubstring("peer clock is -45"))
	})

	It("keeps the last offset per peer, exports it and warns past half the window", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{}, skewed(20*time.Second))
		core, logs := observer.New(zapcore.InfoLevel)
		reg := prometheus.NewRegistry()
		p := mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a", Log: zap.New(core), Registerer: reg})
		for range 2 {
			r := probes.Run(context.Background(), p, peerSpec(resp.Addr(), time.Second, tcp))
			Expect(r.Cause).To(Equal(probes.CauseOK), r.Message)
		}
		Expect(p.ClockOffsets()).To(HaveKeyWithValue("node-b", BeNumerically("~", 20*time.Second, time.Second)))
		Expect(gauge(reg, "swarmlink_peer_clock_offset_seconds", map[string]string{"peer": "node-b"})).
			To(BeNumerically("~", 20, 1))
		Expect(logs.FilterMessage("peer clock is far from ours").Len()).To(Equal(1), "warned once, not per probe")
	})

	It("does not warn about a peer within half the window", func() {
		resp := startResponder("node-b", mesh.ResponderOptions{}, skewed(5*time.Second))
		core, logs := observer.New(zapcore.InfoLevel)
		p := mesh.NewProber(mesh.ClientOptions{Key: testKey, Self: "node-a", Log: zap.New(core)})
		r := probes.Run(context.Background(), p, peerSpec(resp.Addr(), time.Second, tcp))
		Expect(r.Cause).To(Equal(probes.CauseOK), r.Message)
		Expect(p.ClockOffsets()["node-b"]).To(BeNumerically("~", 5*time.Second, time.Second))
		Expect(logs.Len()).To(BeZero())
	})
})

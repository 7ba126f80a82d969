package mesh_test

import (
	"context"
	"net"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// running is a responder serving on loopback for one spec.
type running struct {
	*mesh.Responder
	reg *prometheus.Registry
	in  *inboundLog
}

// startResponder serves a responder named name on 127.0.0.1 (a free port)
// until the spec ends. opts.Key, Identity.Name and Addr are filled in
// unless set; setup runs before it starts.
func startResponder(name string, opts mesh.ResponderOptions, setup ...func(*mesh.Responder)) *running {
	GinkgoHelper()
	in := &inboundLog{}
	if opts.Key == nil {
		opts.Key = testKey
	}
	if opts.Identity.Name == "" {
		opts.Identity.Name = name
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Inbound == nil {
		opts.Inbound = in
	}
	reg := prometheus.NewRegistry()
	r, err := mesh.NewResponder(opts, zap.NewNop(), reg)
	Expect(err).NotTo(HaveOccurred())
	for _, f := range setup {
		f(r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	Expect(r.Listen(ctx)).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done).Should(Receive(BeNil()))
	})
	return &running{Responder: r, reg: reg, in: in}
}

// counter reads one sample of a counter from reg; 0 when absent.
func counter(reg *prometheus.Registry, name string, labels map[string]string) float64 {
	GinkgoHelper()
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func dropped(r *running, transport string, reason mesh.Reason) func() float64 {
	return func() float64 {
		return counter(r.reg, "swarmlink_peer_dropped_total",
			map[string]string{"transport": transport, "reason": string(reason)})
	}
}

// inboundLog is an InboundSink that keeps everything.
type inboundLog struct {
	mu  sync.Mutex
	all []mesh.Inbound
}

func (l *inboundLog) OnInbound(in mesh.Inbound) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, in)
}

func (l *inboundLog) Got() []mesh.Inbound {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]mesh.Inbound(nil), l.all...)
}

// peerSpec is a KindPeer spec against target.
func peerSpec(target string, timeout time.Duration, o probes.PeerOptions) probes.Spec {
	return probes.Spec{Name: "t", Kind: probes.KindPeer, Target: target, Timeout: timeout,
		Expect: probes.ExpectReachable, Peer: &o}
}

// closedPort returns a loopback address on which nothing listens (TCP or UDP).
func closedPort() string {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	return addr
}

// skewed sets a responder's clock off ours by d.
func skewed(d time.Duration) func(*mesh.Responder) {
	return func(r *mesh.Responder) { r.SetClock(func() time.Time { return time.Now().Add(d) }) }
}

// gauge reads one sample of a gauge from reg; 0 when absent.
func gauge(reg *prometheus.Registry, name string, labels map[string]string) float64 {
	GinkgoHelper()
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue metrics
				}
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

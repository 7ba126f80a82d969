package swarm_test

import (
	"context"
	"errors"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	sw "github.com/swarmlink/swarmlink/swarm"
)

var _ = Describe("LabelSource", func() {
	ctx := context.Background()
	var f *fakeDocker
	var logs *observer.ObservedLogs
	var src *sw.LabelSource

	BeforeEach(func() {
		f = &fakeDocker{
			services: []swarm.Service{
				{Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "app_web", Labels: map[string]string{
					"swarmlink.check.health.kind": "http", "swarmlink.check.health.target": "http://web:80/healthz",
					"swarmlink.check.health.interval": "10s", "swarmlink.check.bad.kind": "tcp",
					"swarmlink.check.bad.target": "web:80", "swarmlink.check.bad.interval": "soon"}}}},
				{Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "app_plain"}}},
			},
			containers: []container.Summary{
				{Names: []string{"/cache"}, Labels: map[string]string{"swarmlink.check.ping.kind": "icmp",
					"swarmlink.check.ping.target": "10.0.0.2"}},
				{Names: []string{"/app_web.1.xyz"}, Labels: map[string]string{"com.docker.swarm.service.id": "svc-web",
					"swarmlink.check.dup.kind": "tcp", "swarmlink.check.dup.target": "web:80"}},
			},
		}
		core, observed := observer.New(zap.InfoLevel)
		logs = observed
		src = sw.NewLabelSource(f, f, sw.LabelConfig{Self: "node1", TimeZone: "Europe/Berlin",
			Defaults: sw.LabelDefaults{Interval: 30 * time.Second, Timeout: 5 * time.Second}}, zap.New(core))
	})

	It("turns service and plain container labels into checks and reports the bad ones, once in the log", func() {
		for range 2 {
			checks, err := src.Desired(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(checks).To(Equal([]controller.Check{
				{Key: "labels/app_web/health", Origin: "labels", TimeZone: "Europe/Berlin", Interval: 10 * time.Second,
					Link: controller.Link{Source: "node1", Destination: "app_web", Path: "direct"},
					Spec: probes.Spec{Name: "health", Kind: probes.KindHTTP, Target: "http://web:80/healthz",
						Timeout: 5 * time.Second, Expect: probes.ExpectReachable}},
				{Key: "labels/cache/ping", Origin: "labels", TimeZone: "Europe/Berlin", Interval: 30 * time.Second,
					Link: controller.Link{Source: "node1", Destination: "cache", Path: "direct"},
					Spec: probes.Spec{Name: "ping", Kind: probes.KindICMP, Target: "10.0.0.2",
						Timeout: 5 * time.Second, Expect: probes.ExpectReachable}},
			}), "a task's container is skipped: its service's labels are read from the service")
		}
		Expect(src.Errors()).To(Equal([]sw.LabelError{{Service: "app_web", Label: "swarmlink.check.bad.interval",
			Value: "soon", Expected: "a duration from 100ms to 24h such as 500ms, 5s or 1m"}}))
		Expect(logs.FilterMessageSnippet("invalid swarmlink label").Len()).To(Equal(1))
	})

	It("on a worker still reads the plain containers, and says so once", func() {
		f.err = errors.New("Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.")
		for range 3 {
			checks, err := src.Desired(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(checks).To(HaveLen(1))
			Expect(checks[0].Key).To(Equal("labels/cache/ping"))
		}
		Expect(logs.FilterMessageSnippet("not a swarm manager").Len()).To(Equal(1))
		Expect(src.Errors()).To(BeEmpty())
	})

	It("fails on any other error, so the controller keeps the last good checks", func() {
		f.err = errors.New("Cannot connect to the Docker daemon")
		_, err := src.Desired(ctx)
		Expect(err).To(MatchError(ContainSubstring("listing services: Cannot connect")))
		Expect(errors.Is(err, sw.ErrNotManager)).To(BeFalse())
	})
})

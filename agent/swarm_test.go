package agent

import (
	"context"
	"errors"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/probes"
	sw "github.com/swarmlink/swarmlink/swarm"
)

// engine is a Docker engine that answers Info (or not) and lists nothing.
type engine struct{ down bool }

func (e engine) Info(context.Context) (system.Info, error) {
	if e.down {
		return system.Info{}, errors.New("Cannot connect to the Docker daemon")
	}
	return system.Info{}, nil
}
func (engine) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) { return nil, nil }
func (engine) ServiceList(context.Context, swarm.ServiceListOptions) ([]swarm.Service, error) {
	return nil, nil
}
func (engine) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) { return nil, nil }
func (engine) ContainerList(context.Context, container.ListOptions) ([]container.Summary, error) {
	return nil, nil
}

var _ = Describe("the swarm part", func() {
	part := func(yaml string, e engine) *swarmPart {
		c, err := config.Parse("a.yaml", []byte(yaml))
		Expect(err).NotTo(HaveOccurred())
		return newSwarmPartWith(context.Background(), &Agent{cfg: c, log: zap.NewNop()}, e, zap.NewNop())
	}
	names := func(p *swarmPart) []string {
		var out []string
		for _, s := range p.sources() {
			out = append(out, s.Name())
		}
		return out
	}

	It("reads labels by default when the engine answers, and not when it does not", func() {
		Expect(names(part("{}", engine{}))).To(Equal([]string{"labels"}))
		Expect(part("{}", engine{down: true})).To(BeNil())
		Expect(part("swarm: {labels: false}", engine{})).To(BeNil())
	})

	It("adds the swarm source and its probe kinds when checks are on, and keeps explicit labels on", func() {
		p := part("swarm: {labels: true, checks: true}", engine{down: true})
		Expect(names(p)).To(Equal([]string{"labels", "swarm"}))
		r := probes.Registry{}
		p.register(r)
		Expect(r).To(HaveKey(sw.KindVIP))
		Expect(r).To(HaveKey(sw.KindIngress))
		Expect(r).To(HaveKey(sw.KindDNS))
	})
})

package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/controller"
)

// apiTimeout bounds the Docker calls of one Desired.
const apiTimeout = 15 * time.Second

// swarmServiceLabel marks the containers of Swarm tasks: their service's
// labels are read from the service, so the container itself is skipped.
const swarmServiceLabel = "com.docker.swarm.service.id"

// LabelConfig configures a LabelSource.
type LabelConfig struct {
	Self     string        // this agent: the checks' Link.Source
	Defaults LabelDefaults // for what a check's labels leave out
	TimeZone string        // of cron schedules; default UTC
}

// LabelSource is the controller.Source of checks defined by labels: on
// every Desired it lists the services (a manager only) and the running plain
// containers of this host and parses their swarmlink.check.* labels. Keys are
// "labels/<service or container>/<check>"; the link's destination is the
// service or container, its path "direct". Only labels, which cluster
// operators write, define checks. LabelSource is safe for concurrent use.
type LabelSource struct {
	services   ServiceLister   // nil: no services
	containers ContainerLister // nil: no containers
	cfg        LabelConfig
	problems
}

var _ controller.Source = (*LabelSource)(nil)

// NewLabelSource returns a source that reads services from services and
// containers from containers; either may be nil to skip it.
func NewLabelSource(services ServiceLister, containers ContainerLister, cfg LabelConfig, log *zap.Logger) *LabelSource {
	cfg.TimeZone = cmp.Or(cfg.TimeZone, "UTC")
	if log == nil {
		log = zap.NewNop()
	}
	return &LabelSource{services: services, containers: containers, cfg: cfg,
		problems: problems{log: log.With(zap.String("component", "swarm"), zap.String("source", LabelSourceName))}}
}

// Name returns "labels".
func (s *LabelSource) Name() string { return LabelSourceName }

// Desired returns the checks of every labelled service and container. On
// a worker the services are skipped without an error, after logging it once.
func (s *LabelSource) Desired(ctx context.Context) ([]controller.Check, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	checks, errs, err := s.fromServices(ctx)
	if err != nil {
		return nil, err
	}
	more, moreErrs, err := s.fromContainers(ctx)
	if err != nil {
		return nil, err
	}
	checks, errs = append(checks, more...), append(errs, moreErrs...)
	slices.SortFunc(checks, func(a, b controller.Check) int { return cmp.Compare(a.Key, b.Key) })
	s.setErrors(errs)
	return checks, nil
}

func (s *LabelSource) fromServices(ctx context.Context) ([]controller.Check, []LabelError, error) {
	if s.services == nil {
		return nil, nil, nil
	}
	services, err := s.services.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		err = notManager("listing services", err)
		if errors.Is(err, ErrNotManager) {
			s.onWorker("not a swarm manager: the managers' agents read the services' labels", err)
			return nil, nil, nil
		}
		return nil, nil, err
	}
	s.onManager()
	var checks []controller.Check
	var errs []LabelError
	for _, svc := range services {
		lcs, lerrs := ParseLabels(svc.Spec.Labels, s.cfg.Defaults)
		checks = append(checks, s.bind(svc.Spec.Name, lcs)...)
		for _, e := range lerrs {
			e.Service = svc.Spec.Name
			errs = append(errs, e)
		}
	}
	return checks, errs, nil
}

func (s *LabelSource) fromContainers(ctx context.Context) ([]controller.Check, []LabelError, error) {
	if s.containers == nil {
		return nil, nil, nil
	}
	list, err := s.containers.ContainerList(ctx, container.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("listing containers: %w", err)
	}
	var checks []controller.Check
	var errs []LabelError
	for _, c := range list {
		if _, task := c.Labels[swarmServiceLabel]; task || len(c.Names) == 0 {
			continue
		}
		name := strings.TrimPrefix(c.Names[0], "/")
		lcs, lerrs := ParseLabels(c.Labels, s.cfg.Defaults)
		checks = append(checks, s.bind(name, lcs)...)
		for _, e := range lerrs {
			e.Container = name
			errs = append(errs, e)
		}
	}
	return checks, errs, nil
}

// bind turns the label checks of owner into controller checks.
func (s *LabelSource) bind(owner string, lcs []LabelCheck) []controller.Check {
	out := make([]controller.Check, 0, len(lcs))
	for _, lc := range lcs {
		out = append(out, controller.Check{
			Key:      LabelSourceName + "/" + owner + "/" + lc.Spec.Name,
			Origin:   LabelSourceName,
			Link:     controller.Link{Source: s.cfg.Self, Destination: owner, Path: PathDirect},
			Spec:     lc.Spec,
			Interval: lc.Interval,
			Cron:     lc.Cron,
			TimeZone: s.cfg.TimeZone,
		})
	}
	return out
}

package swarm

import (
	"slices"
	"sync"

	"go.uber.org/zap"
)

// problems is what a source keeps of its last round: the labels it skipped
// and whether it already said it runs on a worker. Safe for concurrent use.
type problems struct {
	log *zap.Logger

	mu     sync.Mutex
	errs   []LabelError
	worker bool // "not a manager" was logged
}

// Errors returns the label problems of the last Desired: every label that
// was skipped or ignored, and why.
func (p *problems) Errors() []LabelError {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.errs)
}

// setErrors keeps errs for Errors and logs the ones the previous round did
// not have, so a bad label is logged once, not on every refresh.
func (p *problems) setErrors(errs []LabelError) {
	p.mu.Lock()
	prev := p.errs
	p.errs = errs
	p.mu.Unlock()
	for _, e := range errs {
		if !slices.Contains(prev, e) {
			p.log.Warn("invalid swarmlink label; skipped", zap.String("service", e.Service),
				zap.String("container", e.Container), zap.String("label", e.Label),
				zap.String("value", e.Value), zap.String("expected", e.Expected))
		}
	}
}

// onWorker logs msg the first time the engine says it is not a manager
// (again only after it was one in between).
func (p *problems) onWorker(msg string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.worker {
		p.log.Info(msg, zap.Error(err))
		p.worker = true
	}
}

// onManager notes that the engine answered as a manager.
func (p *problems) onManager() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.worker = false
}

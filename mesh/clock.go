package mesh

import (
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// clocks keeps, per peer, the clock offset measured from its last
// authenticated answer, exports it as a gauge and warns once when it
// passes the warn threshold (half the replay window: beyond the window
// every message between the two agents is refused). Safe for concurrent use.
type clocks struct {
	warnAt time.Duration
	log    *zap.Logger
	gauge  *prometheus.GaugeVec // nil without a registerer

	mu      sync.Mutex
	offsets map[string]time.Duration
	warned  map[string]bool
}

func newClocks(window time.Duration, log *zap.Logger, reg prometheus.Registerer) *clocks {
	c := &clocks{warnAt: window / 2, log: log, offsets: map[string]time.Duration{}, warned: map[string]bool{}}
	if reg == nil {
		return c
	}
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "swarmlink_peer_clock_offset_seconds",
		Help: "Clock offset of a peer (its clock minus ours) measured from its last authenticated answer.",
	}, []string{"peer"})
	if err := reg.Register(g); err != nil {
		log.Warn("peer clock offsets not exported", zap.Error(err))
		return c
	}
	c.gauge = g
	return c
}

// observe records peer's offset.
func (c *clocks) observe(peer string, off time.Duration) {
	if peer == "" {
		return
	}
	if c.gauge != nil {
		c.gauge.WithLabelValues(peer).Set(off.Seconds())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offsets[peer] = off
	far := off > c.warnAt || off < -c.warnAt
	switch {
	case far && !c.warned[peer]:
		c.log.Warn("peer clock is far from ours", zap.String("peer", peer),
			zap.Duration("offset", off), zap.Duration("warn_at", c.warnAt))
	case !far && c.warned[peer]:
		c.log.Info("peer clock is close to ours again", zap.String("peer", peer), zap.Duration("offset", off))
	}
	c.warned[peer] = far
}

func (c *clocks) all() map[string]time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.offsets)
}

// ClockOffsets returns, per peer name, its clock minus ours as measured
// from its last authenticated answer (the answer's timestamp against the
// midpoint of our send and receive). Safe for concurrent use.
func (p *Prober) ClockOffsets() map[string]time.Duration { return p.clocks.all() }

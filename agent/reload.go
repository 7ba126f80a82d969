package agent

import (
	"github.com/swarmlink/swarmlink/config"
)

// liveOnReload reports whether a config section applies without a restart:
// the config source reads probes and defaults on every reconcile, and the
// API token file is read on every request. Everything else (listener, store,
// schedules, mesh, swarm, alerting, the agent's identity...) is built at
// start from the config the agent started with.
func liveOnReload(section string) bool {
	switch section {
	case "probes", "defaults", "agent.api_token_file":
		return true
	}
	return false
}

// restartSections lists the sections of c that differ from the config the
// agent started with and take effect only at the next restart. Values the
// command line overrides (--listen, --data-dir) never count as changed.
func (a *Agent) restartSections(c *config.Config) []string {
	next := *c
	if a.opts.Listen != "" {
		next.Agent.Listen = a.opts.Listen
	}
	if a.opts.DataDir != "" {
		next.Agent.DataDir = a.opts.DataDir
	}
	var out []string
	for _, section := range config.ChangedSections(a.cfg, &next) {
		if !liveOnReload(section) {
			out = append(out, section)
		}
	}
	return out
}

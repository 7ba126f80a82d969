package agent

import (
	"net/http"

	"github.com/swarmlink/swarmlink/api"
)

// configHandler serves the running config (the last good one: a rejected
// reload leaves it in force) as YAML with its secrets redacted
// (config.RedactedYAML), with the file it came from. Read-only, like every
// GET: it says what is configured, never a secret.
func (a *Agent) configHandler(w http.ResponseWriter, _ *http.Request) {
	c := a.current()
	b, err := c.RedactedYAML()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"file": c.File, "yaml": string(b)})
}

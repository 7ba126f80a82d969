package agent

import (
	"net/http"

	"github.com/swarmlink/swarmlink/api"
)

// linksHandler serves this agent's own link view (what its peers gather).
func (a *Agent) linksHandler(w http.ResponseWriter, _ *http.Request) {
	api.WriteJSON(w, http.StatusOK, a.ownView())
}

// matrixHandler serves the one diagnosis: the cells and findings every
// node gives from the same views. Peers are only the agent's own
// discovered ones, never an address a client names.
func (a *Agent) matrixHandler(w http.ResponseWriter, _ *http.Request) {
	api.WriteJSON(w, http.StatusOK, a.diagnose())
}

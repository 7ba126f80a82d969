package agent

import (
	"fmt"
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
//
// ?form=packed gives the diagnosis as links.Packed, the plain healthy cells
// one byte each: what the web UI reads, a tenth of the size at 200 nodes.
//
// An agent that is not an evaluator relays an evaluator's diagnosis
// (diagrelay.go), and diagnoses itself only when none answers.
func (a *Agent) matrixHandler(w http.ResponseWriter, r *http.Request) {
	form := r.URL.Query().Get("form")
	if form != "" && form != "full" && form != "packed" {
		api.WriteJSON(w, http.StatusBadRequest, map[string]string{
			"error": fmt.Sprintf("query parameter form: %q is not a form of the matrix (want full or packed)", form)})
		return
	}
	if p, ok := a.relayedDiagnosis(r.Context()); ok {
		if form == "packed" {
			api.WriteJSON(w, http.StatusOK, p)
		} else {
			api.WriteJSON(w, http.StatusOK, unpacked(p))
		}
		return
	}
	if a.views != nil && !a.views.wantsAll() {
		a.views.gatherWholeOnce(r.Context()) // no evaluator answered: gather every view, this once
	}
	if form == "packed" {
		api.WriteJSON(w, http.StatusOK, a.diagnose().Pack())
		return
	}
	api.WriteJSON(w, http.StatusOK, a.diagnose())
}

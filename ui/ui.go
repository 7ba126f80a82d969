// Package ui serves swarmlink's web UI: a single self-contained page that
// reads the agent's own read-only JSON API.
package ui

import (
	_ "embed"
	"net/http"
)

//go:embed index.html
var index []byte

// Handler serves the UI page.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
		w.Write(index)
	})
}

// Package ui serves swarmlink's web UI: one page that reads the agent's own
// read-only JSON API, and its script and stylesheet as embedded files. Nothing
// is inline, so the agent's Content-Security-Policy needs no 'unsafe-inline'
// (package api sets it on every response).
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed index.html
var index []byte

//go:embed static
var static embed.FS

// AssetsPrefix is the path the page loads its files from; route
// "GET "+AssetsPrefix to Assets.
const AssetsPrefix = "/ui/"

// Handler serves the UI page.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(index)
	})
}

// Assets serves the page's script and stylesheet under AssetsPrefix.
func Assets() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is embedded above: cannot fail
	}
	return http.StripPrefix(AssetsPrefix, http.FileServerFS(sub))
}

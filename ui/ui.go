// Package ui owns swarmlink's web UI: one HTML page and the hand-written
// JavaScript modules and stylesheet it loads, all embedded in the binary.
// The page renders the agent's own read-only JSON API in the browser; there
// is no build step and nothing is loaded from anywhere but the agent.
//
// Nothing in the page is inline (no <script> or <style> blocks, no style or
// on* attributes), so it runs under a Content-Security-Policy without
// 'unsafe-inline'. The handlers here set such a policy themselves unless an
// outer handler has already set a stricter one.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

//go:embed index.html
var index []byte

//go:embed static
var static embed.FS

// AssetsPrefix is the path the page loads its files from; route
// "GET "+AssetsPrefix to Assets.
const AssetsPrefix = "/ui/"

// ContentSecurityPolicy is the policy the UI's responses carry when no outer
// handler set one: everything from the agent itself, never framed.
const ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'"

// Handler serves the UI page.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		secure(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(index)
	})
}

// Assets serves the page's scripts and stylesheet under AssetsPrefix. A
// directory or a missing file is a 404: there are no listings.
func Assets() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is embedded above: cannot fail
	}
	files := http.FileServerFS(sub)
	return http.StripPrefix(AssetsPrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean("/" + r.URL.Path)[1:]
		secure(w.Header())
		if st, err := fs.Stat(sub, name); err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		// Module scripts must be served as JavaScript: set the type here
		// rather than trust the host's MIME table.
		if t, ok := contentTypes[path.Ext(name)]; ok {
			w.Header().Set("Content-Type", t)
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
}

// contentTypes are the types of the embedded files, whatever the host's
// MIME database says.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
}

// secure sets the UI's CSP unless one is set already (package api may set a
// stricter one on every response), and forbids MIME sniffing.
func secure(h http.Header) {
	if h.Get("Content-Security-Policy") == "" {
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
	}
	h.Set("X-Content-Type-Options", "nosniff")
}

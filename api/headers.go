package api

import (
	"net/http"
	"strings"
)

// contentSecurityPolicy is the CSP of every response. Scripts and styles come
// only from the agent itself ('self', the embedded files of package ui):
// no 'unsafe-inline', so an injected <script> or style attribute does
// nothing; the page cannot be framed (clickjacking), post forms or load
// plugins. styles are the hashes of inline <style> blocks allowed besides
// (the self-contained report page's, see report.StyleHash).
func contentSecurityPolicy(styles []string) string {
	styleSrc := strings.Join(append([]string{"'self'"}, styles...), " ")
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src " + styleSrc,
		"img-src 'self' data:",
		"connect-src 'self'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// secureHeaders sets the security headers on every response, before h runs
// (so that errors, 404s and 405s of the mux get them too).
func secureHeaders(h http.Handler, styles []string) http.Handler {
	csp := contentSecurityPolicy(styles)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY") // frame-ancestors for browsers without CSP 2
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

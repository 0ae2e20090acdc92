package server

import "net/http"

// contentSecurityPolicy lets the page load and connect to its own origin
// only. 'self' in connect-src covers the same-origin ws:// URL (CSP level 3;
// the real-browser tests open the websocket under it). style-src needs no
// 'unsafe-inline': the built app has no inline <style> or style attributes
// (Svelte and uPlot set styles through the CSSOM, which CSP allows). img-src
// allows data: for the empty favicon of index.html.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets, on every response this handler writes (the app,
// the API, errors, 404s, refused websockets), the headers that keep it from
// being framed, sniffed into another type, given a Referer or made to load
// foreign code.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

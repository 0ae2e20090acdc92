package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// tokenParam is the query parameter that carries the access token.
const tokenParam = "token"

// tokenGuard checks the access token of Config.Token.
//
// A client presents it in one of three ways: the cookie a browser gets on
// its first visit (HttpOnly, SameSite=Strict, Path=/), an
// "Authorization: Bearer <token>" header (scripts), or "?token=<token>"
// (the startup URL; websocket clients that cannot set headers). A page GET
// with a valid ?token= sets the cookie and redirects to the same URL without
// it, so the token does not linger in the address bar, the history or a
// Referer (through a page of ours when the link was on another site: see
// hop). Tokens are compared by their SHA-256 in constant time.
type tokenGuard struct {
	sum    [sha256.Size]byte
	cookie string // cookie name: one per port, so two connlabs on one host keep theirs
}

func newTokenGuard(token, addr string) *tokenGuard {
	if token == "" {
		return nil
	}
	name := "connlab_token"
	if _, port, err := net.SplitHostPort(addr); err == nil && port != "" {
		name += "_" + port
	}
	return &tokenGuard{sum: sha256.Sum256([]byte(token)), cookie: name}
}

func (g *tokenGuard) valid(tok string) bool {
	sum := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(sum[:], g.sum[:]) == 1
}

// presented reports whether r carries the valid token in its cookie, its
// Authorization header or its query.
func (g *tokenGuard) presented(r *http.Request) bool {
	if c, err := r.Cookie(g.cookie); err == nil && g.valid(c.Value) {
		return true
	}
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") && g.valid(strings.TrimSpace(tok)) {
		return true
	}
	return r.URL.Query().Has(tokenParam) && g.valid(r.URL.Query().Get(tokenParam))
}

// isPage reports whether r is a browser navigation to the app (not the API,
// not the websocket).
func isPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	return p != "/ws" && p != "/api" && !strings.HasPrefix(p, "/api/")
}

// checkToken lets through requests that present the token; /healthz needs
// none (it reveals only that connlab runs and its sampler). Without a
// configured token it does nothing.
func (s *Server) checkToken(next http.Handler) http.Handler {
	g := s.token
	if g == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		if isPage(r) && q.Has(tokenParam) {
			if !g.valid(q.Get(tokenParam)) {
				unauthorized(w, "the token in this URL is not this connlab's (a generated token changes at every start): open the URL connlab printed at startup")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: g.cookie, Value: q.Get(tokenParam), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			w.Header().Set("Cache-Control", "no-store")
			to := withoutToken(r.URL)
			if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
				hop(w, to)
				return
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if !g.presented(r) {
			unauthorized(w, "this connlab needs its access token: open the URL it printed at startup (http://HOST:PORT/?token=...), or send the header Authorization: Bearer TOKEN")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hop answers a token URL reached from another site (a link in a chat or a
// wiki) with a page that moves on to `to` itself. A browser does not send a
// SameSite=Strict cookie on the redirect that ends a navigation started on
// another site, so a 303 would land on a 401; a navigation started by this
// page is same-site and carries it. A refresh of 0 s replaces the history
// entry, as a redirect does; the link is for browsers that do not refresh.
func hop(w http.ResponseWriter, to string) {
	u := html.EscapeString(to)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=`+u+
		`"><title>connlab</title><p><a href="`+u+`">Continue to connlab</a></p>`)
}

// unauthorized answers 401 in the one JSON error format. JSON, not an HTML
// page, for the app's paths too: browsers show it as readable text, scripts
// can parse it, and every error of this server keeps one shape.
func unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="connlab"`)
	writeError(w, http.StatusUnauthorized, "unauthorized", message, tokenParam)
}

// withoutToken is u's path and query with every token parameter removed,
// the other parameters kept in their order. The path is made local ("/x",
// never "//host/x"), so the redirect cannot leave this server.
func withoutToken(u *url.URL) string {
	p := "/" + strings.TrimLeft(u.EscapedPath(), "/\\")
	var kept []string
	for _, part := range strings.Split(u.RawQuery, "&") {
		if part == "" {
			continue
		}
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil && k == tokenParam {
			continue
		}
		kept = append(kept, part)
	}
	if len(kept) == 0 {
		return p
	}
	return p + "?" + strings.Join(kept, "&")
}

package server

import (
	"net"
	"net/http"
	"strings"
)

// hostPolicy guards against DNS rebinding: a page on evil.example whose name
// resolves to 127.0.0.1 sends Host: evil.example, which is refused. When the
// server is bound to a non-loopback address the operator asked to be reached
// by other names, so every Host is accepted.
type hostPolicy struct {
	any     bool
	allowed map[string]bool
}

func newHostPolicy(addr string) hostPolicy {
	p := hostPolicy{allowed: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	if addr != "" && !IsLoopback(addr) {
		p.any = true
		return p
	}
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" {
		p.allowed[strings.ToLower(host)] = true
	}
	return p
}

// ok reports whether a request's Host header names this server.
func (p hostPolicy) ok(hostHeader string) bool {
	if p.any {
		return true
	}
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	return p.allowed[host] || strings.HasSuffix(host, ".localhost")
}

func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.ok(r.Host) {
			writeError(w, http.StatusForbidden, "forbidden_host",
				"Host "+quote(r.Host)+" is not this server; open connlab at http://localhost or bind a non-loopback -addr", "Host")
			return
		}
		next.ServeHTTP(w, r)
	})
}

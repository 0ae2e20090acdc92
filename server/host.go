package server

import (
	"net"
	"net/http"
	"strings"
)

// hostPolicy guards against DNS rebinding: a page on evil.example whose name
// resolves to this server sends Host: evil.example, which is refused.
//
//   - Bound to loopback: localhost names, the bound host and the -allow-host
//     names are accepted.
//   - Bound to a non-loopback address without -allow-host: the operator asked
//     to be reached by names connlab cannot know, so every Host is accepted
//     (the token still guards every request).
//   - Bound to a non-loopback address with -allow-host: those names,
//     localhost names and IP literals are accepted. An IP literal cannot be
//     a rebinding: the browser was pointed at the address itself.
type hostPolicy struct {
	any     bool
	anyIP   bool
	allowed map[string]bool
}

func newHostPolicy(addr string, allowHosts []string) hostPolicy {
	p := hostPolicy{allowed: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	for _, h := range allowHosts {
		p.allowed[normalHost(h)] = true
	}
	if addr != "" && !IsLoopback(addr) {
		if len(allowHosts) == 0 {
			p.any = true
		}
		p.anyIP = true
		return p
	}
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" {
		p.allowed[strings.ToLower(host)] = true
	}
	return p
}

// normalHost lowercases a Host header or name and drops its port and
// IPv6 brackets.
func normalHost(hostHeader string) string {
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// ok reports whether a request's Host header names this server.
func (p hostPolicy) ok(hostHeader string) bool {
	if p.any {
		return true
	}
	host := normalHost(hostHeader)
	if p.anyIP && net.ParseIP(host) != nil {
		return true
	}
	return p.allowed[host] || strings.HasSuffix(host, ".localhost")
}

func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.ok(r.Host) {
			hint := "open connlab at http://localhost or bind a non-loopback -addr"
			if !IsLoopback(s.cfg.Addr) {
				hint = "open connlab by its address or a name given with -allow-host"
			}
			writeError(w, http.StatusForbidden, "forbidden_host", "Host "+quote(r.Host)+" is not this server; "+hint, "Host")
			return
		}
		next.ServeHTTP(w, r)
	})
}

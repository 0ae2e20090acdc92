package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/connlab/connlab/internal/clip"
	"github.com/connlab/connlab/server"
)

// maxArgQuote is how many bytes of a command-line value an error repeats.
const maxArgQuote = 200

// access is how the dashboard is guarded.
type access struct {
	exposed   bool   // bound to a non-loopback address
	token     string // required of every request but /healthz; "" for none
	generated bool   // token made at this start (printed in full)
	from      string // where a given token came from: "-token" or "CONNLAB_TOKEN"
}

// decideAccess applies the rule: a loopback address needs no token unless
// one is given (-token or CONNLAB_TOKEN: other users of the host share its
// loopback); any other address requires one, generated when none is given.
func decideAccess(boundAddr string, o serveOptions) (access, error) {
	a := access{exposed: !server.IsLoopback(boundAddr), token: o.token, from: o.tokenFrom}
	if a.exposed && a.token == "" {
		tok, err := newToken()
		if err != nil {
			return a, err
		}
		a.token, a.generated = tok, true
	}
	return a, nil
}

// newToken is tokenBytes of crypto/rand, URL-safe base64 without padding.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate the access token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// checkToken accepts a given token that fits in a URL, a cookie and a
// header unchanged, and is not trivially short.
func checkToken(tok string) error {
	if len(tok) < minTokenLen || len(tok) > maxTokenLen {
		return fmt.Errorf("the token must be %d to %d characters, got %d", minTokenLen, maxTokenLen, len(tok))
	}
	for _, c := range tok {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return fmt.Errorf("the token may hold only A-Z a-z 0-9 - . _ ~, got %q", c)
		}
	}
	return nil
}

// allowHost validates an -allow-host value: a host name or address, an
// optional port dropped.
func allowHost(v string) (string, error) {
	if strings.ContainsAny(v, "/ \t*?#@") {
		return "", errors.New("want a host name such as dashboard.lan (no scheme, path or wildcard)")
	}
	h := v
	if host, _, err := net.SplitHostPort(v); err == nil {
		h = host
	}
	h = strings.ToLower(strings.Trim(h, "[]"))
	if h == "" || strings.ContainsAny(h, "/ \t*?#@") {
		return "", errors.New("want a host name such as dashboard.lan (no scheme, path or wildcard)")
	}
	return h, nil
}

// quoteArg quotes a command-line value for an error, cut to maxArgQuote bytes.
func quoteArg(s string) string { return clip.Quote(s, maxArgQuote) }

// clipArgs shortens the values another package's message quotes.
func clipArgs(msg string) string { return clip.Quotes(msg, maxArgQuote) }

// announce prints where the dashboard is and, when it is reachable from
// the network, a warning; it returns the URL to open in a local browser.
func announce(stdout, stderr io.Writer, addr string, a access, allowHosts []string) string {
	base := "http://" + addr
	fmt.Fprintf(stdout, "connlab listening on %s\n", base)
	if a.token == "" {
		return base
	}
	_, port, _ := net.SplitHostPort(addr)
	shown := "<the " + a.from + " value>"
	if a.generated {
		shown = a.token
	}
	fmt.Fprintln(stdout, "Open the dashboard with its access token:")
	hosts := urlHosts(addr, allowHosts)
	for _, h := range hosts {
		fmt.Fprintf(stdout, "    http://%s/?token=%s\n", net.JoinHostPort(h, port), shown)
	}
	if a.exposed {
		origin := "generated at this start; set a fixed one with -token or " + tokenEnv
		if !a.generated {
			origin = "from " + a.from
		}
		hostCheck := "Any Host header is accepted: add -allow-host NAME (repeatable) to keep the DNS-rebinding check on."
		if len(allowHosts) > 0 {
			hostCheck = "Host headers accepted: " + strings.Join(allowHosts, ", ") + ", localhost names and IP addresses."
		}
		fmt.Fprintf(stderr, "WARNING: connlab is reachable from the network on %s. Anyone who can reach this port and has the token "+
			"can watch this host's sockets and run Lab experiments here. Every request but /healthz needs the token (%s). %s\n",
			addr, origin, hostCheck)
	}
	return "http://" + net.JoinHostPort(hosts[len(hosts)-1], port) + "/?token=" + a.token // 127.0.0.1 for a wildcard: -open is local
}

// urlHosts are the names to print in the startup URLs: the bound host, or
// for a wildcard address the names a visitor can use (the -allow-host
// names, else this machine's hostname) and 127.0.0.1.
func urlHosts(addr string, allowHosts []string) []string {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsUnspecified() {
		return []string{host}
	}
	var out []string
	if len(allowHosts) > 0 {
		out = append(out, allowHosts...)
	} else if name, err := os.Hostname(); err == nil && name != "" {
		out = append(out, name)
	}
	return append(out, "127.0.0.1")
}

package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"run", "-h"}, {"run", "keepalive-default", "-h"}, {"presets", "-h"}} {
		var out, errOut syncBuffer
		if err := run(context.Background(), args, &out, &errOut); err != nil {
			t.Errorf("run %v = %v, want nil (exit 0)", args, err)
		}
		if !strings.Contains(errOut.String(), "Usage") && !strings.Contains(errOut.String(), "-json") {
			t.Errorf("run %v printed no usage: %q", args, errOut.String())
		}
	}
}

func TestUnknownPresetListsPresetsOnce(t *testing.T) {
	var out, errOut syncBuffer
	err := run(context.Background(), []string{"run", "nope"}, &out, &errOut)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("run nope = %v, want a usage error", err)
	}
	if n := strings.Count(err.Error(), "keepalive-default"); n != 1 {
		t.Fatalf("the unknown-preset message lists keepalive-default %d times: %s", n, err)
	}
	huge := strings.Repeat("x", 10_000)
	err = run(context.Background(), []string{"run", huge}, &out, &errOut)
	if err == nil || len(err.Error()) > 800 {
		t.Fatalf("run <10 KB name>: %d-byte message, want the name cut", len(err.Error()))
	}
}

func TestTokenAndHostFlags(t *testing.T) {
	t.Setenv(tokenEnv, "")
	// Cancelled: a value wrongly accepted starts serve, which returns nil at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, args := range map[string][]string{
		"short token":         {"-token", "abc"},
		"token with a space":  {"-token", "abcdefgh ijklmnopq"},
		"token with a quote":  {"-token", `abcdefghijklmnop"q`},
		"allow-host scheme":   {"-allow-host", "http://dash.lan"},
		"allow-host wildcard": {"-allow-host", "*.lan"},
		"allow-host empty":    {"-allow-host", ""},
	} {
		var out, errOut syncBuffer
		err := run(ctx, append(args, "-addr", "127.0.0.1:0"), &out, &errOut)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: run = %v, want a usage error", name, err)
		}
	}
	t.Setenv(tokenEnv, "short")
	var out, errOut syncBuffer
	if err := run(ctx, []string{"-addr", "127.0.0.1:0"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), tokenEnv) {
		t.Errorf("a bad %s: %v, want a usage error naming it", tokenEnv, err)
	}
	o, err := parseServeFlags([]string{"-allow-host", "Dash.LAN:9000", "-allow-host", "[fe80::1]", "-token", "0123456789abcdef"}, io.Discard)
	if err != nil || strings.Join(o.allowHosts, ",") != "dash.lan,fe80::1" || o.token != "0123456789abcdef" || o.tokenFrom != "-token" {
		t.Errorf("parse = %+v, %v", o, err)
	}
}

func TestDecideAccess(t *testing.T) {
	a, err := decideAccess("127.0.0.1:9000", serveOptions{})
	if err != nil || a.token != "" || a.exposed {
		t.Errorf("loopback without a token: %+v %v, want no token", a, err)
	}
	a, _ = decideAccess("127.0.0.1:9000", serveOptions{token: "given-token-0123456789", tokenFrom: "-token"})
	if a.token != "given-token-0123456789" || a.generated {
		t.Errorf("loopback with -token: %+v, want the given token required", a)
	}
	a, _ = decideAccess("0.0.0.0:9000", serveOptions{})
	raw, err := base64.RawURLEncoding.DecodeString(a.token)
	if !a.exposed || !a.generated || err != nil || len(raw)*8 < 128 {
		t.Errorf("exposed without a token: %+v, want a generated URL-safe token of at least 128 bits", a)
	}
	b, _ := decideAccess("0.0.0.0:9000", serveOptions{})
	if a.token == b.token {
		t.Error("two starts generated the same token")
	}
	a, _ = decideAccess("[::]:9000", serveOptions{token: "from-env-0123456789", tokenFrom: tokenEnv})
	if a.token != "from-env-0123456789" || a.generated {
		t.Errorf("exposed with %s: %+v", tokenEnv, a)
	}
}

func TestAnnounce(t *testing.T) {
	var out, errOut syncBuffer
	url := announce(&out, &errOut, "127.0.0.1:9000", access{}, nil)
	if out.String() != "connlab listening on http://127.0.0.1:9000\n" || errOut.String() != "" || url != "http://127.0.0.1:9000" {
		t.Errorf("loopback: stdout %q stderr %q url %q: want the one line as before", out.String(), errOut.String(), url)
	}

	out, errOut = syncBuffer{}, syncBuffer{}
	tok := "Gen3rated_Token-abcdefghijklmnop"
	url = announce(&out, &errOut, "0.0.0.0:9000", access{exposed: true, token: tok, generated: true}, nil)
	if !strings.Contains(out.String(), "connlab listening on http://0.0.0.0:9000\n") ||
		!strings.Contains(out.String(), "http://127.0.0.1:9000/?token="+tok+"\n") {
		t.Errorf("exposed stdout:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "WARNING") || !strings.Contains(errOut.String(), "Any Host header is accepted") ||
		!strings.Contains(errOut.String(), "-allow-host") || !strings.Contains(errOut.String(), "-token or "+tokenEnv) {
		t.Errorf("exposed warning:\n%s", errOut.String())
	}
	if url != "http://127.0.0.1:9000/?token="+tok {
		t.Errorf("URL to open %q, want the local one with the token", url)
	}

	out, errOut = syncBuffer{}, syncBuffer{}
	announce(&out, &errOut, "0.0.0.0:9000", access{exposed: true, token: "secret-from-env-123", from: tokenEnv}, []string{"dash.lan"})
	if strings.Contains(out.String()+errOut.String(), "secret-from-env-123") {
		t.Errorf("a token given in %s was printed:\n%s%s", tokenEnv, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "http://dash.lan:9000/?token=<the "+tokenEnv+" value>") ||
		!strings.Contains(errOut.String(), "Host headers accepted: dash.lan") {
		t.Errorf("exposed with -allow-host and a given token:\n%s%s", out.String(), errOut.String())
	}

	out, errOut = syncBuffer{}, syncBuffer{}
	announce(&out, &errOut, "192.168.1.5:9000", access{exposed: true, token: tok, generated: true}, nil)
	if !strings.Contains(out.String(), "http://192.168.1.5:9000/?token="+tok) || strings.Contains(out.String(), "127.0.0.1") {
		t.Errorf("a specific address prints that address:\n%s", out.String())
	}
}

var tokenLineRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/\?token=`)

// TestServeWithToken runs the real serve on loopback with -token: the token
// is required, /healthz is not guarded, and the server's limits apply.
func TestServeWithToken(t *testing.T) {
	t.Setenv(tokenEnv, "")
	const tok = "serve-test-token-0123456789"
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-token", tok}, &out, &errOut) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(shutdownTimeout + 3*time.Second):
			t.Error("serve did not stop")
		}
	}()
	var base string
	eventually(t, "the listening line", func() bool {
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil && tokenLineRE.MatchString(out.String()) {
			base = m[1]
			return true
		}
		return false
	})
	if strings.Contains(out.String(), tok) {
		t.Errorf("the -token value was printed:\n%s", out.String())
	}
	client := &http.Client{Timeout: 5 * time.Second}
	status := func(path string, header http.Header) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		// net/http answers 431 itself, before any handler: no headers of ours.
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge && resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: no X-Frame-Options", path)
		}
		return resp.StatusCode
	}
	if s := status("/api/ports", nil); s != 401 {
		t.Errorf("no token: %d, want 401", s)
	}
	if s := status("/api/ports", http.Header{"Authorization": {"Bearer " + tok}}); s != 200 {
		t.Errorf("bearer: %d, want 200", s)
	}
	if s := status("/healthz", nil); s != 200 {
		t.Errorf("/healthz: %d, want 200", s)
	}
	if s := status("/healthz", http.Header{"X-Big": {strings.Repeat("h", 32<<10)}}); s != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("32 KB of headers: %d, want 431 (MaxHeaderBytes %d)", s, maxHeaderBytes)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling step
	}
}

func TestConnCaps(t *testing.T) {
	for _, c := range []struct {
		limit        uint64
		http, socket int
	}{
		{0, maxHTTPConns, maxWebsockets},
		{1 << 20, maxHTTPConns, maxWebsockets},
		{20000, 4096, 128},
		{1024, 512, 128},
		{256, 128, 32},
		{20, minConnCap, minConnCap},
	} {
		h, w := connCaps(c.limit)
		if h != c.http || w != c.socket {
			t.Errorf("connCaps(%d) = %d, %d, want %d, %d", c.limit, h, w, c.http, c.socket)
		}
	}
}

package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/connlab/connlab/server"
)

func get(t *testing.T, e *env, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestSPA(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		path, wantBody, wantCache string
		status                    int
	}{
		{"/", "<title>connlab</title>", "no-cache", 200},
		{"/watch/8081", "<title>connlab</title>", "no-cache", 200}, // deep link -> index.html
		{"/lab", "<title>connlab</title>", "no-cache", 200},
		{"/assets/index-Ab12Cd.js", "console.log", "public, max-age=31536000, immutable", 200},
		{"/assets/index-Ef34Gh.css", "body{}", "public, max-age=31536000, immutable", 200},
		{"/robots.txt", "User-agent", "no-cache", 200},
		{"/assets/index-missing.js", "404", "", 404}, // never index.html for a missing script
		{"/assets/app.css", "404", "", 404},
		{"/assets/", "<title>connlab</title>", "no-cache", 200}, // a directory is not a file
	}
	for _, c := range cases {
		resp, body := get(t, e, c.path, nil)
		if resp.StatusCode != c.status || !strings.Contains(body, c.wantBody) {
			t.Errorf("GET %s = %d %q, want %d containing %q", c.path, resp.StatusCode, body, c.status, c.wantBody)
		}
		if c.wantCache != "" && resp.Header.Get("Cache-Control") != c.wantCache {
			t.Errorf("GET %s Cache-Control = %q, want %q", c.path, resp.Header.Get("Cache-Control"), c.wantCache)
		}
	}
	if resp, _ := get(t, e, "/assets/index-Ab12Cd.js", nil); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("js Content-Type = %q", resp.Header.Get("Content-Type"))
	}
}

func TestHostCheck(t *testing.T) {
	e := newEnv(t)
	for _, host := range []string{"evil.example", "evil.example:80", "127.0.0.2", "localhost.evil.example"} {
		resp, body := get(t, e, "/api/ports", map[string]string{"Host": host})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"forbidden_host"`) {
			t.Errorf("Host %s: %d %s, want 403 forbidden_host", host, resp.StatusCode, body)
		}
	}
	// The SPA is guarded too: a rebinding page must not even load.
	if resp, _ := get(t, e, "/", map[string]string{"Host": "evil.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("SPA with foreign Host: %d", resp.StatusCode)
	}
	for _, host := range []string{"localhost", "localhost:9000", "127.0.0.1", "[::1]:9000", "app.localhost"} {
		if resp, _ := get(t, e, "/api/ports", map[string]string{"Host": host}); resp.StatusCode != http.StatusOK {
			t.Errorf("Host %s: %d, want 200", host, resp.StatusCode)
		}
	}
}

func TestHostCheckOffWhenBoundToNonLoopback(t *testing.T) {
	// An operator who binds -addr 0.0.0.0:9000 wants to be reached by any name.
	e := newEnv(t, func(c *server.Config) { c.Addr = "0.0.0.0:9000" })
	if resp, _ := get(t, e, "/api/ports", map[string]string{"Host": "dashboard.lan"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("non-loopback bind, Host dashboard.lan: %d", resp.StatusCode)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9000": true, "localhost:9000": true, "[::1]:9000": true, "127.1.2.3:1": true,
		"0.0.0.0:9000": false, ":9000": false, "192.168.1.2:9000": false, "[::]:9000": false, "bad": false,
	} {
		if got := server.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

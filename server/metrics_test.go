package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/connlab/connlab/server"
)

// TestMetricsRoute: GET /metrics reaches Config.Metrics (whatever content
// type it answers with) behind the API's Host check; without it /metrics
// is the single-page app's, as any unknown path.
func TestMetricsRoute(t *testing.T) {
	const exposition = "# TYPE connlab_test gauge\nconnlab_test 1\n"
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(exposition))
	})
	e := newEnv(t, func(c *server.Config) { c.Metrics = metrics })
	resp, body := get(t, e, "/metrics", nil)
	if resp.StatusCode != http.StatusOK || body != exposition || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, body = get(t, e, "/metrics", map[string]string{"Host": "evil.example"})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"forbidden_host"`) {
		t.Fatalf("GET /metrics with a foreign Host: %d %s, want 403 forbidden_host", resp.StatusCode, body)
	}

	plain := newEnv(t)
	if resp, body := get(t, plain, "/metrics", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<title>connlab</title>") {
		t.Fatalf("GET /metrics without Config.Metrics: %d %q, want the app", resp.StatusCode, body)
	}
}

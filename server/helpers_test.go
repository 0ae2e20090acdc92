package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/server"
)

// testPollInterval keeps tests quick; the minimum the flag allows.
const testPollInterval = 50 * time.Millisecond

// env is a real connlab stack (kernel sampler, monitor, hub, server) behind
// an httptest server on 127.0.0.1:0.
type env struct {
	t   testing.TB
	ts  *httptest.Server
	mon *monitor.Monitor
	hub *hub.Hub
	url string
}

var testAssets = fstest.MapFS{
	"index.html":              {Data: []byte("<!doctype html><title>connlab</title>")},
	"assets/index-Ab12Cd.js":  {Data: []byte("console.log('app')")},
	"assets/index-Ef34Gh.css": {Data: []byte("body{}")},
	"robots.txt":              {Data: []byte("User-agent: *")},
}

func newEnv(t testing.TB, mutate ...func(*server.Config)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sampler, err := sockstat.New(log, "auto")
	if err != nil {
		t.Fatalf("sampler: %v", err)
	}
	h := hub.New(log)
	mon := monitor.New(sampler, h, monitor.Options{Interval: testPollInterval}, log)
	lab := lab.NewManager(mon, h, log, lab.ManagerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = mon.Run(ctx) }() // stopped by cancel in Cleanup

	cfg := server.Config{
		Assets: testAssets, Monitor: mon, Hub: h, Experiments: lab, Version: "test", Log: log,
		System: func() wire.System { return wire.System{Source: sampler.Source(), Knobs: map[string]string{}} },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	ts := httptest.NewUnstartedServer(nil)
	if cfg.Addr == "" {
		cfg.Addr = ts.Listener.Addr().String()
	}
	ts.Config.Handler = server.New(cfg)
	ts.Start()
	t.Cleanup(func() {
		h.Close() // ends websockets, as main does on shutdown
		ts.Close()
		lab.Close()
		cancel()
		wg.Wait()
		_ = sampler.Close()
	})
	return &env{t: t, ts: ts, mon: mon, hub: h, url: ts.URL}
}

// do sends a request and decodes a JSON answer into out (when non-nil).
func (e *env) do(method, path, contentType, body string, out any) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // polling step, not a wait for an outcome
	}
}

// listen opens a real listener on a kernel-picked loopback port that accepts
// and holds connections until the test ends.
func listen(t testing.TB) (port uint16, accepted <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 64)
	done := make(chan struct{})
	go func() { // stopped by ln.Close in Cleanup
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ch <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(ch)
		for c := range ch {
			c.Close()
		}
	})
	return uint16(ln.Addr().(*net.TCPAddr).Port), ch
}

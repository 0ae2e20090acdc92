package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/connlab/connlab/internal/app"
	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/server"
)

// testPollInterval keeps tests quick; the minimum the flag allows.
const testPollInterval = 50 * time.Millisecond

// env is a real connlab stack (kernel sampler, monitor, hub, Lab, built by
// the composition root) serving the server on 127.0.0.1:0.
type env struct {
	t      testing.TB
	mon    *monitor.Monitor
	hub    *hub.Hub
	url    string
	client *http.Client
	server *server.Server
}

var testAssets = fstest.MapFS{
	"index.html":              {Data: []byte("<!doctype html><title>connlab</title>")},
	"assets/index-Ab12Cd.js":  {Data: []byte("console.log('app')")},
	"assets/index-Ef34Gh.css": {Data: []byte("body{}")},
	"robots.txt":              {Data: []byte("User-agent: *")},
}

func newEnv(t testing.TB, mutate ...func(*server.Config)) *env {
	t.Helper()
	return newEnvApp(t, app.Config{}, mutate...)
}

// newEnvApp is newEnv with app options (its Log and Interval are set here).
func newEnvApp(t testing.TB, acfg app.Config, mutate ...func(*server.Config)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	acfg.Log, acfg.Interval = log, testPollInterval
	a, err := app.New(acfg)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	cfg := server.Config{
		Addr: ln.Addr().String(), Assets: testAssets, Monitor: a.Monitor, Hub: a.Hub, Experiments: a.Lab, Version: "test", Log: log,
		System: func() wire.System { return wire.System{Source: a.Sampler.Source(), Knobs: map[string]string{}} },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	handler := server.New(cfg)
	a.Serve(&http.Server{Handler: handler, ReadHeaderTimeout: time.Minute}, ln, handler)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }() // stopped by cancel in Cleanup
	transport := &http.Transport{}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		cancel() // shuts down in the app's order: the Lab, the hub (ends websockets), the server, its websocket handlers
		if err := <-done; err != nil {
			t.Errorf("app.Run: %v", err)
		}
	})
	return &env{t: t, mon: a.Monitor, hub: a.Hub, url: "http://" + ln.Addr().String(), client: &http.Client{Transport: transport}, server: handler}
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
	resp, err := e.client.Do(req)
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
// waitLong bounds the waits on the kernel and the poll loop: generous, for a
// 2-core machine running other suites at once (5 s was seen to run out with
// the load average above 10), and still far under go test's -timeout.
const waitLong = 30 * time.Second

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
	// held keeps every accepted conn reachable until Cleanup: a test that
	// takes one from the channel and drops it would otherwise have it
	// closed by the garbage collector's finalizer at any time (seen under
	// -race: the server side in FIN_WAIT2 while the test waited for
	// ESTABLISHED).
	var held []net.Conn
	go func() { // stopped by ln.Close in Cleanup
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			ch <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done // held is the accept goroutine's until it ends
		for _, c := range held {
			c.Close()
		}
	})
	return uint16(ln.Addr().(*net.TCPAddr).Port), ch
}

package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is an HTTP server and its Handlers that note, when the app
// calls them, the state of the parts that must already be down.
type recorder struct {
	*http.Server
	a *App

	mu    sync.Mutex
	steps []string
}

func (r *recorder) note(step string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, step)
}

func (r *recorder) Shutdown(ctx context.Context) error {
	if _, err := r.a.Lab.Start(context.Background(), experiment.Default()); errors.Is(err, lab.ErrClosed) {
		r.note("lab closed")
	}
	select {
	case <-r.a.Hub.Subscribe(2).Done(): // a subscriber born after Close is born dropped
		r.note("hub closed")
	default:
	}
	r.note("shutdown")
	return r.Server.Shutdown(ctx)
}

func (r *recorder) Wait() { r.note("handlers") }

// TestShutdownOrder: Run stops the Lab, closes the hub, shuts the HTTP
// server down, then waits for its handlers; the HTTP server answered while
// the app ran; every goroutine is joined (goleak in TestMain).
func TestShutdownOrder(t *testing.T) {
	a, err := New(Config{Interval: 50 * time.Millisecond, OwnersEvery: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{a: a, Server: &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("up")) }),
		ReadHeaderTimeout: time.Second,
	}}
	a.Serve(rec, ln, rec)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }() // stopped by cancel below

	if err := a.Monitor.Add(uint16(ln.Addr().(*net.TCPAddr).Port)); err != nil {
		t.Fatal(err)
	}
	tp := &http.Transport{}
	resp, err := (&http.Client{Transport: tp, Timeout: 10 * time.Second}).Get("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tp.CloseIdleConnections()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	rec.mu.Lock()
	got := strings.Join(rec.steps, ", ")
	rec.mu.Unlock()
	if want := "lab closed, hub closed, shutdown, handlers"; got != want {
		t.Fatalf("shutdown steps: %s; want %s", got, want)
	}
	if err := a.Run(context.Background()); err == nil {
		t.Fatal("a second Run was accepted")
	}
}

// TestServeFailure: a failing HTTP server ends Run with its error, after
// the same orderly shutdown.
func TestServeFailure(t *testing.T) {
	a, err := New(Config{Interval: 50 * time.Millisecond, Headless: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close() // Serve fails at once
	a.Serve(&http.Server{ReadHeaderTimeout: time.Second}, ln, nil)
	errc := make(chan error, 1)
	go func() { errc <- a.Run(context.Background()) }() // ends on its own: Serve fails
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "serve http") {
			t.Fatalf("Run = %v, want the serve error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after Serve failed")
	}
	if _, err := a.Lab.Start(context.Background(), experiment.Default()); !errors.Is(err, lab.ErrClosed) {
		t.Fatalf("Lab after Run: %v, want ErrClosed", err)
	}
}

// TestCloseWithoutRun releases what New took.
func TestCloseWithoutRun(t *testing.T) {
	a, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close() // idempotent
	if _, err := a.Lab.Start(context.Background(), experiment.Default()); !errors.Is(err, lab.ErrClosed) {
		t.Fatalf("Lab after Close: %v, want ErrClosed", err)
	}
	if err := a.Run(context.Background()); err == nil {
		t.Fatal("Run after Close was accepted")
	}
}

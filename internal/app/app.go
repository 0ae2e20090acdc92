// Package app is connlab's composition root: it builds the socket sampler,
// the hub, the kernel monitor, the background owner pass and the Lab
// manager, each with its owner; Run runs their goroutines, and the HTTP
// server's when one is given, and shuts everything down in one explicit
// order. The dashboard (`connlab`), `connlab run`, the benchmarks
// (cmd/loadbench) and the tests of package lab and package server all
// build connlab through it, so they run the same wiring.
//
// It knows the HTTP server only through the HTTP and Handlers interfaces
// (nothing in internal/ imports package server).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/sockstat"
)

// DefaultShutdownTimeout bounds the HTTP server's graceful shutdown when
// Config.ShutdownTimeout is zero.
const DefaultShutdownTimeout = 2 * time.Second

// Config says what to build; the zero value is a headful app with the
// defaults of every part.
type Config struct {
	// Log receives every part's logs; nil discards them.
	Log *slog.Logger
	// Sampler is the socket source: sockstat.ModeAuto (also for ""),
	// ModeNetlink or ModeGopsutil.
	Sampler string
	// Interval and History tune the monitor (monitor.Options).
	Interval time.Duration
	History  time.Duration
	// PortRange is the number of ephemeral ports, for the flow figures'
	// exhaustion forecast (monitor.Options); 0: unknown.
	PortRange int
	// OnPoll, when not nil, is told how long each poll took and whether it
	// failed (monitor.Options.OnPoll: the metrics' poll counters).
	OnPoll func(took time.Duration, err error)
	// Events, when not nil, delivers kernel transitions to the monitor
	// (monitor.Options.Events). The app owns it from New on: Run closes it
	// once the monitor has stopped (Close, or New itself on failure, too).
	Events Events
	// OwnersEvery is the period of the background pass that names socket
	// owners (pid and process); zero runs no pass.
	OwnersEvery time.Duration
	// Lab tunes the Lab manager.
	Lab lab.ManagerOptions
	// Headless: the Lab publishes no events (nobody can subscribe, as in
	// `connlab run`).
	Headless bool
	// ShutdownTimeout bounds the HTTP server's graceful Shutdown before it
	// is closed: DefaultShutdownTimeout when zero.
	ShutdownTimeout time.Duration
}

// Events is a kernel transition source (main's eBPF adapter): what the
// monitor consumes, and a Close.
type Events interface {
	monitor.Events
	io.Closer
}

// HTTP is the dashboard's HTTP server as the app runs and stops it
// (*http.Server satisfies it).
type HTTP interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
	Close() error
}

// Handlers are the server's long-lived handlers that http.Server.Shutdown
// does not wait for (websockets: hijacked connections). Wait returns once
// every one has returned, and refuses new ones from then on.
type Handlers interface {
	Wait()
}

// App is connlab, wired. Its parts are exported for the code that serves
// or drives them; App owns their lifetimes.
type App struct {
	Sampler sockstat.Sampler
	Hub     *hub.Hub
	Monitor *monitor.Monitor
	// Owners is nil when Config.OwnersEvery is zero.
	Owners *sockstat.Owners
	Lab    *lab.Manager

	events   Events // nil: the monitor counts from polls
	log      *slog.Logger
	shutWait time.Duration
	web      *web
	ran      atomic.Bool
}

// web is the HTTP server Run serves.
type web struct {
	srv      HTTP
	ln       net.Listener
	handlers Handlers
}

// New builds every part; nothing runs until Run. When Run is not called,
// Close releases what New took.
func New(cfg Config) (*App, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mode := cfg.Sampler
	if mode == "" {
		mode = sockstat.ModeAuto
	}
	s, err := sockstat.New(log, mode)
	if err != nil {
		if cfg.Events != nil {
			_ = cfg.Events.Close()
		}
		return nil, fmt.Errorf("start the socket sampler: %w", err)
	}
	a := &App{Sampler: s, Hub: hub.New(log), events: cfg.Events, log: log, shutWait: cfg.ShutdownTimeout}
	if a.shutWait <= 0 {
		a.shutWait = DefaultShutdownTimeout
	}
	opts := monitor.Options{Interval: cfg.Interval, History: cfg.History, PortRange: cfg.PortRange, OnPoll: cfg.OnPoll}
	if cfg.Events != nil {
		opts.Events = cfg.Events // only when set: a nil Events is not a nil interface
	}
	if cfg.OwnersEvery > 0 {
		a.Owners = sockstat.NewOwners(log, cfg.OwnersEvery)
		opts.Owners = a.Owners // only when set: a nil *Owners is not a nil interface
	}
	a.Monitor = monitor.New(s, a.Hub, opts, log)
	var pub lab.Publisher
	if !cfg.Headless {
		pub = a.Hub
	}
	a.Lab = lab.NewManager(a.Monitor, pub, log, cfg.Lab)
	return a, nil
}

// Serve has Run serve srv on ln, and wait for handlers (which may be nil)
// once srv has shut down. Call it before Run.
func (a *App) Serve(srv HTTP, ln net.Listener, handlers Handlers) {
	a.web = &web{srv: srv, ln: ln, handlers: handlers}
}

// Run runs the monitor, the owner pass and the HTTP server (when Serve was
// called) until ctx is done or one of them fails. Then it shuts down, in
// this order, and returns once every goroutine it started has ended:
//
//  1. stop the Lab: every experiment is stopped and waited for, its kernel
//     hold released, its final update published;
//  2. close the hub: every subscriber is dropped, so each websocket's write
//     pump sends a close frame and its handler returns;
//  3. shut the HTTP server down: Shutdown within ShutdownTimeout (it closes
//     the listener and waits for the requests in flight), then Close;
//  4. wait for the websocket handlers (Handlers.Wait);
//  5. stop the monitor and the owner pass, and wait for them;
//  6. close the kernel transition source (Config.Events) and the sampler.
//
// It returns the first failure (nil when ctx ended it). Run once.
func (a *App) Run(ctx context.Context) error {
	if !a.ran.CompareAndSwap(false, true) {
		return errors.New("app: Run called twice")
	}
	bg, stopBG := context.WithCancel(context.Background()) // the monitor and the owner pass: stopped last
	defer stopBG()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	// Each goroutine below is stopped by stopBG (monitor, owners) or by the
	// HTTP server's Shutdown/Close, and waited for by wg before Run returns.
	wg.Go(func() {
		if err := a.Monitor.Run(bg); err != nil {
			errc <- fmt.Errorf("monitor: %w", err)
		}
	})
	if a.Owners != nil {
		wg.Go(func() {
			if err := a.Owners.Run(bg); err != nil {
				errc <- fmt.Errorf("owner pass: %w", err)
			}
		})
	}
	var served sync.WaitGroup
	if a.web != nil {
		served.Go(func() {
			if err := a.web.srv.Serve(a.web.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("serve http: %w", err)
			}
		})
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		a.log.Error("connlab is stopping", "err", runErr)
	}

	a.Lab.Close() // 1
	a.Hub.Close() // 2
	if a.web != nil {
		sctx, cancel := context.WithTimeout(context.Background(), a.shutWait)
		if err := a.web.srv.Shutdown(sctx); err != nil { // 3
			_ = a.web.srv.Close()
		}
		cancel()
		served.Wait()
		if a.web.handlers != nil {
			a.web.handlers.Wait() // 4
		}
	}
	stopBG() // 5
	wg.Wait()
	a.closeEvents() // 6
	if err := a.Sampler.Close(); err != nil {
		a.log.Warn("close the socket sampler", "err", err)
	}
	return runErr
}

// Close releases an App whose Run was never called (the Lab, the hub, the
// sampler). After Run it does nothing: Run releases everything itself.
func (a *App) Close() {
	if !a.ran.CompareAndSwap(false, true) {
		return
	}
	a.Lab.Close()
	a.Hub.Close()
	a.closeEvents()
	_ = a.Sampler.Close()
}

func (a *App) closeEvents() {
	if a.events == nil {
		return
	}
	if err := a.events.Close(); err != nil {
		a.log.Warn("close the kernel transition source", "err", err)
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/connlab/connlab/internal/app"
	"github.com/connlab/connlab/internal/connlimit"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/metrics"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/sysinfo"
	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/server"
)

// Flag defaults and limits.
const (
	defaultAddr     = "127.0.0.1:9000"
	defaultInterval = 250 * time.Millisecond
	minInterval     = 50 * time.Millisecond
	maxInterval     = 10 * time.Second
	defaultHistory  = 15 * time.Minute
	minHistory      = 10 * time.Second
	maxHistory      = 24 * time.Hour
	maxHistoryRows  = 200_000         // ring rows per port, whatever history/interval says
	maxWatchFlag    = 64              // ports in -watch, as the API's limit
	shutdownTimeout = 2 * time.Second // SIGINT/SIGTERM to exit
	ownersEvery     = 5 * time.Second // background pid -> process name pass
	defaultLabMB    = lab.DefaultFinishedBytes >> 20
	maxLabMB        = 16 << 10        // -lab-memory: 16 GB
	tokenEnv        = "CONNLAB_TOKEN" // environment variable holding the access token
	tokenBytes      = 24              // random bytes of a generated token (192 bits, 32 URL-safe characters)
	minTokenLen     = 16              // characters of a token given with -token or CONNLAB_TOKEN, at least
	maxTokenLen     = 256             // and at most
)

// Limits of the dashboard's HTTP server. A websocket is exempt from the
// timeouts once upgraded (gorilla clears the deadlines at the upgrade and
// sets its own; a hijacked connection is not the server's to idle out).
const (
	readHeaderWait = 5 * time.Second  // request line and headers (slow-loris guard)
	readWait       = 30 * time.Second // a whole request, body included (bodies are at most 64 KB)
	writeWait      = 60 * time.Second // writing one response (a client that stops reading is let go)
	idleWait       = 2 * time.Minute  // a keep-alive connection without a request is closed
	maxHeaderBytes = 16 << 10         // request line and headers
	maxHTTPConns   = 4096             // HTTP connections held at once; at the cap the longest idle one makes room
	maxWebsockets  = 128              // websocket sessions at once; past it an upgrade gets 503
	fdShareHTTP    = 2                // HTTP connections take at most 1/2 of the open-file limit...
	fdShareWS      = 8                // ...websockets at most 1/8 (the rest: Lab experiments, netlink, files)
	minConnCap     = 16               // floor of either cap, however low the limit
)

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

type serveOptions struct {
	addr       string
	watch      []uint16
	interval   time.Duration
	history    time.Duration
	sampler    string
	events     string // -transitions: "auto" or "polls"
	open       bool
	version    bool
	token      string // from -token or CONNLAB_TOKEN; "" for none given
	tokenFrom  string // "-token" or "CONNLAB_TOKEN"
	allowHosts []string
	labMB      int    // memory budget of the ended Lab runs kept, in MB
	state      string // -state: the state directory ("" keeps nothing)
	stateSet   bool   // -state was given
}

func parseServeFlags(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	var watch string
	var hosts stringList
	fs := flag.NewFlagSet("connlab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", defaultAddr, "address to serve the dashboard on (host:port); a non-loopback address requires the access token (see -token)")
	fs.StringVar(&o.token, "token", "", "access token every request but /healthz must present (default $"+tokenEnv+"; generated and printed when -addr is not loopback); 16-256 characters of A-Z a-z 0-9 - . _ ~")
	fs.Var(&hosts, "allow-host", "a Host name the dashboard answers to besides localhost names (repeatable); with a non-loopback -addr it keeps the DNS-rebinding check on")
	fs.StringVar(&watch, "watch", "", "ports to watch from the start, comma-separated (e.g. 8081,5432)")
	fs.DurationVar(&o.interval, "interval", defaultInterval, "kernel poll interval (min 50ms)")
	fs.DurationVar(&o.history, "history", defaultHistory, "timeline kept per port")
	fs.StringVar(&o.sampler, "sampler", "auto", "socket source: auto, netlink or gopsutil")
	fs.StringVar(&o.events, "transitions", "auto", "where Watch learns opens and closes: auto (kernel eBPF events when privileged, else polls) or polls")
	fs.BoolVar(&o.open, "open", false, "open the dashboard in the default browser")
	fs.IntVar(&o.labMB, "lab-memory", defaultLabMB, "MB kept for ended Lab runs, all together (the oldest are forgotten first)")
	fs.StringVar(&o.state, "state", defaultStateDir(), `directory keeping saved Lab runs (runs/, the newest 100 and 256 MB) and the ports watched from the page (ports.json); "" keeps nothing`)
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage:\n  connlab [flags]\n  connlab run PRESET [-set key=value ...] [-json] [-o FILE]\n  connlab show FILE [-json]\n  connlab presets\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return o, &usageError{fmt.Sprintf("unexpected argument %s (commands: run, show, presets; see -h)", quoteArg(fs.Arg(0)))}
	}
	fs.Visit(func(f *flag.Flag) { o.stateSet = o.stateSet || f.Name == "state" })
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return o, &usageError{fmt.Sprintf("-addr %s: want host:port, e.g. 127.0.0.1:9000", quoteArg(o.addr))}
	}
	o.tokenFrom = "-token"
	if o.token == "" {
		o.token, o.tokenFrom = os.Getenv(tokenEnv), tokenEnv
	}
	if o.token != "" {
		if err := checkToken(o.token); err != nil {
			return o, &usageError{o.tokenFrom + ": " + err.Error()}
		}
	}
	for _, h := range hosts {
		name, err := allowHost(h)
		if err != nil {
			return o, &usageError{"-allow-host " + quoteArg(h) + ": " + err.Error()}
		}
		o.allowHosts = append(o.allowHosts, name)
	}
	if err := checkPollFlags(o.interval, o.sampler); err != nil {
		return o, err
	}
	if o.events != "auto" && o.events != "polls" {
		return o, &usageError{fmt.Sprintf("-transitions %s: want auto or polls", quoteArg(o.events))}
	}
	if o.history < minHistory || o.history > maxHistory {
		return o, &usageError{fmt.Sprintf("-history %s: must be between %s and %s", o.history, minHistory, maxHistory)}
	}
	if o.history/o.interval > maxHistoryRows {
		return o, &usageError{fmt.Sprintf("-history %s at -interval %s keeps %d rows per port; the limit is %d", o.history, o.interval, o.history/o.interval, maxHistoryRows)}
	}
	if o.labMB < 1 || o.labMB > maxLabMB {
		return o, &usageError{fmt.Sprintf("-lab-memory %d: must be between 1 and %d (MB)", o.labMB, maxLabMB)}
	}
	ports, err := parsePortList(watch)
	if err != nil {
		return o, &usageError{"-watch: " + err.Error()}
	}
	o.watch = ports
	return o, nil
}

// checkPollFlags validates the -interval and -sampler flags that serve and
// run share.
func checkPollFlags(interval time.Duration, sampler string) error {
	if interval < minInterval || interval > maxInterval {
		return &usageError{fmt.Sprintf("-interval %s: must be between %s and %s", interval, minInterval, maxInterval)}
	}
	switch sampler {
	case "auto", "netlink", "gopsutil":
		return nil
	}
	return &usageError{fmt.Sprintf("-sampler %s: want auto, netlink or gopsutil", quoteArg(sampler))}
}

// parsePortList parses "8081,5432" (spaces allowed, duplicates folded).
func parsePortList(s string) ([]uint16, error) {
	var out []uint16
	seen := map[uint16]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%s is not a port (1-65535)", quoteArg(f))
		}
		if !seen[uint16(n)] {
			seen[uint16(n)] = true
			out = append(out, uint16(n))
		}
	}
	if len(out) > maxWatchFlag {
		return nil, fmt.Errorf("%d ports given; at most %d can be watched", len(out), maxWatchFlag)
	}
	return out, nil
}

// serve runs the dashboard until ctx is cancelled.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseServeFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.version {
		fmt.Fprintf(stdout, "connlab %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	fileLimit, err := connlimit.RaiseFileLimit()
	if err != nil {
		log.Warn("open-file limit", "err", err)
	}
	httpCap, wsCap := connCaps(fileLimit)
	log.Info("connection caps", "openFileLimit", fileLimit, "httpConns", httpCap, "websockets", wsCap)

	tcpLn, err := net.Listen("tcp", o.addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("address %s is already in use: stop what holds it or choose another with -addr (e.g. -addr 127.0.0.1:9001)", o.addr)
		}
		return fmt.Errorf("listen on %s (set with -addr): %w", o.addr, err)
	}
	ln := connlimit.New(tcpLn, connlimit.Options{MaxConns: httpCap, MaxHijacked: wsCap, Log: log})
	defer ln.Close()
	addr := ln.Addr().String()
	acc, err := decideAccess(addr, o)
	if err != nil {
		return err
	}

	st, err := openState(o, log)
	if err != nil {
		return err
	}
	info := sysinfo.Read()
	polls := metrics.NewPolls()
	cfg := app.Config{
		Log: log, Sampler: o.sampler, Interval: o.interval, History: o.history, OwnersEvery: ownersEvery,
		PortRange: info.EphemeralPorts, OnPoll: polls.Observe,
		Lab: lab.ManagerOptions{FinishedBytes: o.labMB << 20, Version: version}, ShutdownTimeout: shutdownTimeout,
	}
	if st != nil {
		cfg.Lab.Archive = st.runs // only when set: a nil *Store is not a nil interface
	}
	events, eventsNote := (*kernelEvents)(nil), "polls chosen with -transitions polls"
	if o.events == "auto" {
		events, eventsNote = openEvents(log)
	}
	if events != nil {
		cfg.Events = events // the app closes it after the monitor
	}
	a, err := app.New(cfg)
	if err != nil {
		return err
	}
	if err := watchPorts(a.Monitor, st, o.watch, log); err != nil {
		a.Close()
		return err
	}

	met, err := metrics.New(metrics.Config{Ports: a.Monitor, Viewers: a.Hub, Lab: a.Lab, Polls: polls, Version: version, Log: log})
	if err != nil {
		a.Close()
		return err
	}

	system := func() wire.System {
		sys := systemInfo(info, a.Sampler.Source(), o.interval, o.history)
		sys.Transitions, sys.TransitionsNote = "polls", eventsNote
		if events != nil {
			sys.Transitions = "ebpf"
		}
		return sys
	}
	handler := server.New(server.Config{
		Addr: addr, Assets: webAssets(), Monitor: apiMonitor(a.Monitor, st, log), Hub: a.Hub, Experiments: a.Lab,
		Metrics: met.Handler(), System: system, Version: version, Log: log,
		Token: acc.token, AllowHosts: o.allowHosts, MaxWebsockets: wsCap,
	})
	srv := newHTTPServer(handler, ln, log)
	a.Serve(srv, ln, handler) // Run shuts it down in order: the Lab, the hub, srv, the websocket handlers

	url := announce(stdout, stderr, addr, acc, o.allowHosts)
	if o.open {
		openBrowser(log, url)
	}
	if err := a.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func newHTTPServer(h http.Handler, ln *connlimit.Listener, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderWait,
		ReadTimeout:       readWait,
		WriteTimeout:      writeWait,
		IdleTimeout:       idleWait,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         ln.ConnState,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// connCaps sizes the connection caps from the open-file limit (0: unknown).
func connCaps(fileLimit uint64) (httpConns, websockets int) {
	httpConns, websockets = maxHTTPConns, maxWebsockets
	if fileLimit > 0 {
		httpConns = int(min(uint64(httpConns), fileLimit/fdShareHTTP))
		websockets = int(min(uint64(websockets), fileLimit/fdShareWS))
	}
	return max(httpConns, minConnCap), max(websockets, minConnCap)
}

func systemInfo(info sysinfo.Info, source string, interval, history time.Duration) wire.System {
	return wire.System{
		Source: source, SourceNote: sockstat.SourceNote(source, runtime.GOOS),
		OS: info.OS, Arch: info.Arch, Kernel: info.Kernel, Go: runtime.Version(), Version: version,
		IntervalMs: interval.Milliseconds(), HistoryMs: history.Milliseconds(), Knobs: info.Knobs, EphemeralPorts: info.EphemeralPorts,
		UID: info.UID, OwnersNote: info.OwnersNote,
	}
}

// openBrowser asks the desktop to open url; failure is only logged.
func openBrowser(log *slog.Logger, url string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		log.Warn("open browser", "err", err)
		return
	}
	go func() { _ = cmd.Wait() }() // reaps the opener; it exits on its own within seconds
}

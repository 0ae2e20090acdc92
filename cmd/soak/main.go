package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Timings, rates and limits of the soak and abuse runs.
const (
	// defaultDuration is the length of `make soak`.
	defaultDuration = 10 * time.Minute
	// defaultEvery is the period of the report lines.
	defaultEvery = time.Minute
	// samplesPerPeriod is how many times RSS, fds, goroutines and threads
	// are read per period; the period's median is what the growth rule sees.
	samplesPerPeriod = 12
	// pollInterval is connlab's -interval in the soak.
	pollInterval = 100 * time.Millisecond
	// healthEvery is how often /healthz is asked.
	healthEvery = time.Second
	// healthTimeout bounds one /healthz request.
	healthTimeout = 5 * time.Second
	// defaultHealthDeadline: /healthz silent this long fails the soak.
	defaultHealthDeadline = 15 * time.Second
	// startTimeout bounds connlab's start (until it prints its URL).
	startTimeout = 30 * time.Second
	// stopTimeout is how long connlab may take to exit after SIGTERM.
	stopTimeout = 5 * time.Second
	// killWait bounds the wait for a process sent SIGKILL or SIGQUIT.
	killWait = 5 * time.Second
	// socketsGoneWait bounds the wait for connlab's port to hold nothing but
	// TIME_WAIT after it exited (FIN_WAIT and LAST_ACK end within ms on lo).
	socketsGoneWait = 3 * time.Second
	// apiTimeout bounds one API request of the workload.
	apiTimeout = 10 * time.Second
	// logTail is how many lines of connlab's log a failure prints.
	logTail = 40

	// minVerdictPeriods and minVerdictRun: shorter runs get no growth verdict.
	minVerdictPeriods = 6
	minVerdictRun     = 3 * time.Minute

	// Churn: new connections per second per style, and the keep-alive pool.
	rateServerCloses = 10.0
	rateClientCloses = 10.0
	rateReset        = 10.0
	keepAlivePool    = 8                      // connections held and reused
	keepAliveLife    = 10 * time.Second       // mean life of one (uniform 5–15 s)
	keepAliveEvery   = 200 * time.Millisecond // mean pause between requests on one
	connDeadline     = 5 * time.Second        // one churn exchange
	// timeWaitSecs is how long Linux keeps a socket in TIME_WAIT.
	timeWaitSecs = 60
	// labTimeWait is a generous estimate of the TIME_WAIT sockets the Lab
	// runs hold at once (pool-churn opens up to ~2000 connections).
	labTimeWait = 2000
	// twShare is the share of the ephemeral range and of tcp_max_tw_buckets
	// the estimated TIME_WAIT may take before soak refuses to start.
	twShare = 0.25
	// flapEvery is the mean period between unwatching and re-watching one
	// churn port; flapAway is how long it stays unwatched.
	flapEvery = 30 * time.Second
	flapAway  = 2 * time.Second

	// Viewers.
	viewers         = 6
	slowViewers     = 2                      // the last ones read slowly
	slowRead        = 30 * time.Millisecond  // per message, the slow viewer
	slowerRead      = 150 * time.Millisecond // per message, the slowest (dropped in the end)
	viewerAction    = 1500 * time.Millisecond
	viewerSession   = 20 * time.Second // mean session (uniform 0.2×–1.8×)
	viewerReconnect = time.Second      // mean pause before reconnecting
	wsHandshake     = 10 * time.Second
	wsWriteWait     = 5 * time.Second

	// Lab drivers.
	labDrivers    = 2 // at most this many of our runs at once (connlab allows 4)
	labPause      = 2 * time.Second
	labStopAfter  = time.Second            // mean wait before a DELETE (half the runs)
	labPollEvery  = 200 * time.Millisecond // GET /api/experiments/{id}
	labRunTimeout = 3 * time.Minute        // one run, start to end
	busyBackoff   = time.Second            // after a 429

	// Abuse mode.
	abuseRuns         = 36
	abuseConcurrency  = 1000
	abuseClients      = 8
	abuseSubscribes   = 500
	abuseSockets      = 3000 // sockets on the abused port (TIME_WAIT, client side)
	abuseChurnRate    = 40.0 // new connections per second during the measure
	abuseWindow       = 20 * time.Second
	abuseIdle         = 30 * time.Second // after the Lab runs, before a last RSS reading
	abuseSettle       = 5 * time.Second
	abuseHealthEvery  = 50 * time.Millisecond
	abuseInterval     = 50 * time.Millisecond // connlab -interval: 20 ticks/s
	abuseDrainWait    = 5 * time.Second       // reading an abusive client's backlog
	abuseLabRSSTarget = 100 << 20
	abuseRSSGrowth    = 50 << 20
	abuseHealthTarget = 20 * time.Millisecond
	abuseTickShare    = 0.9 // "unchanged": during ≥ 90% of before
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "soak: FAIL:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	duration       time.Duration
	every          time.Duration
	bin            string
	healthDeadline time.Duration
	pace           float64 // multiplies the workload's random pauses
	keep           bool    // keep the work directory
	dir            string  // work directory (default: a new temporary one)
	abuse          abuseOptions

	// onPeriod, when set (tests), is called with connlab's pid after each
	// period's line.
	onPeriod func(pid, period int)
}

type abuseOptions struct {
	on         bool
	runs       int
	clients    int
	subscribes int
	sockets    int
	window     time.Duration
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", defaultDuration, "how long to soak")
	fs.DurationVar(&o.every, "every", defaultEvery, "period of the report lines (and of the growth rule)")
	fs.StringVar(&o.bin, "bin", "", "connlab binary to run (default: go build from the module root)")
	fs.DurationVar(&o.healthDeadline, "health-deadline", defaultHealthDeadline, "fail when /healthz has not answered for this long")
	fs.Float64Var(&o.pace, "pace", 1, "multiply the workload's random pauses (viewer actions, sessions, Lab pauses) by this")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (connlab binary and log) even when the run passes")
	fs.StringVar(&o.dir, "dir", "", "work directory for connlab's binary and logs, kept (default: a new temporary one, removed unless the run fails or -keep)")
	fs.BoolVar(&o.abuse.on, "abuse", false, "measure the issue 6 abuse figures instead of soaking")
	fs.IntVar(&o.abuse.runs, "abuse-runs", abuseRuns, "abuse: Lab runs at concurrency 1000 (0: skip the Lab part)")
	fs.IntVar(&o.abuse.clients, "abuse-clients", abuseClients, "abuse: websocket clients that never read (0: skip the websocket part)")
	fs.IntVar(&o.abuse.subscribes, "abuse-subscribes", abuseSubscribes, "abuse: requests each client sends")
	fs.IntVar(&o.abuse.sockets, "abuse-sockets", abuseSockets, "abuse: sockets on the abused port")
	fs.DurationVar(&o.abuse.window, "abuse-window", abuseWindow, "abuse: length of each measure (before, during)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	case o.duration <= 0 || o.every <= 0:
		return o, errors.New("-duration and -every must be positive")
	case o.every > o.duration:
		return o, fmt.Errorf("-every %s is longer than -duration %s", o.every, o.duration)
	case o.pace <= 0:
		return o, errors.New("-pace must be positive")
	case o.healthDeadline < 2*healthEvery:
		return o, fmt.Errorf("-health-deadline must be at least %s", 2*healthEvery)
	case o.abuse.runs < 0 || o.abuse.clients < 0 || o.abuse.subscribes < 1 || o.abuse.sockets < 1 || o.abuse.window <= 0:
		return o, errors.New("-abuse-* values must be positive (-abuse-runs 0 or -abuse-clients 0 skips that part)")
	}
	return o, nil
}

// run is the whole program: main only adds signals and the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.abuse.on {
		_, err := runAbuse(ctx, o, stdout)
		return err
	}
	_, err = runSoak(ctx, o, stdout)
	return err
}

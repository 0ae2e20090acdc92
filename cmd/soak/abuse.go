package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// abuseReport holds the figures of -abuse (the test reads it).
type abuseReport struct {
	labRuns    int
	labRSS     int64   // after the last run ended
	labPeakRSS int64   // highest after any run
	labEach    []int64 // RSS after each run
	labKept    int     // runs connlab still lists at the end
	labIdle    time.Duration
	labIdleRSS int64 // labIdle after the last run (the runtime returns freed pages gradually)
	sockets    int   // on the abused port when the measure started
	snapshot   int   // bytes of the well-behaved viewer's snapshot
	ticks      int   // ticks the well-behaved viewer received in all
	variants   []wsFigures
}

// wsFigures are the figures of one kind of websocket abuse.
type wsFigures struct {
	name                     string
	ticksBefore, ticksDuring float64 // the well-behaved viewer's ticks per second
	healthBefore             []float64
	healthDuring             []float64 // /healthz latencies, ms
	healthFails              int       // probes that got no answer, both windows
	rssBase, rssPeak         int64
	ends                     map[string]int // how the abusive clients ended
	logHubDrops              int            // connlab's log lines: the hub dropped a subscriber
	logWSCloses              int            // connlab's log lines: a websocket closed with 1013
	cpuBefore, cpuDuring     float64        // connlab's CPU, % of one core
	loadBefore, loadDuring   string         // the host's 1-minute load average at the end of each window
}

// labBody is the Lab run of issue 6's memory figure.
var labBody = map[string]any{"preset": "keepalive-default", "concurrency": abuseConcurrency, "requests": 1, "observe": "0s"}

// connlab's log lines (substrings) when the hub drops a subscriber (over
// its queue or byte budget) and when the websocket is then closed with 1013.
const (
	hubDropLog = "hub: dropping"
	wsCloseLog = "the browser does not keep up"
)

// runAbuse measures the abuse figures, each against a fresh connlab.
func runAbuse(ctx context.Context, o options, out io.Writer) (*abuseReport, error) {
	dir, done, err := workDir(o, "connlab-abuse-", out)
	if err != nil {
		return nil, err
	}
	failed := true
	defer func() { done(failed) }()
	bin := o.bin
	if bin == "" {
		if bin, err = buildConnlab(ctx, dir); err != nil {
			return nil, err
		}
	}
	rep := &abuseReport{}
	if o.abuse.runs > 0 {
		if err := labMemory(ctx, bin, dir, o.abuse.runs, o.abuse.window, rep, out); err != nil {
			return rep, err
		}
	}
	if o.abuse.clients > 0 {
		if err := wsAbuse(ctx, bin, dir, o.abuse, rep, out); err != nil {
			return rep, err
		}
	}
	printAbuse(out, rep, o.abuse)
	failed = false
	return rep, nil
}

// labMemory runs the Lab runs one after the other and reads RSS.
func labMemory(ctx context.Context, bin, dir string, runs int, window time.Duration, rep *abuseReport, out io.Writer) error {
	c, err := startChild(ctx, bin, dir)
	if err != nil {
		return err
	}
	defer c.kill()
	a := newAPI(c.base)
	defer a.close()
	fmt.Fprintf(out, "abuse: %d Lab runs of %v against connlab pid %d\n", runs, labBody, c.pid)
	for i := range runs {
		id, err := startWhenFree(ctx, a)
		if err != nil {
			return fmt.Errorf("lab run %d: %w", i+1, err)
		}
		st, err := waitRun(ctx, a, id)
		if err != nil {
			return fmt.Errorf("lab run %d: %w", i+1, err)
		}
		if st.Status == expFailed {
			return fmt.Errorf("lab run %d (%s) failed: %s", i+1, id, st.Error)
		}
		ps, err := readProc(c.pid)
		if err != nil {
			return fmt.Errorf("lab run %d: %w", i+1, err)
		}
		rep.labRuns++
		rep.labRSS = ps.rss
		rep.labPeakRSS = max(rep.labPeakRSS, ps.rss)
		rep.labEach = append(rep.labEach, ps.rss)
	}
	var kept []struct{}
	if err := a.do(ctx, http.MethodGet, "/api/experiments", nil, &kept); err != nil {
		return err
	}
	rep.labKept = len(kept)
	fmt.Fprintf(out, "abuse: RSS after each run: %s; connlab lists %d runs\n", rssSteps(rep.labEach), rep.labKept)
	rep.labIdle = abuseIdle
	if window < abuseWindow { // a shortened run (the test)
		rep.labIdle = window
	}
	if err := sleep(ctx, rep.labIdle); err != nil {
		return err
	}
	ps, err := readProc(c.pid)
	if err != nil {
		return err
	}
	rep.labIdleRSS = ps.rss
	a.close()
	return c.stop()
}

// startWhenFree starts labBody, retrying while connlab answers 429.
func startWhenFree(ctx context.Context, a *api) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, labRunTimeout)
	defer cancel()
	for {
		id, busy, err := startRun(ctx, a, labBody)
		if err != nil || !busy {
			return id, err
		}
		if err := sleep(ctx, labPollEvery); err != nil {
			return "", fmt.Errorf("still 429 after %s: %w", labRunTimeout, err)
		}
	}
}

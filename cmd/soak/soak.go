package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// stallCheckMin: periods at least this long must each see a new churn
// connection and a websocket tick (shorter ones are checked on the totals).
const stallCheckMin = 30 * time.Second

// summary is what a soak run measured (the test reads it).
type summary struct {
	periods      int
	lines        []string // the report lines
	conns        int64
	sessions     int64
	ticks        int64
	labStarted   int64
	errors       int64
	judged       bool     // a growth verdict was given
	verdicts     []string // one per judged metric
	timeWaitLeft int      // TIME_WAIT sockets on connlab's port after it exited
}

// series are the per-period medians the growth rule judges.
type series struct{ rss, fds, goroutines, threads []float64 }

// soak is one run of the soak mode.
type soak struct {
	o     options
	out   io.Writer
	dir   string
	child *child
	api   *api
	hw    *healthWatch
	cnt   counters
	ports []int
	med   series
	sum   summary
}

// errHealth marks a /healthz failure (connlab then gets SIGQUIT for stacks).
var errHealth = errors.New("healthz")

// runSoak runs the soak mode.
func runSoak(ctx context.Context, o options, out io.Writer) (*summary, error) {
	s := &soak{o: o, out: out}
	err := s.run(ctx)
	return &s.sum, err
}

func (s *soak) run(ctx context.Context) (err error) {
	var done func(failed bool)
	if s.dir, done, err = workDir(s.o, "connlab-soak-", s.out); err != nil {
		return err
	}
	defer func() { done(err != nil) }()
	if err := s.checkTimeWait(); err != nil {
		return err
	}
	bin := s.o.bin
	if bin == "" {
		if bin, err = buildConnlab(ctx, s.dir); err != nil {
			return err
		}
	}
	s.child, err = startChild(ctx, bin, s.dir, "-interval", pollInterval.String())
	if err != nil {
		return err
	}
	defer s.child.kill() // a no-op once it has exited
	s.api = newAPI(s.child.base)
	s.hw = &healthWatch{api: newAPI(s.child.base), lastOK: time.Now(), goroutines: -1}
	defer s.api.close()
	defer s.hw.api.close()

	if err := s.soak(ctx); err != nil {
		return err
	}
	return s.finish(ctx)
}

// workDir makes the directory for connlab's binary and logs: o.dir when
// given (the caller owns it), else a new temporary one, which done removes
// unless the run failed or -keep was given.
func workDir(o options, prefix string, out io.Writer) (dir string, done func(failed bool), err error) {
	if o.dir != "" {
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("make the work directory: %w", err)
		}
		return o.dir, func(bool) {}, nil
	}
	if dir, err = os.MkdirTemp("", prefix); err != nil {
		return "", nil, fmt.Errorf("make a work directory: %w", err)
	}
	return dir, func(failed bool) {
		if failed || o.keep {
			fmt.Fprintf(out, "soak: work directory kept: %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}, nil
}

// checkTimeWait prints the TIME_WAIT the workload may hold and refuses
// a host whose limits it would strain.
func (s *soak) checkTimeWait() error {
	eph, buckets, err := timeWaitLimits()
	if err != nil {
		return err
	}
	rate := churnRate(soakChurn)
	est := int(rate*timeWaitSecs) + labTimeWait
	fmt.Fprintf(s.out, "soak: TIME_WAIT at most ~%d (churn %.1f conn/s × %d s + Lab %d); host: %d ephemeral ports, tcp_max_tw_buckets %d\n",
		est, rate, timeWaitSecs, labTimeWait, eph, buckets)
	if lim := twShare * float64(min(eph, buckets)); float64(est) > lim {
		return fmt.Errorf("the workload may hold ~%d sockets in TIME_WAIT, more than %.0f%% of this host's limit (%d): widen ip_local_port_range", est, twShare*100, min(eph, buckets))
	}
	return nil
}

// soak starts the workload, measures until the end, and stops the
// workload. It returns the first failure.
func (s *soak) soak(ctx context.Context) error {
	ports := make([]*churnPort, 0, len(soakChurn))
	for _, spec := range soakChurn {
		p, err := newChurnPort(spec)
		if err != nil {
			return err
		}
		defer p.ln.Close() // Run closes it too; this covers an early return
		ports = append(ports, p)
		s.ports = append(s.ports, p.port)
		if err := s.api.watch(ctx, p.port); err != nil {
			return fmt.Errorf("watch churn port %d: %w", p.port, err)
		}
	}
	presets, err := presetNames(ctx, s.api)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "soak: connlab %s (pid %d, -interval %s); churn on %s; %d viewers (%d slow); %d Lab drivers over %d presets; %s in periods of %s\n",
		s.child.base, s.child.pid, pollInterval, s.describePorts(ports), viewers, slowViewers, labDrivers, len(presets), s.o.duration, s.o.every)

	wctx, stop := context.WithCancel(ctx)
	defer stop()
	failc := make(chan error, 1)
	var wg sync.WaitGroup
	// Every goroutine below ends when wctx is cancelled (stop, deferred and
	// called below) and is waited for by wg before soak returns.
	defer wg.Wait()
	defer stop()
	for _, p := range ports {
		wg.Go(func() { _ = p.Run(wctx, &s.cnt) })
	}
	l := &lab{api: s.api, presets: presets, pace: s.o.pace, cnt: &s.cnt}
	wg.Go(func() { _ = l.Run(wctx) })
	for i := range viewers {
		v := &viewer{base: s.child.base, pace: s.o.pace, ports: s.ports, exps: l.ids, cnt: &s.cnt}
		switch i {
		case viewers - 1:
			v.readDelay = slowerRead
		case viewers - 2:
			v.readDelay = slowRead
		}
		wg.Go(func() { _ = v.Run(wctx) })
	}
	wg.Go(func() { flapper(wctx, s.api, s.ports, s.o.pace, &s.cnt) })
	wg.Go(func() { s.hw.Run(wctx, s.o.healthDeadline, failc) })

	err = s.waitLive(ctx)
	if err == nil {
		err = s.measure(ctx, failc)
	}
	// On a failure connlab goes first, so that the workload's connections
	// to it end at once rather than at their deadlines.
	switch {
	case errors.Is(err, errHealth):
		s.child.quit()
	case err != nil:
		s.child.kill()
	}
	return err
}

func (s *soak) describePorts(ports []*churnPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%d (%s)", p.port, p.spec.style)
	}
	return strings.Join(parts, ", ")
}

// waitLive polls until every part of the workload has done something (a
// churn connection, a websocket session with a tick, a Lab run), within
// startTimeout: the periods measure a running workload.
func (s *soak) waitLive(ctx context.Context) error {
	c := &s.cnt
	start := time.Now()
	for c.conns.Load() == 0 || c.sessions.Load() == 0 || c.ticks.Load() == 0 || c.labStarted.Load() == 0 {
		if s.child.exited() {
			return s.died(nil)
		}
		if time.Since(start) > startTimeout {
			return fmt.Errorf("the workload did not start within %s: %d churn connections, %d websocket sessions, %d ticks, %d Lab runs; errors:\n%s",
				startTimeout, c.conns.Load(), c.sessions.Load(), c.ticks.Load(), c.labStarted.Load(), c.errors.String())
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
	}
	fmt.Fprintf(s.out, "soak: workload running after %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// period accumulates the samples of one period.
type period struct {
	rss, fds, goroutines, threads []float64
}

// measure samples connlab samplesPerPeriod times a period, prints one line
// per period, and returns at the end of the last period or at the first
// failure.
func (s *soak) measure(ctx context.Context, failc <-chan error) error {
	periods := max(1, int(s.o.duration/s.o.every))
	t := time.NewTicker(s.o.every / samplesPerPeriod)
	defer t.Stop()
	start := time.Now()
	first, err := readProc(s.child.pid)
	if err != nil {
		return s.died(err)
	}
	prevCPU, prevAt := first.cpu, start
	var prevConns, prevTicks int64
	var cur period
	fmt.Fprintln(s.out, "  elapsed       RSS   fds  goroutines  threads    CPU  host TW  healthz max |   conns  sessions    ticks  Lab runs (stopped, 429)  errors")
	for s.sum.periods < periods {
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted: %w", ctx.Err())
		case err := <-failc:
			return err
		case <-s.child.done:
			return s.died(nil)
		case <-t.C:
		}
		st, err := readProc(s.child.pid)
		if err != nil {
			return s.died(err)
		}
		cur.rss = append(cur.rss, float64(st.rss))
		cur.fds = append(cur.fds, float64(st.fds))
		cur.threads = append(cur.threads, float64(st.threads))
		if g := s.hw.goroutineCount(); g >= 0 {
			cur.goroutines = append(cur.goroutines, float64(g))
		}
		if len(cur.rss) < samplesPerPeriod {
			continue
		}
		now := time.Now()
		cpu := float64(st.cpu-prevCPU) / float64(now.Sub(prevAt)) * 100
		prevCPU, prevAt = st.cpu, now
		s.endPeriod(cur, now.Sub(start), cpu)
		cur = period{}
		if s.o.onPeriod != nil {
			s.o.onPeriod(s.child.pid, s.sum.periods)
		}
		conns, ticks := s.cnt.conns.Load(), s.cnt.ticks.Load()
		if s.o.every >= stallCheckMin && (conns == prevConns || ticks == prevTicks) {
			return fmt.Errorf("the workload stalled: %d new churn connections and %d websocket ticks in the last %s", conns-prevConns, ticks-prevTicks, s.o.every)
		}
		prevConns, prevTicks = conns, ticks
	}
	return nil
}

// endPeriod records the period's medians and prints its line.
func (s *soak) endPeriod(p period, elapsed time.Duration, cpu float64) {
	s.sum.periods++
	s.med.rss = append(s.med.rss, median(p.rss))
	s.med.fds = append(s.med.fds, median(p.fds))
	s.med.threads = append(s.med.threads, median(p.threads))
	gor := "-"
	if len(p.goroutines) > 0 {
		s.med.goroutines = append(s.med.goroutines, median(p.goroutines))
		gor = fmt.Sprintf("%.0f", median(p.goroutines))
	}
	tw := "?"
	if n, err := hostTimeWait(); err == nil {
		tw = fmt.Sprint(n)
	}
	c := &s.cnt
	line := fmt.Sprintf("%9s  %8s  %4.0f  %10s  %7.0f  %4.0f%%  %7s  %8.1f ms | %7d  %8d  %7d  %8d (%d, %d)  %12d",
		sinceStart(elapsed), formatMB(median(p.rss)), median(p.fds), gor, median(p.threads), cpu, tw,
		float64(s.hw.takeMaxLatency().Microseconds())/1000,
		c.conns.Load(), c.sessions.Load(), c.ticks.Load(), c.labStarted.Load(), c.labStopped.Load(), c.labBusy.Load(), c.errors.count())
	s.sum.lines = append(s.sum.lines, line)
	fmt.Fprintln(s.out, line)
}

// died is the failure of a connlab that exited while it should serve.
func (s *soak) died(readErr error) error {
	// The reaper closes done right after the process exits; a read of
	// /proc that failed just before may come first: give it a moment.
	select {
	case <-s.child.done:
	case <-time.After(killWait):
		return fmt.Errorf("read connlab's /proc: %w", readErr)
	}
	return fmt.Errorf("connlab died: %s; its log:\n%s", exitText(s.child.err), s.child.tail(logTail))
}

// finish stops connlab, checks its exit and its port, and judges growth.
func (s *soak) finish(ctx context.Context) error {
	c := &s.cnt
	s.sum.conns, s.sum.sessions, s.sum.ticks = c.conns.Load(), c.sessions.Load(), c.ticks.Load()
	s.sum.labStarted, s.sum.errors = c.labStarted.Load(), c.errors.count()
	fmt.Fprintf(s.out, "soak: workload: %d churn connections, %d port flaps; %d websocket sessions (%d ticks, %d snapshots, %d closed 1013 as slow readers, %d slow readers cut otherwise, %d requests refused); Lab: %d runs started, %d ended, %d stopped, %d failed, %d answers 429; %d errors\n",
		s.sum.conns, c.flaps.Load(), s.sum.sessions, s.sum.ticks, c.snapshots.Load(), c.dropped.Load(), c.cut.Load(), c.refused.Load(),
		s.sum.labStarted, c.labEnded.Load(), c.labStopped.Load(), c.labFailed.Load(), c.labBusy.Load(), s.sum.errors)
	if s.sum.errors > 0 {
		fmt.Fprint(s.out, c.errors.String())
	}

	s.api.close()
	s.hw.api.close()
	start := time.Now()
	if err := s.child.stop(); err != nil {
		return err
	}
	ps, err := checkPortClear(ctx, s.child.port)
	if err != nil {
		return err
	}
	s.sum.timeWaitLeft = ps.timeWait
	fmt.Fprintf(s.out, "soak: SIGTERM: connlab exited with status 0 in %s; its port %d holds no socket of its own (%d in TIME_WAIT, owned by the kernel; %d of other processes)\n",
		time.Since(start).Round(time.Millisecond), s.child.port, ps.timeWait, ps.foreign)

	if s.sum.conns == 0 || s.sum.ticks == 0 || s.sum.sessions == 0 || s.sum.labStarted == 0 {
		return fmt.Errorf("the workload did not run: %d churn connections, %d websocket sessions, %d ticks, %d Lab runs", s.sum.conns, s.sum.sessions, s.sum.ticks, s.sum.labStarted)
	}
	return s.judgeGrowth()
}

// judgeGrowth applies the growth rule to RSS, fds, and goroutines (threads
// when connlab does not report goroutines).
func (s *soak) judgeGrowth() error {
	if s.o.duration < minVerdictRun || s.sum.periods < minVerdictPeriods {
		fmt.Fprintf(s.out, "soak: growth: not judged (needs at least %d periods and %s)\nsoak: PASS\n", minVerdictPeriods, minVerdictRun)
		return nil
	}
	type metric struct {
		xs []float64
		l  limit
	}
	ms := []metric{{s.med.rss, limitRSS}, {s.med.fds, limitFDs}}
	if len(s.med.goroutines) == s.sum.periods {
		ms = append(ms, metric{s.med.goroutines, limitGoroutines})
	} else {
		fmt.Fprintln(s.out, "soak: /healthz reports no goroutine count: judging threads instead")
		ms = append(ms, metric{s.med.threads, limitThreads})
	}
	var grew []string
	for _, m := range ms {
		v, ok := judge(m.xs, m.l)
		if !ok {
			continue
		}
		s.sum.judged = true
		s.sum.verdicts = append(s.sum.verdicts, v.detail)
		fmt.Fprintln(s.out, "soak: growth:", v.detail)
		if v.grew {
			grew = append(grew, v.detail)
		}
	}
	if len(grew) > 0 {
		return fmt.Errorf("connlab keeps growing: %s", strings.Join(grew, "; "))
	}
	fmt.Fprintln(s.out, "soak: PASS")
	return nil
}

// sinceStart formats an elapsed time for the report lines.
func sinceStart(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

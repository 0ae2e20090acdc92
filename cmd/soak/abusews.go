package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// abuseRig is what the websocket measure runs against: connlab, the
// abused port, a well-behaved viewer, and the recorders.
type abuseRig struct {
	c      *child
	port   int
	ticks  recorder // one entry per tick the viewer received
	health recorder // /healthz latency, ms
	// healthFails has one entry per /healthz probe that got no answer.
	healthFails recorder
	rss         recorder // connlab's RSS, bytes
}

// wsAbuse measures the websocket figures.
func wsAbuse(ctx context.Context, bin, dir string, ab abuseOptions, rep *abuseReport, out io.Writer) error {
	c, err := startChild(ctx, bin, dir, "-interval", abuseInterval.String())
	if err != nil {
		return err
	}
	defer c.kill()
	a := newAPI(c.base)
	defer a.close()
	p, err := newChurnPort(churnSpec{clientCloses, abuseChurnRate})
	if err != nil {
		return err
	}
	defer p.ln.Close() // Run closes it too; this covers an early return
	rig := &abuseRig{c: c, port: p.port}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Every goroutine below ends when wctx is cancelled and is waited for
	// before wsAbuse returns.
	defer wg.Wait()
	defer stop()
	var cnt counters
	wg.Go(func() { _ = p.Run(wctx, &cnt) })
	if err := a.watch(ctx, p.port); err != nil {
		return fmt.Errorf("watch port %d: %w", p.port, err)
	}
	fmt.Fprintf(out, "abuse: %d connections to port %d (client closes: TIME_WAIT), then %.0f/s; connlab pid %d at -interval %s\n",
		ab.sockets, p.port, abuseChurnRate, c.pid, abuseInterval)
	if err := burst(ctx, p.ln.Addr().String(), ab.sockets); err != nil {
		return err
	}
	viewer, err := dialWS(ctx, c.base)
	if err != nil {
		return err
	}
	defer viewer.Close()
	snap := make(chan int, 1)
	wg.Go(func() { rig.follow(viewer, snap) })
	if err := send(viewer, request{Type: "subscribe", Port: p.port}); err != nil {
		return fmt.Errorf("viewer subscribe: %w", err)
	}
	select {
	case rep.snapshot = <-snap:
	case <-time.After(startTimeout):
		return errors.New("the well-behaved viewer got no snapshot")
	}
	if err := rig.waitTick(ctx); err != nil {
		return err
	}
	if rep.sockets, err = waitSockets(ctx, a, p.port, ab.sockets); err != nil {
		return err
	}
	fmt.Fprintf(out, "abuse: port %d holds %d sockets; the viewer's snapshot is %d KB\n", p.port, rep.sockets, rep.snapshot>>10)
	hp := newAPI(c.base)
	defer hp.close()
	wg.Go(func() { rig.probe(wctx, hp) })
	wg.Go(func() { rig.sampleRSS(wctx) })
	if err := sleep(ctx, min(abuseSettle, ab.window)); err != nil { // the burst's aftermath
		return err
	}

	for _, v := range []struct {
		name   string
		toggle bool
	}{
		{fmt.Sprintf("%d×%d subscribes", ab.clients, ab.subscribes), false},
		{fmt.Sprintf("%d×%d unsub+sub", ab.clients, ab.subscribes), true},
	} {
		f, err := rig.measure(ctx, v.name, v.toggle, ab)
		if err != nil {
			return err
		}
		rep.variants = append(rep.variants, f)
		if c.exited() {
			return fmt.Errorf("connlab died: %s; its log:\n%s", exitText(c.err), c.tail(logTail))
		}
	}
	rep.ticks = rig.ticks.count()
	stop()
	_ = viewer.Close()
	wg.Wait()
	a.close()
	hp.close()
	return c.stop()
}

// waitTick polls until the viewer has had a tick, within startTimeout: the
// measure needs a live viewer.
func (r *abuseRig) waitTick(ctx context.Context) error {
	deadline := time.Now().Add(startTimeout)
	for r.ticks.count() == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("the well-behaved viewer got no tick in %s", startTimeout)
		}
		if err := sleep(ctx, abuseHealthEvery); err != nil {
			return err
		}
	}
	return nil
}

// waitSockets polls until connlab counts at least n sockets on port (its
// last poll may predate the burst's last connections), within startTimeout.
func waitSockets(ctx context.Context, a *api, port, n int) (int, error) {
	deadline := time.Now().Add(startTimeout)
	for {
		got, err := socketCount(ctx, a, port)
		if err != nil || got >= n {
			return got, err
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("connlab counts %d sockets on port %d after %s, want %d", got, port, startTimeout, n)
		}
		if err := sleep(ctx, abuseHealthEvery); err != nil {
			return got, err
		}
	}
}

// socketCount is the number of sockets connlab counts on port.
func socketCount(ctx context.Context, a *api, port int) (int, error) {
	var st struct {
		Counts struct {
			Server map[string]int `json:"server"`
			Client map[string]int `json:"client"`
		} `json:"counts"`
	}
	if err := a.do(ctx, http.MethodGet, fmt.Sprintf("/api/ports/%d", port), nil, &st); err != nil {
		return 0, err
	}
	n := 0
	for _, m := range []map[string]int{st.Counts.Server, st.Counts.Client} {
		for _, v := range m {
			n += v
		}
	}
	return n, nil
}

// follow reads the well-behaved viewer promptly, recording its ticks and
// sending the size of its first snapshot on snap. It ends when the
// connection is closed.
func (r *abuseRig) follow(conn *websocket.Conn, snap chan<- int) {
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		switch kind(msg) {
		case "tick":
			r.ticks.add(1)
		case "snapshot":
			select {
			case snap <- len(msg):
			default:
			}
		}
	}
}

// probe asks /healthz every abuseHealthEvery and records each latency,
// answered or not (a failed probe counts with the time it took, and in
// healthFails).
func (r *abuseRig) probe(ctx context.Context, a *api) {
	t := time.NewTicker(abuseHealthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		_, err := a.healthz(ctx)
		if ctx.Err() != nil {
			return
		}
		r.health.add(float64(time.Since(start).Microseconds()) / 1000)
		if err != nil {
			r.healthFails.add(1)
		}
	}
}

// sampleRSS records connlab's RSS every abuseHealthEvery (apart from probe,
// so that a slow /healthz does not thin the samples).
func (r *abuseRig) sampleRSS(ctx context.Context) {
	t := time.NewTicker(abuseHealthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.rss.add(float64(r.rssNow()))
	}
}

// rssNow is connlab's RSS (0 if unreadable).
func (r *abuseRig) rssNow() int64 {
	ps, _ := readProc(r.c.pid)
	return ps.rss
}

// measure runs one kind of abuse: a window before, a window during, then
// reads the abusive clients' backlogs to see how they ended.
func (r *abuseRig) measure(ctx context.Context, name string, toggle bool, ab abuseOptions) (wsFigures, error) {
	f := wsFigures{name: name, ends: map[string]int{}}
	hubBefore, wsBefore := r.c.countLog(hubDropLog), r.c.countLog(wsCloseLog)
	t0, cpu0 := time.Now(), r.cpu()
	if err := sleep(ctx, ab.window); err != nil {
		return f, err
	}
	t1, cpu1 := time.Now(), r.cpu()
	rss1 := r.rssNow()
	f.loadBefore = loadAvg()
	abusers, err := r.abuse(ctx, toggle, ab)
	defer func() {
		for _, c := range abusers {
			_ = c.Close()
		}
	}()
	if err != nil {
		return f, err
	}
	if err := sleep(ctx, ab.window); err != nil {
		return f, err
	}
	t2, cpu2 := time.Now(), r.cpu()
	rss2 := r.rssNow()
	f.loadDuring = loadAvg()
	f.cpuBefore = percent(cpu1-cpu0, t1.Sub(t0))
	f.cpuDuring = percent(cpu2-cpu1, t2.Sub(t1))
	ends := make([]string, len(abusers))
	var wg sync.WaitGroup
	for i, c := range abusers {
		wg.Go(func() { ends[i] = ending(c, min(abuseDrainWait, ab.window)) }) // bounded by the read deadline
	}
	wg.Wait()
	for _, e := range ends {
		f.ends[e]++
	}
	f.logHubDrops = r.c.countLog(hubDropLog) - hubBefore
	f.logWSCloses = r.c.countLog(wsCloseLog) - wsBefore
	f.ticksBefore = float64(len(r.ticks.between(t0, t1))) / t1.Sub(t0).Seconds()
	f.ticksDuring = float64(len(r.ticks.between(t1, t2))) / t2.Sub(t1).Seconds()
	f.healthBefore = r.health.between(t0, t1)
	f.healthDuring = r.health.between(t1, t2)
	f.healthFails = len(r.healthFails.between(t0, t2))
	// The readings at the windows' ends make sure neither is empty.
	f.rssBase = int64(median(append(r.rss.between(t0, t1), float64(rss1))))
	f.rssPeak = int64(slices.Max(append(r.rss.between(t1, time.Now()), float64(rss2))))
	return f, sleep(ctx, min(abuseSettle, ab.window))
}

// cpu is connlab's CPU time so far (0 if unreadable).
func (r *abuseRig) cpu() time.Duration {
	ps, _ := readProc(r.c.pid)
	return ps.cpu
}

// abuse opens the abusive clients; each sends its requests and never reads.
func (r *abuseRig) abuse(ctx context.Context, toggle bool, ab abuseOptions) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, 0, ab.clients)
	for range ab.clients {
		c, err := dialWS(ctx, r.c.base)
		if err != nil {
			return conns, fmt.Errorf("abusive client: %w", err)
		}
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		// Each sender ends after its requests or at its first failed write
		// (connlab may close the connection midway): bounded by wsWriteWait.
		wg.Go(func() {
			for range ab.subscribes {
				if toggle && send(c, request{Type: "unsubscribe", Port: r.port}) != nil {
					return
				}
				if send(c, request{Type: "subscribe", Port: r.port}) != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return conns, nil
}

// ending reads what an abusive client was sent (its backlog, then
// whatever follows) for wait, and says how the connection ended, or that it
// is still open.
func ending(c *websocket.Conn, wait time.Duration) string {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce) && ce.Code == websocket.CloseAbnormalClosure:
			return "dropped without a close frame"
		case errors.As(err, &ce):
			return fmt.Sprintf("closed %d", ce.Code)
		case isTimeout(err):
			return "still open"
		}
		return "failed: " + err.Error()
	}
}

package loadgen

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/tap"
)

// worker is one client goroutine: it sends requests one after the other,
// paced by Interval or Rate, until the workload's bound or Stop.
type worker struct {
	id    int
	c     *Client
	stats *workerStats
	pace  pacer

	// Go Transport: the request in flight, as httptrace reports it. The
	// callbacks run before RoundTrip returns; atomics keep -race honest
	// about the transport's goroutines.
	trace    *httptrace.ClientTrace
	base     *http.Request
	gotConns atomic.Int32
	reused   atomic.Bool
	wasIdle  atomic.Bool
	idleNs   atomic.Int64
	conn     atomic.Pointer[tap.Conn]
	firstNs  atomic.Int64
	partial  []byte

	// Raw HTTP/1.0 client: the worker's connection and the leaked ones.
	raw rawState
}

func (w *worker) gotConn(info httptrace.GotConnInfo) {
	w.gotConns.Add(1)
	w.reused.Store(info.Reused)
	w.wasIdle.Store(info.WasIdle)
	w.idleNs.Store(int64(info.IdleTime))
	tc, _ := info.Conn.(*tap.Conn)
	w.conn.Store(tc)
}

func (w *worker) gotFirstByte() { w.firstNs.Store(w.c.cfg.Tracker.SinceNs()) }

// loop runs requests until the request budget is spent, deadline passes
// or ctx is done.
func (w *worker) loop(ctx context.Context, deadline time.Time) {
	target := int64(w.c.cfg.Requests)
	for first := true; ; first = false {
		if ctx.Err() != nil || !w.pace.wait(ctx, deadline, first) {
			return
		}
		seq := w.c.issued.Add(1)
		if target > 0 && seq > target {
			return
		}
		var o outcome
		if w.c.raw() {
			w.doRaw(ctx, uint64(seq), &o)
		} else {
			w.doHTTP(ctx, uint64(seq), &o)
		}
		w.stats.record(&o)
	}
}

// pacer spaces a worker's requests: a pause of interval after each one, or
// fixed slots every period (rate mode).
type pacer struct {
	interval time.Duration
	period   time.Duration // rate mode: concurrency / rate
	offset   time.Duration // rate mode: this worker's first slot
	next     time.Time
	timer    *time.Timer
}

// wait sleeps until the next request is due; false when ctx ends first or
// the request would start after deadline.
func (p *pacer) wait(ctx context.Context, deadline time.Time, first bool) bool {
	now := time.Now()
	if !now.Before(deadline) {
		return false
	}
	var until time.Time
	switch {
	case p.period > 0:
		if first {
			p.next = now.Add(p.offset)
		}
		until = p.next
		p.next = p.next.Add(p.period)
		if p.next.Before(now) { // far behind: do not burst to catch up
			p.next = now.Add(p.period)
		}
	case p.interval > 0 && !first:
		until = now.Add(p.interval)
	default:
		return true
	}
	d := until.Sub(now)
	if d <= 0 {
		return true
	}
	if until.After(deadline) {
		return false
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-ctx.Done():
		p.timer.Stop()
		return false
	case <-p.timer.C:
		return true
	}
}

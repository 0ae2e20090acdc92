package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// counters are the workload's tallies, shared by its goroutines.
type counters struct {
	conns      atomic.Int64 // churn connections that completed their exchange
	sessions   atomic.Int64 // websocket sessions opened
	ticks      atomic.Int64 // websocket ticks received
	snapshots  atomic.Int64 // websocket snapshots received (ports and experiments)
	refused    atomic.Int64 // websocket error messages (e.g. not_watched while a port is away)
	dropped    atomic.Int64 // websocket sessions the server closed with 1013 (slow reader)
	cut        atomic.Int64 // slow readers' sessions that ended otherwise (no close frame, backlog unread)
	labStarted atomic.Int64
	labEnded   atomic.Int64 // runs seen ended (completed, stopped or failed)
	labStopped atomic.Int64 // runs we stopped with DELETE
	labFailed  atomic.Int64 // runs that ended with status failed
	labBusy    atomic.Int64 // 429 answers
	flaps      atomic.Int64 // unwatch + watch of a churn port
	errors     errorLog
}

// errorLog counts unexpected failures, keeping a few distinct messages.
type errorLog struct {
	mu      sync.Mutex
	n       int64
	samples map[string]int
}

const maxErrorSamples = 12 // distinct messages kept

func (e *errorLog) add(what string, err error) {
	msg := what + ": " + err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if e.samples == nil {
		e.samples = map[string]int{}
	}
	if _, ok := e.samples[msg]; ok || len(e.samples) < maxErrorSamples {
		e.samples[msg]++
	}
}

func (e *errorLog) count() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

// String lists the kept messages, most frequent first.
func (e *errorLog) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	type kv struct {
		msg string
		n   int
	}
	var all []kv
	for m, n := range e.samples {
		all = append(all, kv{m, n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].msg < all[j].msg })
	var b strings.Builder
	for _, x := range all {
		fmt.Fprintf(&b, "  %5d× %s\n", x.n, x.msg)
	}
	return b.String()
}

// sleep waits d or until ctx is done (then it returns ctx.Err()).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// jitter is d × a uniform factor in [0.5, 1.5) × pace.
func jitter(d time.Duration, pace float64) time.Duration {
	return time.Duration(float64(d) * (0.5 + rand.Float64()) * pace)
}

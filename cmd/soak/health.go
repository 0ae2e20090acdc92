package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// healthWatch asks GET /healthz every healthEvery and remembers the last
// answer: the goroutine count (when connlab reports it) and the slowest
// latency since the last report line.
type healthWatch struct {
	api *api

	mu         sync.Mutex
	lastOK     time.Time
	goroutines int // -1: not reported
	maxLatency time.Duration
}

// Run asks until ctx is done. When no answer has come for deadline it
// sends an error wrapping errHealth on failc and returns.
func (h *healthWatch) Run(ctx context.Context, deadline time.Duration, failc chan<- error) {
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r, err := h.api.healthz(ctx)
		if ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		if err == nil {
			h.lastOK = time.Now()
			h.goroutines = r.goroutines
			h.maxLatency = max(h.maxLatency, r.latency)
		} else {
			lastErr = err
		}
		silent := time.Since(h.lastOK)
		h.mu.Unlock()
		if silent > deadline {
			select {
			case failc <- fmt.Errorf("%w: GET /healthz has not answered for %s (last error: %v); connlab was sent SIGQUIT, its log holds every goroutine's stack", errHealth, silent.Round(time.Second), lastErr):
			default:
			}
			return
		}
	}
}

// goroutineCount is the last count /healthz reported (-1: none).
func (h *healthWatch) goroutineCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.goroutines
}

// takeMaxLatency returns the slowest answer since the last call and resets it.
func (h *healthWatch) takeMaxLatency() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.maxLatency
	h.maxLatency = 0
	return m
}

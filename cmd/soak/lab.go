package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
)

// Experiment statuses (wire.ExpRunning etc.).
const (
	expRunning = "running"
	expFailed  = "failed"
)

// presetNames lists connlab's Lab presets (GET /api/presets).
func presetNames(ctx context.Context, a *api) ([]string, error) {
	var ps []struct {
		Name string `json:"name"`
	}
	if err := a.do(ctx, http.MethodGet, "/api/presets", nil, &ps); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return nil, errors.New("GET /api/presets: no presets")
	}
	return names, nil
}

// startRun starts an experiment from body; busy reports a 429.
func startRun(ctx context.Context, a *api, body any) (id string, busy bool, err error) {
	var out struct {
		ID string `json:"id"`
	}
	err = a.do(ctx, http.MethodPost, "/api/experiments", body, &out)
	if statusOf(err) == http.StatusTooManyRequests {
		return "", true, nil
	}
	if err != nil {
		return "", false, err
	}
	return out.ID, false, nil
}

// runStatus is the part of GET /api/experiments/{id} soak reads.
type runStatus struct {
	Status string `json:"status"`
	Error  string `json:"error"`
}

// waitRun polls the run until it is no longer running, within labRunTimeout.
func waitRun(ctx context.Context, a *api, id string) (runStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, labRunTimeout)
	defer cancel()
	for {
		var st runStatus
		if err := a.do(ctx, http.MethodGet, "/api/experiments/"+id, nil, &st); err != nil {
			return st, err
		}
		if st.Status != expRunning {
			return st, nil
		}
		if err := sleep(ctx, labPollEvery); err != nil {
			return st, fmt.Errorf("experiment %s still running after %s: %w", id, labRunTimeout, err)
		}
	}
}

// lab drives the Lab: labDrivers loops, each starting a random preset,
// letting it end or stopping it, and pausing.
type lab struct {
	api     *api
	presets []string
	pace    float64
	cnt     *counters

	mu      sync.Mutex
	running map[string]bool
}

// ids lists the runs started by the drivers and not seen ended.
func (l *lab) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.running))
	for id := range l.running {
		out = append(out, id)
	}
	return out
}

func (l *lab) set(id string, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if on {
		l.running[id] = true
	} else {
		delete(l.running, id)
	}
}

// Run drives until ctx is done. Runs still going are left to connlab's
// shutdown.
func (l *lab) Run(ctx context.Context) error {
	l.running = map[string]bool{}
	var wg sync.WaitGroup
	for range labDrivers {
		wg.Go(func() { l.drive(ctx) }) // ends with ctx; waited for below
	}
	wg.Wait()
	return nil
}

func (l *lab) drive(ctx context.Context) {
	for ctx.Err() == nil {
		preset := l.presets[rand.IntN(len(l.presets))]
		id, busy, err := startRun(ctx, l.api, map[string]string{"preset": preset})
		switch {
		case ctx.Err() != nil:
			return
		case busy:
			l.cnt.labBusy.Add(1)
			_ = sleep(ctx, jitter(busyBackoff, 1))
			continue
		case err != nil:
			l.cnt.errors.add("lab start "+preset, err)
			_ = sleep(ctx, jitter(labPause, l.pace))
			continue
		}
		l.cnt.labStarted.Add(1)
		l.set(id, true)
		if err := l.follow(ctx, id); err != nil && ctx.Err() == nil {
			l.cnt.errors.add("lab "+preset, err)
		}
		l.set(id, false)
		_ = sleep(ctx, jitter(labPause, l.pace))
	}
}

// follow stops half the runs after a moment and waits for every run to end.
func (l *lab) follow(ctx context.Context, id string) error {
	if rand.IntN(2) == 0 {
		if sleep(ctx, jitter(labStopAfter, l.pace)) != nil {
			return nil
		}
		err := l.api.do(ctx, http.MethodDelete, "/api/experiments/"+id, nil, nil)
		switch {
		case err == nil:
			l.cnt.labStopped.Add(1)
		case statusOf(err) == http.StatusNotFound:
		default:
			return err
		}
	}
	st, err := waitRun(ctx, l.api, id)
	if err != nil {
		return err
	}
	l.cnt.labEnded.Add(1)
	if st.Status == expFailed {
		l.cnt.labFailed.Add(1)
		return fmt.Errorf("experiment %s failed: %s", id, st.Error)
	}
	return nil
}

// flapper unwatches one churn port now and then and watches it again.
func flapper(ctx context.Context, a *api, ports []int, pace float64, cnt *counters) {
	for sleep(ctx, jitter(flapEvery, pace)) == nil {
		p := ports[rand.IntN(len(ports))]
		if err := a.unwatch(ctx, p); err != nil {
			if ctx.Err() == nil {
				cnt.errors.add("unwatch", err)
			}
			continue
		}
		if sleep(ctx, jitter(flapAway, pace)) != nil {
			return // the soak is over: connlab is stopped next
		}
		if err := a.watch(ctx, p); err != nil {
			if ctx.Err() == nil {
				cnt.errors.add("watch", err)
			}
			continue
		}
		cnt.flaps.Add(1)
	}
}

package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// timed is a value recorded at a time.
type timed struct {
	at time.Time
	v  float64
}

// recorder keeps timed values, safe for concurrent use.
type recorder struct {
	mu sync.Mutex
	xs []timed
}

func (r *recorder) add(v float64) {
	r.mu.Lock()
	r.xs = append(r.xs, timed{time.Now(), v})
	r.mu.Unlock()
}

// count is the number of values recorded.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.xs)
}

// between returns the values recorded in [from, to).
func (r *recorder) between(from, to time.Time) []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []float64
	for _, x := range r.xs {
		if !x.at.Before(from) && x.at.Before(to) {
			out = append(out, x.v)
		}
	}
	return out
}

// percent is cpu over wall, in % of one core.
func percent(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return float64(cpu) / float64(wall) * 100
}

// loadAvg is the host's 1-minute load average ("?" if unreadable): the
// timing figures mean little on a host busy with other work.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// rssSteps formats RSS after run 1, then every sixth run, and the last.
func rssSteps(each []int64) string {
	var parts []string
	for i, v := range each {
		if i == 0 || (i+1)%6 == 0 || i == len(each)-1 {
			parts = append(parts, fmt.Sprintf("#%d %.0f", i+1, float64(v)/(1<<20)))
		}
	}
	return strings.Join(slices.Compact(parts), ", ") + " MB"
}

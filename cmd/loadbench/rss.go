package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// childEnv, when set ("<requests>,<concurrency>"), makes this program the
// RSS child: a fresh process that runs one long keep-alive workload with
// full instrumentation and prints an rssResult as JSON.
const childEnv = "CONNLAB_LOADBENCH_RSS"

// rssResult is what the RSS child measured.
type rssResult struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Conns    int     `json:"conns"`
	RPS      float64 `json:"rps"`
	Seconds  float64 `json:"seconds"`
	// PeakRSS (VmHWM) and FinalRSS (VmRSS once the run ended, its result
	// still held by the Manager), in bytes; 0 when /proc is missing.
	PeakRSS  int64 `json:"peakRss"`
	FinalRSS int64 `json:"finalRss"`
	// HeapInuse and Sys are the Go runtime's view at the end (bytes).
	HeapInuse uint64 `json:"heapInuse"`
	Sys       uint64 `json:"sys"`
}

// runRSSChild is the child's whole life.
func runRSSChild(ctx context.Context, arg string, stdout io.Writer) error {
	nStr, cStr, _ := strings.Cut(arg, ",")
	n, err1 := strconv.Atoi(nStr)
	c, err2 := strconv.Atoi(cStr)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%s=%q: want <requests>,<concurrency>", childEnv, arg)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, err := newLab(log)
	if err != nil {
		return err
	}
	defer l.close()
	spec, err := workloadSpec(n, c, true)
	if err != nil {
		return err
	}
	t0 := time.Now()
	s, err := l.runWorkload(ctx, spec)
	if err != nil {
		return err
	}
	res := rssResult{Requests: s.requests, Errors: s.errors, Conns: s.conns, RPS: s.rps, Seconds: time.Since(t0).Seconds()}
	st := readStatus()
	res.PeakRSS, res.FinalRSS = st["VmHWM"], st["VmRSS"]
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapInuse, res.Sys = ms.HeapInuse, ms.Sys
	return json.NewEncoder(stdout).Encode(&res)
}

// measureRSS runs the RSS child (this program re-executed) and returns
// what it measured.
func measureRSS(ctx context.Context, n, c int, stderr io.Writer) (rssResult, error) {
	self, err := os.Executable()
	if err != nil {
		return rssResult{}, fmt.Errorf("rss run: %w", err)
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d", childEnv, n, c))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return rssResult{}, fmt.Errorf("rss run (%d requests): %w", n, err)
	}
	var r rssResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return r, fmt.Errorf("rss run: read its result %q: %w", out.Bytes(), err)
	}
	return r, nil
}

// readStatus reads the "kB" lines of /proc/self/status, in bytes (empty
// where there is no /proc).
func readStatus() map[string]int64 {
	m := map[string]int64{}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		if kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64); err == nil {
			m[k] = kb << 10
		}
	}
	return m
}

package lab_test

import (
	"context"
	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkWorkload measures the instrumented client against its
// in-process server at concurrency 50, keep-alive on and off, with the
// kernel monitor holding the port (b.N requests per run).
func BenchmarkWorkload(b *testing.B) {
	for _, tc := range []struct {
		name string
		off  bool
	}{{"keepalive", false}, {"no-keepalive", true}} {
		b.Run(tc.name, func(b *testing.B) {
			m := lab.NewManager(testKernel, nil, nil, lab.ManagerOptions{})
			defer m.Close()
			s := experiment.Default()
			s.Concurrency = 50
			s.Requests = max(b.N, 50)
			s.Observe = 0
			s.Client.MaxIdleConnsPerHost = 50
			s.Client.DisableKeepAlives = tc.off
			b.ResetTimer()
			id, err := m.Start(context.Background(), s)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			r, err := m.Wait(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if r.Requests.Errors > 0 {
				b.Logf("errors: %v", r.Requests.ErrorSamples)
			}
			b.ReportMetric(r.Latency.RequestsPerSec, "req/s")
		})
	}
}

// TestMillionRequests checks that memory stays bounded on a long run:
// 1,000,000 requests at concurrency 50 (keep-alive), kernel monitor on.
// It takes about 30 s, so it only runs with CONNLAB_LONG=1 (make bench).
func TestMillionRequests(t *testing.T) {
	if os.Getenv("CONNLAB_LONG") == "" {
		t.Skip("set CONNLAB_LONG=1 to run the 1,000,000-request run")
	}
	m := lab.NewManager(testKernel, nil, nil, lab.ManagerOptions{})
	defer m.Close()
	s := experiment.Default()
	s.Concurrency = 50
	s.Requests = 1_000_000
	s.Observe = 0
	s.Client.MaxIdleConnsPerHost = 50
	if kv := os.Getenv("CONNLAB_SET"); kv != "" {
		for _, p := range strings.Fields(kv) {
			if err := experiment.SetPair(&s, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	id, err := m.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	r, err := m.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	hwm := vmHWM(t)
	t.Logf("%d requests, %d errors, %d connections, %.0f req/s, p50 %.3f ms, p99 %.3f ms; peak RSS %d MB",
		r.Requests.Total, r.Requests.Errors, r.Connections.Opened, r.Latency.RequestsPerSec, r.Latency.P50Ms, r.Latency.P99Ms, hwm>>20)
	if r.Requests.Total != s.Requests {
		t.Errorf("%d requests, want %d", r.Requests.Total, s.Requests)
	}
	if len(r.Log) != lab.LogDetail || len(r.Lanes) > lab.LaneDetail {
		t.Errorf("detail not bounded: %d log lines, %d lanes", len(r.Log), len(r.Lanes))
	}
	if hwm > 100<<20 {
		t.Errorf("peak RSS %d MB, want under 100 MB", hwm>>20)
	}
}

// vmHWM is the process's peak resident set size (Linux), in bytes.
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmHWM")
	return 0
}

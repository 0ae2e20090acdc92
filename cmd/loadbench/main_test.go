package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The RSS run is this test binary re-executed.
	if arg := os.Getenv(childEnv); arg != "" {
		if err := runRSSChild(context.Background(), arg, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// heyOutput is hey v0.1.5's summary (histogram shortened).
const heyOutput = `
Summary:
  Total:	0.0423 secs
  Slowest:	0.0297 secs
  Fastest:	0.0020 secs
  Average:	0.0102 secs
  Requests/sec:	472.3127
  
  Total data:	6700 bytes
  Size/request:	335 bytes

Response time histogram:
  0.002 [1]	|■■■
  0.005 [12]	|■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■

Latency distribution:
  10%% in 0.0033 secs
  50%% in 0.0044 secs

Details (average, fastest, slowest):
  DNS+dialup:	0.0003 secs, 0.0000 secs, 0.0034 secs
  resp read:	0.0003 secs, 0.0001 secs, 0.0012 secs

Status code distribution:
  [200]	17 responses
  [503]	1 responses

Error distribution:
  [2]	Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused
`

func TestParseHey(t *testing.T) {
	r, err := parseHey([]byte(heyOutput))
	if err != nil {
		t.Fatal(err)
	}
	if r.rps != 472.3127 || r.responses != 18 || r.errors != 3 {
		t.Errorf("got rps %v, %d responses, %d errors; want 472.3127, 18, 3 (2 transport + one 503)", r.rps, r.responses, r.errors)
	}
	if _, err := parseHey([]byte("Summary:\n  Total: 1 secs\n")); err == nil {
		t.Error("output without Requests/sec parsed")
	}
}

func TestSpreadAndFormat(t *testing.T) {
	s := spreadOf([]float64{30, 10, 20, 40})
	if s.med != 25 || s.lo != 10 || s.hi != 40 || s.n != 4 {
		t.Errorf("spread %+v, want median 25 in 10..40 of 4", s)
	}
	if got := spreadOf([]float64{1234567.4, 999, 1000}).rate(); got != "1,000 (999–1,234,567)" {
		t.Errorf("rate %q", got)
	}
	m := &modeResult{connlab: []float64{90, 80, 100}, hey: []float64{100, 100, 100}}
	med, per := m.ratio()
	if med != 0.9 || per.lo != 0.8 || per.hi != 1 {
		t.Errorf("ratio %v (%v–%v), want 0.9 (0.8–1)", med, per.lo, per.hi)
	}
}

func TestSpecs(t *testing.T) {
	for _, ka := range []bool{true, false} {
		s, err := workloadSpec(1000, 50, ka)
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 1000 || s.Concurrency != 50 || s.Interval != 0 || s.Rate != 0 || s.Observe != 0 ||
			s.Client.MaxIdleConnsPerHost != 50 || s.Client.DisableKeepAlives == ka {
			t.Errorf("keep-alive %v: workload spec %+v", ka, s)
		}
		p, err := parkedSpec(50, ka)
		if err != nil {
			t.Fatal(err)
		}
		if p.Requests != 0 || p.Concurrency != 1 || p.Interval.D() != parkInterval || p.Server != s.Server {
			t.Errorf("keep-alive %v: parked spec %+v", ka, p)
		}
	}
}

func TestFlags(t *testing.T) {
	o, err := parseFlags([]string{"-c", "50", "-n", "1020", "-n-close", "149"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.nKeep != 1000 || o.nClose != 100 {
		t.Errorf("n %d, n-close %d: want multiples of c (1000, 100)", o.nKeep, o.nClose)
	}
	for _, args := range [][]string{{"-c", "0"}, {"-n", "10"}, {"-rounds", "0"}, {"extra"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestLabWorkload runs a short instrumented workload and a parked
// experiment served by a plain Go client, without hey.
func TestLabWorkload(t *testing.T) {
	l, err := newLab(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	ctx := context.Background()
	spec, err := workloadSpec(300, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.runWorkload(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if s.requests != 300 || s.errors != 0 || s.served != 300 || s.conns != 300 || s.rps <= 0 {
		t.Errorf("keep-alive off: %+v; want 300 requests on 300 connections, no errors", s)
	}
	ps, err := parkedSpec(10, true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.park(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.url, "http://127.0.0.1:") {
		t.Errorf("parked url %q", p.url)
	}
	served, _, err := p.end(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The parked client sends one request, or none when stopped first.
	if served > 1 {
		t.Errorf("parked experiment served %d requests, want at most 1", served)
	}
}

// TestRSSChild re-executes the test binary as the RSS child.
func TestRSSChild(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := measureRSS(ctx, 500, 10, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 500 || r.Errors != 0 || r.RPS <= 0 {
		t.Errorf("rss run %+v, want 500 requests without errors", r)
	}
	if _, err := os.Stat("/proc/self/status"); err == nil && (r.PeakRSS <= 0 || r.FinalRSS <= 0 || r.FinalRSS > r.PeakRSS) {
		t.Errorf("peak %d, final %d: want 0 < final <= peak", r.PeakRSS, r.FinalRSS)
	}
}

// TestRunSmall runs the whole benchmark with a few hundred requests; it
// needs hey already installed (it does not install it: no network).
func TestRunSmall(t *testing.T) {
	bin, err := findHey(context.Background(), "", false, io.Discard)
	if errors.Is(err, errNoHey) {
		t.Skip("hey is not installed (go run ./cmd/loadbench installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	args := []string{"-hey", bin, "-c", "10", "-rounds", "1", "-n", "300", "-n-close", "200", "-rss-requests", "300"}
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for line := range strings.Lines(out.String()) {
		f := strings.Split(line, "|")
		if len(f) < 6 {
			continue
		}
		if k := strings.TrimSpace(f[1]); rows[k] == nil {
			rows[k] = f // the throughput table comes first
		}
	}
	for _, mode := range []string{"on", "off"} {
		f, ok := rows[mode]
		if !ok {
			t.Fatalf("no %q row in:\n%s", mode, out.String())
		}
		ratio, err := strconv.ParseFloat(strings.Trim(strings.Fields(f[5])[0], "*x"), 64)
		if err != nil || ratio <= 0 {
			t.Errorf("keep-alive %s: ratio %q", mode, f[5])
		}
		if errs := strings.TrimSpace(f[len(f)-2]); errs != "0 · 0" {
			t.Errorf("keep-alive %s: errors %q", mode, errs)
		}
	}
	if !strings.Contains(out.String(), "| keep-alive on, c=10, full instrumentation | 300 |") {
		t.Errorf("no RSS row in:\n%s", out.String())
	}
}

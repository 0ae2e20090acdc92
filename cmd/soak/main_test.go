package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// testBin is connlab built once for the tests of the package (by the same
// buildConnlab the tool uses); TestMain removes it.
var (
	testBinOnce sync.Once
	testBinDir  string
	testBin     string
	testBinErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if testBinDir != "" {
		_ = os.RemoveAll(testBinDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// connlabBin builds connlab once, or skips where soak cannot run.
func connlabBin(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("soak reads /proc: Linux only")
	}
	testBinOnce.Do(func() {
		testBinDir, testBinErr = os.MkdirTemp("", "soak-test-")
		if testBinErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		testBin, testBinErr = buildConnlab(ctx, testBinDir)
	})
	if testBinErr != nil {
		t.Fatal(testBinErr)
	}
	return testBin
}

// testCtx bounds a test's soak well under go test's timeout.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// shortOptions is a soak of a few seconds with fast periods and a quick
// pace; its growth is not judged (too short), by design. Its work
// directory (connlab's logs) is the test's.
func shortOptions(t *testing.T, bin string) options {
	return options{duration: 4 * time.Second, every: time.Second, bin: bin, pace: 0.2, healthDeadline: defaultHealthDeadline, dir: t.TempDir()}
}

// TestSoakShort runs the whole tool briefly: build, child, churn, viewers,
// Lab, report lines, SIGTERM and the port check.
func TestSoakShort(t *testing.T) {
	o := shortOptions(t, connlabBin(t))
	var out strings.Builder
	sum, err := runSoak(testCtx(t), o, &out)
	if err != nil {
		t.Fatalf("soak: %v\n%s", err, out.String())
	}
	if sum.periods != 4 || len(sum.lines) != 4 {
		t.Errorf("periods = %d, lines = %d, want 4 and 4", sum.periods, len(sum.lines))
	}
	// Every part of the workload ran: the tool waits for that before its
	// first period (or fails), so this checks the counters reach the summary.
	if sum.conns == 0 || sum.sessions == 0 || sum.ticks == 0 || sum.labStarted == 0 {
		t.Errorf("workload: %d connections, %d sessions, %d ticks, %d Lab runs: want each > 0", sum.conns, sum.sessions, sum.ticks, sum.labStarted)
	}
	if sum.judged {
		t.Errorf("a 4 s run was judged for growth: %v", sum.verdicts)
	}
	for _, want := range []string{"growth: not judged", "exited with status 0", "soak: PASS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestSoakDetectsDeath kills connlab after the first period: the soak must
// fail and say connlab died.
func TestSoakDetectsDeath(t *testing.T) {
	o := shortOptions(t, connlabBin(t))
	o.duration = time.Minute // ended by the failure long before
	o.onPeriod = func(pid, n int) {
		if n == 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	_, err := runSoak(testCtx(t), o, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "connlab died: signal: killed") {
		t.Fatalf("err = %v, want connlab died: signal: killed", err)
	}
}

// TestSoakDetectsHang stops connlab (SIGSTOP) after the first period:
// /healthz goes silent, the soak must fail on its deadline and have
// connlab dump its goroutines.
func TestSoakDetectsHang(t *testing.T) {
	o := shortOptions(t, connlabBin(t))
	o.duration = time.Minute
	o.healthDeadline = 2 * time.Second
	o.onPeriod = func(pid, n int) {
		if n == 1 {
			_ = syscall.Kill(pid, syscall.SIGSTOP)
		}
	}
	var out strings.Builder
	_, err := runSoak(testCtx(t), o, &out)
	if !errors.Is(err, errHealth) {
		t.Fatalf("err = %v, want a /healthz failure", err)
	}
	dir := o.dir
	logs, _ := os.ReadDir(dir)
	var stacks bool
	for _, e := range logs {
		if strings.HasSuffix(e.Name(), ".log") {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			stacks = stacks || strings.Contains(string(b), "SIGQUIT") && strings.Contains(string(b), "goroutine ")
		}
	}
	if !stacks {
		t.Errorf("connlab's log in %s holds no SIGQUIT goroutine dump", dir)
	}
}

// TestAbuseShort runs -abuse at a small scale: every figure is measured
// (targets are not asserted: they are timing figures, not test verdicts).
func TestAbuseShort(t *testing.T) {
	o := shortOptions(t, connlabBin(t))
	o.abuse = abuseOptions{on: true, runs: 2, clients: 2, subscribes: 20, sockets: 200, window: time.Second}
	var out strings.Builder
	rep, err := runAbuse(testCtx(t), o, &out)
	if err != nil {
		t.Fatalf("abuse: %v\n%s", err, out.String())
	}
	if rep.labRuns != 2 || rep.labRSS <= 0 {
		t.Errorf("Lab: %d runs, RSS %d: want 2 runs and an RSS", rep.labRuns, rep.labRSS)
	}
	// The burst's 200 TIME_WAIT sockets last 60 s: all are still there.
	if rep.sockets < 200 || rep.snapshot == 0 {
		t.Errorf("abused port: %d sockets, snapshot %d bytes: want ≥ 200 and > 0", rep.sockets, rep.snapshot)
	}
	if len(rep.variants) != 2 {
		t.Fatalf("%d variants, want 2", len(rep.variants))
	}
	// Per-window rates and latencies are figures, not asserted: on a host
	// busy with other work a 1 s window can hold no tick and no /healthz
	// answer. What holds on any host: the tool waited for the viewer's
	// first tick, read RSS at each window's end, and drained every client.
	if rep.ticks == 0 {
		t.Error("the well-behaved viewer got no tick")
	}
	for _, f := range rep.variants {
		n := 0
		for _, c := range f.ends {
			n += c
		}
		if n != 2 {
			t.Errorf("%s: endings %v, want 2 clients", f.name, f.ends)
		}
		if f.rssBase == 0 || f.rssPeak == 0 {
			t.Errorf("%s: RSS %d → %d: want both > 0", f.name, f.rssBase, f.rssPeak)
		}
	}
	if !strings.Contains(out.String(), "how the 2 abusive clients ended") {
		t.Errorf("no table:\n%s", out.String())
	}
}

func TestJudge(t *testing.T) {
	mb := func(xs ...float64) []float64 {
		for i := range xs {
			xs[i] *= 1 << 20
		}
		return xs
	}
	tests := []struct {
		name   string
		xs     []float64
		l      limit
		judged bool
		grew   bool
	}{
		{"too short", mb(10, 20, 30, 40, 50), limitRSS, false, false},
		{"warm-up then flat", mb(10, 30, 45, 48, 50, 49, 50, 51, 50, 50), limitRSS, true, false},
		{"steady leak", mb(10, 20, 30, 40, 50, 60, 70, 80, 90), limitRSS, true, true},
		{"noise in the middle third", mb(40, 45, 50, 70, 48, 50, 52, 51, 49), limitRSS, true, false},
		{"step in the last third", mb(40, 45, 50, 50, 50, 50, 50, 50, 80), limitRSS, true, true},
		{"fds within slack", []float64{20, 25, 30, 30, 31, 30, 40, 45, 45}, limitFDs, true, false},
		{"fds leak", []float64{20, 40, 60, 80, 100, 120}, limitFDs, true, true},
		{"goroutines jitter", []float64{50, 300, 320, 310, 330, 300, 325, 340, 335, 320, 350, 341}, limitGoroutines, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, judged := judge(tc.xs, tc.l)
			if judged != tc.judged || v.grew != tc.grew {
				t.Errorf("judge = grew %v (judged %v): %s; want grew %v (judged %v)", v.grew, judged, v.detail, tc.grew, tc.judged)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestParseCPU(t *testing.T) {
	// A command name with spaces and parentheses; utime 250, stime 50 ticks.
	stat := []byte("4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 100 2000000 3000 18446744073709551615\n")
	got, err := parseCPU(stat)
	if err != nil || got != 3*time.Second {
		t.Fatalf("parseCPU = %v, %v; want 3s", got, err)
	}
	if _, err := parseCPU([]byte("4242 (x S 1")); err == nil {
		t.Error("parseCPU accepted a line without ')'")
	}
}

func TestKind(t *testing.T) {
	for msg, want := range map[string]string{
		`{"type":"tick","port":1}`:   "tick",
		`{"type":"exp-snapshot"}`:    "exp-snapshot",
		`{"port":1,"type":"tick"}`:   "",
		`not json`:                   "",
		`{"type":"` + "unterminated": "",
	} {
		if got := kind([]byte(msg)); got != want {
			t.Errorf("kind(%s) = %q, want %q", msg, got, want)
		}
	}
}

func TestParseSS(t *testing.T) {
	out := `LISTEN     0      4096   127.0.0.1:45011   0.0.0.0:*   users:(("connlab",pid=22602,fd=11))
TIME-WAIT  0      0      127.0.0.1:45011   127.0.0.1:50000
TIME-WAIT  0      0      127.0.0.1:45011   127.0.0.1:50002
FIN-WAIT-1 0      1200   127.0.0.1:45011   127.0.0.1:50004
`
	ps := parseSS(out)
	if ps.timeWait != 2 || ps.foreign != 1 || len(ps.left) != 1 || !strings.HasPrefix(ps.left[0], "FIN-WAIT-1 ") {
		t.Errorf("parseSS = %+v; want 2 TIME_WAIT, 1 foreign, the FIN-WAIT-1 left", ps)
	}
	if ps := parseSS(""); ps.timeWait != 0 || ps.foreign != 0 || len(ps.left) != 0 {
		t.Errorf("parseSS(\"\") = %+v, want nothing", ps)
	}
}

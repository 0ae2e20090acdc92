package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/connlab/connlab/internal/hostpop"
	"go.uber.org/goleak"
)

// binDir holds the connlab binary the tests build once per process.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	hostpop.IfHolder() // the population's holders are this test binary re-executed
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func connlabBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "flowbench-test-"); binErr == nil {
			binPath, binErr = buildConnlab(context.Background(), binDir)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// TestQuick runs the whole benchmark in its quick mode against real connlab
// processes: every table has its rows, eBPF counted every churned
// connection (run fails otherwise), and nothing it started outlives it.
func TestQuick(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("flowbench needs eBPF: run as root")
	}
	bin := connlabBin(t)
	fdsBefore := socketFDs(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-quick", "-connlab", bin}, &out, io.Discard); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	want := map[string]int{"connlab CPU, watched port idle": 4, "connlab CPU per 1,000 transitions/s": 8, "Kernel-side cost": 4}
	for title, rows := range tables(out.String()) {
		for prefix, n := range want {
			if strings.HasPrefix(title, prefix) {
				if rows != n {
					t.Errorf("table %q has %d rows, want %d", title, rows, n)
				}
				delete(want, prefix)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("tables missing: %v\n%s", want, out.String())
	}
	if !strings.Contains(out.String(), "Counted by connlab") || !strings.Contains(out.String(), "per program run") {
		t.Errorf("no count check or BPF statistics line:\n%s", out.String())
	}
	// Everything started is gone: no child process left (connlab processes,
	// population holders), and this process holds no more sockets than it
	// did (listeners, churned and idle connections, websockets, API
	// connections closed).
	if kids := children(t); len(kids) > 0 {
		t.Errorf("child processes left: %v", kids)
	}
	if fds := socketFDs(t); fds > fdsBefore {
		t.Errorf("%d sockets open after the run, %d before", fds, fdsBefore)
	}
}

func TestQueueDrops(t *testing.T) {
	log := `time=2026-12-01T18:38:59.006Z level=INFO msg="connection caps" openFileLimit=20000
time=2026-12-01T18:39:00.000Z level=WARN msg="monitor: kernel transitions dropped (queue full)" n=12
time=2026-12-01T18:39:00.010Z level=WARN msg="monitor: kernel transitions dropped (queue full)" n=30
`
	if n := queueDrops(log); n != 42 {
		t.Errorf("queueDrops = %d, want 42", n)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-window", "1s"}, io.Discard)
	if err != nil || o.window.String() != "1s" || o.rounds != 1 || len(o.sizes) != 1 {
		t.Errorf("-quick -window 1s = %+v, %v; want the window given and the quick rest", o, err)
	}
	for _, bad := range [][]string{{"-sizes", "1k"}, {"-rounds", "0"}, {"-rate", "-1"}, {"-bogus"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%v): want an error", bad)
		}
	}
}

// tables maps each "### title" of a report to its table's data rows.
func tables(report string) map[string]int {
	out := map[string]int{}
	title := ""
	for line := range strings.Lines(report) {
		switch {
		case strings.HasPrefix(line, "### "):
			title = strings.TrimSpace(strings.TrimPrefix(line, "### "))
			out[title] = -1 // the header row is not data
		case title != "" && strings.HasPrefix(line, "|") && !strings.HasPrefix(line, "|---"):
			out[title]++
		}
	}
	return out
}

// socketFDs counts this process's socket descriptors.
func socketFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// children lists the processes whose parent is this one.
func children(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	self := strconv.Itoa(os.Getpid())
	var kids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == self {
			kids = append(kids, pid)
		}
	}
	return kids
}

package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/hostpop"
)

func TestMain(m *testing.M) {
	// The population's holders are this test binary re-executed.
	hostpop.IfHolder()
	goleak.VerifyTestMain(m)
}

// TestRunSmall runs the whole benchmark on a small population: holders are
// started and stopped, each method sees port P's sockets.
func TestRunSmall(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss is not installed")
	}
	budget = 50 * time.Millisecond
	const added = 300
	target := hostpop.HostSockets() + added
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-sizes", strconv.Itoa(target)}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for line := range strings.Lines(out.String()) {
		f := strings.Split(line, "|")
		if len(f) < 9 || !strings.Contains(line, " ms ") {
			continue
		}
		rows++
		method, onP := strings.TrimSpace(f[2]), strings.TrimSpace(f[7])
		// At least the population's: a kernel-picked P may also be the
		// local port of another process's TIME_WAIT or client socket (a
		// listener can bind a port that a finished connection still holds),
		// so strangers can add to the count, never take from it.
		if n, err := strconv.Atoi(onP); err != nil || n < 2*portPairs+1 {
			t.Errorf("%s saw %s sockets on P, want at least %d", method, onP, 2*portPairs+1)
		}
		host, _ := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f[1]), ",", ""))
		// Other processes come and go on a shared host, by thousands when
		// other test suites run (their TIME_WAITs expire: seen 500 fewer
		// than at the start): only the population this run added is sure
		// to be there, 300 sockets (50 of slack for the holders' own).
		if host < added-50 {
			t.Errorf("%s measured at %d sockets, want at least the %d this run added", method, host, added)
		}
	}
	if rows != 3 {
		t.Errorf("%d table rows, want 3:\n%s", rows, out.String())
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("1000, 10000,50000")
	if err != nil || len(got) != 3 || got[2] != 50000 {
		t.Errorf("parseSizes = %v, %v", got, err)
	}
	if _, err := parseSizes("1k"); err == nil {
		t.Error("parseSizes(1k): want an error")
	}
	if thousands(50003) != "50,003" || thousands(999) != "999" || thousands(1000000) != "1,000,000" {
		t.Error("thousands")
	}
}

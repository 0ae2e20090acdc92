package tcpevents

import (
	"context"
	"os"
	"testing"
	"time"
)

// fdCount counts this process's open file descriptors.
func fdCount(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestOpenCloseReleases: Open, watch, Run, Close leaves no descriptor (maps,
// programs, links, ring buffer, epoll) behind; goleak in TestMain checks
// the goroutines.
func TestOpenCloseReleases(t *testing.T) {
	openOrSkip(t, Config{}) // skips here if unavailable, before counting
	before := fdCount(t)
	for range 3 {
		func() {
			s := openOrSkip(t, Config{})
			if err := s.SetPorts([]uint16{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			col := collect(t, s)
			col.stop(t)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if err := s.SetPorts([]uint16{1}); err == nil {
				t.Error("SetPorts after Close succeeded")
			}
			if err := s.Run(context.Background(), func(*Event) {}); err == nil {
				t.Error("Run after Close succeeded")
			}
		}()
	}
	if after := fdCount(t); after != before {
		t.Errorf("open descriptors: %d before, %d after three Open/Close", before, after)
	}
}

// TestCloseDuringRun: Close wakes a Run blocked on the ring buffer, which
// returns an error (it did not stop for its context).
func TestCloseDuringRun(t *testing.T) {
	s := openOrSkip(t, Config{})
	done := make(chan error, 1)
	running := make(chan struct{})
	go func() { // ends when Close interrupts Run; the test waits for it
		close(running)
		done <- s.Run(context.Background(), func(*Event) {})
	}()
	<-running
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run returned nil after Close; want an error")
		}
	case <-time.After(waitLimit):
		t.Fatalf("Run still blocked %v after Close", waitLimit)
	}
}

// TestRunStops: Run returns nil promptly when its context ends, refuses a
// second concurrent Run, and can run again afterwards.
func TestRunStops(t *testing.T) {
	s := sharedSource(t)
	ln := listen(t, "127.0.0.1:0")
	if err := s.SetPorts([]uint16{portOf(ln)}); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		col := collect(t, s)
		c := lifecycle(t, ln)
		col.waitFor(t, "a lifecycle", func(evs []Event) bool { return complete(evs, c) })
		if err := s.Run(context.Background(), func(*Event) {}); err == nil {
			t.Fatalf("round %d: a second concurrent Run succeeded", round)
		}
		start := time.Now()
		col.stop(t) // blocks in Run's ring buffer wait until cancel
		t.Logf("round %d: Run returned %v after cancel", round, time.Since(start))
	}
}

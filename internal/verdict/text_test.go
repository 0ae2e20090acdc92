package verdict

import (
	"reflect"
	"testing"
)

func TestPct(t *testing.T) {
	cases := []struct {
		n, d int
		want string
	}{
		{0, 0, "0%"}, {0, 20, "0%"}, {20, 20, "100%"}, {99, 100, "99%"}, {999, 1000, ">99%"},
		{600, 1000, "60%"}, {398, 28232, "1.4%"}, {1, 2000, "<0.1%"}, {1, 20, "5%"}, {1, 3, "33%"},
	}
	for _, c := range cases {
		if got := Percent(c.n, c.d); got != c.want {
			t.Errorf("Percent(%d, %d) = %q, want %q", c.n, c.d, got, c.want)
		}
	}
}

func TestRatio(t *testing.T) {
	cases := []struct {
		n, d int
		want string
	}{{100, 1, "100"}, {1000, 400, "2.5"}, {100, 3, "33"}, {5, 0, "0"}, {20, 20, "1"}}
	for _, c := range cases {
		if got := ratio(c.n, c.d); got != c.want {
			t.Errorf("ratio(%d, %d) = %q, want %q", c.n, c.d, got, c.want)
		}
	}
}

func TestMs(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{{0.21, "0.21 ms"}, {18, "18.0 ms"}, {250, "250 ms"}, {61200, "61.2 s"}, {300_000, "300 s"}}
	for _, c := range cases {
		if got := ms(c.v); got != c.want {
			t.Errorf("ms(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestCountAndOf(t *testing.T) {
	if got := count(1, "connection", "connections"); got != "1 connection" {
		t.Errorf("count(1) = %q", got)
	}
	if got := count(0, "connection", "connections"); got != "0 connections" {
		t.Errorf("count(0) = %q", got)
	}
	if got := of(0, 1, "request", "requests"); got != "0 of 1 request" {
		t.Errorf("of(0, 1) = %q", got)
	}
	if got := of(20, 20, "request", "requests"); got != "20 of 20 requests" {
		t.Errorf("of(20, 20) = %q", got)
	}
}

func TestQuoteKeepsOneShortLine(t *testing.T) {
	got := quote("read tcp:\n  connection reset by peer", 30)
	if want := "`read tcp: connection reset by…`"; got != want {
		t.Errorf("quote = %q, want %q", got, want)
	}
	// Cut on runes, never inside a UTF-8 sequence.
	got = quote("éééééééé", 5)
	if want := "`éééé…`"; got != want {
		t.Errorf("quote = %q, want %q", got, want)
	}
}

// FuzzAnalyze feeds arbitrary counts: Analyze never panics and its findings
// stay well formed and deterministic.
func FuzzAnalyze(f *testing.F) {
	f.Add(100, 0, 99, 0, 1, 0, 1, 0, 0, 12, 0, 1, 1, false)
	f.Add(20, 0, 0, 0, 20, 20, 0, 0, 0, 340, 20, 0, 1, true)
	f.Add(10, 4, 5, 4, 14, 13, 1, 2, 14, 0, 0, 0, 2, true)
	f.Fuzz(func(t *testing.T, total, errs, reused, retried, accepted, byServer, byClient, reset, idleClosed, polls, twServer, twClient, peakOpen int, completed bool) {
		ev := Evidence{
			Completed: completed,
			Requests: Requests{Total: total, Errors: errs, Reused: reused, Retried: retried,
				ServerSaw: map[string]int{"close": byServer}, Protos: map[string]int{"HTTP/1.1": total}},
			Connections: Connections{Accepted: accepted, ClosedFirstServer: byServer, ClosedFirstClient: byClient,
				Reset: reset, ServerIdleClosed: idleClosed, PeakOpen: peakOpen},
			Kernel: Kernel{Polls: polls, TimeWaitPeakServer: twServer, TimeWaitPeakClient: twClient, DrainedMs: -1},
		}
		fs := Analyze(ev)
		if len(fs) < 9 {
			t.Fatalf("%d findings", len(fs))
		}
		for _, f := range fs {
			if err := wellFormed(f); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(fs, Analyze(ev)) {
			t.Fatal("two runs on the same evidence differ")
		}
		if Headline(fs) == "" {
			t.Fatal("empty headline")
		}
	})
}

package verdict

import (
	"strings"
	"testing"
)

// These tests pin the sentences issue #8 found overclaiming: each one is
// built from the population it counts, and states what was measured.

func hasLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func TestFocusFirstAndAnswer(t *testing.T) {
	ev := clientDisableKeepAlives()
	ev.Focus = IDClosedFirst
	fs := Analyze(ev)
	if fs[0].ID != IDClosedFirst {
		t.Fatalf("first finding %s, want %s", fs[0].ID, IDClosedFirst)
	}
	if a := Answer(fs, ev.Focus); a != fs[0].Text || !strings.Contains(a, "→ 20 TIME_WAIT on the server") {
		t.Fatalf("answer %q", a)
	}
	ev.Completed = false
	fs = Analyze(ev)
	if fs[0].ID != IDCompleted || fs[1].ID != IDClosedFirst {
		t.Fatalf("partial run: order %s, %s", fs[0].ID, fs[1].ID)
	}
	if a := Answer(fs, ev.Focus); !strings.HasSuffix(a, "(partial: the run did not complete)") {
		t.Fatalf("partial answer %q", a)
	}
	if a := Answer(Analyze(keepAliveDefault()), ""); a == "" {
		t.Fatal("no answer without a focus")
	}
}

// Reuse is the server's count; httptrace's is shown beside it, labelled.
func TestReuseCountedByTheServer(t *testing.T) {
	ev := poolChurn()
	ev.Connections.Carried, ev.Connections.ReusedRequests = 380, 1620
	ev.Connections.Unused = 20
	ev.Requests.Total, ev.Requests.Reused = 2000, 1784
	f := Analyze(ev)[0]
	if f.ID != IDReuse || !strings.Contains(f.Text, "380 connections for 2000 requests") || !strings.Contains(f.Text, "20 more never used") {
		t.Fatalf("reuse text %q", f.Text)
	}
	if !hasLine(f.Evidence, "server: 1620 of 2000 requests served went over an already-used connection") ||
		!hasLine(f.Evidence, "httptrace: GotConn reported a reused connection on 1784 of 2000 requests, 164 more than the server counts") {
		t.Fatalf("reuse evidence %q", f.Evidence)
	}
}

// TIME_WAIT the teardown left is reported as such, never as "none".
func TestTeardownTimeWaitReported(t *testing.T) {
	ev := keepAliveDefault()
	ev.Kernel.TimeWaitPeakClient, ev.Kernel.TimeWaitEndClient = 0, 0
	ev.Connections.ClosedFirstClient = 0
	ev.Connections.TeardownTimeWaitClient = 1
	var tw Finding
	for _, f := range Analyze(ev) {
		if f.ID == IDTimeWait {
			tw = f
		}
	}
	if strings.Contains(tw.Text, "No TIME_WAIT on either side") || !strings.Contains(tw.Text, "connlab's teardown left 1 on the client") {
		t.Fatalf("time-wait text %q", tw.Text)
	}
	ev.Kernel.TimeWaitPeakServer, ev.Connections.TeardownTimeWaitServer = 5, 50
	for _, f := range Analyze(ev) {
		if f.ID == IDTimeWait && !strings.Contains(f.Text, "plus 50 on the server and 1 on the client from connlab's teardown") {
			t.Fatalf("time-wait text %q", f.Text)
		}
	}
}

// CLOSE_WAIT is a leak only on evidence of one.
func TestCloseWaitLeakOnlyOnEvidence(t *testing.T) {
	ev := poolChurn()
	ev.Kernel.CloseWaitPeakServer = 27
	ev.Connections.CloseWaitMedianMs, ev.Connections.CloseWaitMaxMs = 3.6, 29
	f := findByID(Analyze(ev), IDCloseWait)
	if f == nil || f.Level != LevelInfo || !strings.Contains(f.Text, "transient") || !strings.Contains(f.Text, "29.0 ms") {
		t.Fatalf("transient CLOSE_WAIT: %+v", f)
	}
	ev.Connections.LeftInCloseWaitServer = 3
	f = findByID(Analyze(ev), IDCloseWait)
	if f == nil || f.Level != LevelWarn || !strings.Contains(f.Text, "leak on the server: 3 connections") {
		t.Fatalf("leaked CLOSE_WAIT: %+v", f)
	}
	ev.Connections.LeftInCloseWaitServer, ev.Connections.CloseWaitOver = 0, 2
	if f = findByID(Analyze(ev), IDCloseWait); f == nil || f.Level != LevelWarn || !strings.Contains(f.Text, "Slow closes: 2 sides") {
		t.Fatalf("slow closes: %+v", f)
	}
	// Evidence of a leak reaches the verdict even when no poll caught it.
	ev.Kernel.CloseWaitPeakServer = 0
	if findByID(Analyze(ev), IDCloseWait) == nil {
		t.Fatal("a leak no poll caught was not reported")
	}
}

package verdict

import (
	"strings"
	"testing"
)

func findByID(fs []Finding, id string) *Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

func TestWatch(t *testing.T) {
	base := WatchEvidence{Port: 8081, Source: "ebpf", WindowSec: 60, IntervalMs: 250, LifetimeP50Ms: 1.2, LifetimeP99Ms: 4.8, Lifetimes: 60, ExhaustSec: -1, PortRange: 28232}
	tests := []struct {
		name  string
		edit  func(e *WatchEvidence)
		first string   // the first finding's text contains this
		ids   []string // finding IDs, in order
		lab   string   // the first finding's Lab preset
		level string   // the first finding's level
	}{
		{"server first, per request", func(e *WatchEvidence) {
			e.Opened, e.ClosedServer, e.ClosedClient, e.PerSec, e.TimeWaitSteadyServer, e.TimeWaitNowServer = 60, 58, 2, 1, 58, 57
		}, "The server closes first on 97% of connections (58 of 60, 60/min) → TIME_WAIT piles up on the server: about 58 held",
			[]string{IDWatchCloser, IDWatchLifetime, IDWatchSource}, "client-disable-keepalive", LevelInfo},
		{"server first, idle timeout", func(e *WatchEvidence) {
			e.Opened, e.ClosedServer, e.LifetimeP50Ms = 10, 10, 30_000
		}, "The server closes first on 100% of connections (10 of 10", []string{IDWatchCloser, IDWatchLifetime, IDWatchSource}, "server-idle-timeout", LevelInfo},
		{"client first, pool churn, heading for exhaustion", func(e *WatchEvidence) {
			e.Opened, e.ClosedClient, e.PerSec, e.TimeWaitSteadyClient, e.ExhaustSec = 30000, 30000, 500, 30000, 40
		}, "The client closes first on 100%", []string{IDWatchCloser, IDWatchLifetime, IDWatchEphemeral, IDWatchSource}, "pool-churn", LevelInfo},
		{"mixed", func(e *WatchEvidence) { e.Opened, e.ClosedServer, e.ClosedClient = 10, 5, 5 },
			"Both sides close first: the server on 50%, the client on 50%", []string{IDWatchCloser, IDWatchLifetime, IDWatchSource}, "server-idle-timeout", LevelInfo},
		{"resets", func(e *WatchEvidence) { e.Opened, e.ClosedClient, e.Resets = 20, 20, 20 },
			"The client closes first", []string{IDWatchCloser, IDWatchResets, IDWatchLifetime, IDWatchSource}, "pool-churn", LevelInfo},
		{"nothing closed", func(e *WatchEvidence) { e.Lifetimes, e.LifetimeP50Ms = 0, -1 },
			"No connection of port 8081 closed in the last 60 s", []string{IDWatchCloser, IDWatchSource}, "", LevelInfo},
		{"thin evidence just after watching began", func(e *WatchEvidence) { e.WindowSec, e.Opened, e.ClosedServer = 3, 2, 2 },
			"(only 2 closes so far)", []string{IDWatchCloser, IDWatchLifetime, IDWatchSource}, "client-disable-keepalive", LevelInfo},
		{"polls: lower bounds, no resets nor lifetimes", func(e *WatchEvidence) {
			e.Source, e.LifetimeP50Ms, e.LifetimeP99Ms, e.Lifetimes, e.Resets, e.Opened, e.ClosedServer = "polls", -1, -1, 0, 3, 4, 9
		}, "The server closes first", []string{IDWatchCloser, IDWatchSource}, "client-disable-keepalive", LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := base
			tt.edit(&ev)
			fs := Watch(ev)
			var ids []string
			for _, f := range fs {
				ids = append(ids, f.ID)
				if f.Text == "" || len(f.Evidence) == 0 {
					t.Errorf("finding %s without text or evidence", f.ID)
				}
				for _, e := range f.Evidence {
					if !strings.HasPrefix(e, ev.Source+": ") && !strings.HasPrefix(e, "polls: ") && !strings.HasPrefix(e, "kernel: ") {
						t.Errorf("evidence line %q does not name its source", e)
					}
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
				t.Fatalf("findings %v, want %v", ids, tt.ids)
			}
			if !strings.Contains(fs[0].Text, tt.first) || fs[0].Lab != tt.lab || fs[0].Level != tt.level {
				t.Fatalf("first finding %q (lab %q, %s), want it to contain %q (lab %q, %s)", fs[0].Text, fs[0].Lab, fs[0].Level, tt.first, tt.lab, tt.level)
			}
		})
	}
}

func TestWatchPollsSaysLowerBounds(t *testing.T) {
	fs := Watch(WatchEvidence{Port: 1, Source: "polls", WindowSec: 60, IntervalMs: 250, LifetimeP50Ms: -1, ExhaustSec: -1, Opened: 3, ClosedServer: 3})
	if !strings.Contains(fs[0].Evidence[0], "at least 3 connections closed") {
		t.Errorf("polls evidence must say 'at least': %q", fs[0].Evidence[0])
	}
	src := findByID(fs, IDWatchSource)
	if src == nil || !strings.Contains(src.Text, "lower bounds") || !strings.Contains(src.Change, "cap_bpf") {
		t.Errorf("source finding %+v", src)
	}
}

func TestWatchLostEvents(t *testing.T) {
	fs := Watch(WatchEvidence{Port: 1, Source: "ebpf", WindowSec: 60, LifetimeP50Ms: -1, ExhaustSec: -1, LostEvents: 12})
	if src := findByID(fs, IDWatchSource); src == nil || src.Level != LevelWarn || !strings.Contains(src.Text, "12 events were lost") {
		t.Errorf("source finding %+v", src)
	}
}

func TestWatchEphemeralBad(t *testing.T) {
	fs := Watch(WatchEvidence{Port: 1, Source: "ebpf", WindowSec: 60, LifetimeP50Ms: -1, ExhaustSec: 30, PortRange: 28232})
	if f := findByID(fs, IDWatchEphemeral); f == nil || f.Level != LevelBad {
		t.Errorf("ephemeral finding %+v", f)
	}
}

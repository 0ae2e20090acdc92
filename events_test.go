package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/tcpevents"
	"github.com/connlab/connlab/internal/wire"
)

// TestTransitionsSourceReported: the dashboard says which source tells
// Watch who closes first: eBPF when the kernel allows it here, otherwise
// polls with the reason.
func TestTransitionsSourceReported(t *testing.T) {
	want, reason := "ebpf", ""
	if src, err := tcpevents.Open(slog.New(slog.DiscardHandler), tcpevents.Config{}); err != nil {
		want, reason = "polls", err.Error()
		t.Logf("eBPF unavailable here (%v): checking the polls fallback", err)
	} else {
		_ = src.Close()
	}
	checkTransitionsSource(t, nil, want, strings.SplitN(reason, ":", 2)[0])
}

// TestTransitionsPollsFlag: -transitions polls keeps Watch on polls even
// where eBPF works, and says so.
func TestTransitionsPollsFlag(t *testing.T) {
	checkTransitionsSource(t, []string{"-transitions", "polls"}, "polls", "-transitions polls")
}

// checkTransitionsSource serves with args and checks /api/system's
// transitions source, and that its note contains why when it is polls.
func checkTransitionsSource(t *testing.T, args []string, want, why string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	args = append([]string{"-addr", "127.0.0.1:0"}, args...)
	go func() { done <- run(ctx, args, &out, &errOut) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no listening line; stdout %q stderr %q", out.String(), errOut.String())
		}
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		time.Sleep(10 * time.Millisecond) // polling step
	}
	resp, err := http.Get(url + "/api/system")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sys wire.System
	if err := json.NewDecoder(resp.Body).Decode(&sys); err != nil {
		t.Fatal(err)
	}
	if sys.Transitions != want {
		t.Fatalf("transitions %q, want %q", sys.Transitions, want)
	}
	if want == "polls" && !strings.Contains(sys.TransitionsNote, why) {
		t.Fatalf("transitionsNote %q does not say why (%s)", sys.TransitionsNote, why)
	}
}

package sysinfo

import (
	"strings"
	"testing"
)

func TestOwnersNoteFor(t *testing.T) {
	if got := ownersNoteFor(0, 0, ""); got != "" {
		t.Errorf("root reading every process: %q, want no note", got)
	}
	if got := ownersNoteFor(-1, 0, ""); got != "" {
		t.Errorf("no uid (Windows): %q, want no note", got)
	}
	if got := ownersNoteFor(1000, 0, ""); !strings.Contains(got, "not root (uid 1000)") || !strings.Contains(got, "cannot be named") {
		t.Errorf("uid 1000: %q", got)
	}
	if got := ownersNoteFor(0, 2, "pid 1 init"); !strings.Contains(got, "2 process(es)") || !strings.Contains(got, "pid 1 init") {
		t.Errorf("root with 2 unreadable: %q", got)
	}
}

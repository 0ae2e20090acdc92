package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connlab/connlab/internal/runstore"
	"github.com/connlab/connlab/internal/wire"
)

// TestRunFileRoundTrip: `connlab run -o` writes the run file, and `connlab
// show` prints from it the very text `connlab run` printed; -json prints
// the result `connlab run -json` would have.
func TestRunFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	var out, errOut syncBuffer
	args := []string{"run", "client-disable-keepalive", "-set", "requests=4", "-set", "interval=20ms", "-set", "observe=200ms", "-o", path}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("run -o: %v\nstderr: %s", err, errOut.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := runstore.Decode(b)
	if err != nil {
		t.Fatalf("run -o wrote no run file: %v", err)
	}
	if f.Connlab != version || f.Result.Preset != "client-disable-keepalive" || f.Result.Requests.Total != 4 || f.Result.Connections.Opened != 4 {
		t.Fatalf("run file: connlab %q, preset %q, %d requests, %d connections", f.Connlab, f.Result.Preset, f.Result.Requests.Total, f.Result.Connections.Opened)
	}

	var shown, shownErr syncBuffer
	if err := run(context.Background(), []string{"show", path}, &shown, &shownErr); err != nil {
		t.Fatalf("show: %v", err)
	}
	if shown.String() != out.String() || !strings.Contains(out.String(), "client-disable-keepalive") {
		t.Fatalf("show printed\n%s\nrun printed\n%s", shown.String(), out.String())
	}
	if !strings.Contains(shownErr.String(), f.Result.ID) {
		t.Errorf("show does not name the run on stderr: %q", shownErr.String())
	}

	var js syncBuffer
	if err := run(context.Background(), []string{"show", "-json", path}, &js, &shownErr); err != nil {
		t.Fatalf("show -json: %v", err)
	}
	var res wire.ExperimentResult
	if err := json.Unmarshal([]byte(js.String()), &res); err != nil {
		t.Fatalf("show -json printed no result: %v", err)
	}
	want, _ := json.Marshal(&f.Result)
	got, _ := json.Marshal(&res)
	if string(got) != string(want) {
		t.Fatalf("show -json:\n%s\nwant the file's result:\n%s", got, want)
	}
}

// TestShowErrors: an unusable file is an error (exit status 1) naming why;
// a missing argument is a usage error (2); -h is not an error.
func TestShowErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := runstore.Marshal(&wire.RunFile{Format: wire.RunFileFormat, Version: wire.RunFileVersion, SavedAt: "2026-01-01T00:00:00Z",
		Result: wire.ExperimentResult{ID: "ab", Status: wire.ExpCompleted, Spec: json.RawMessage(`{}`), StartedAt: "2026-01-01T00:00:00Z", StartedAtMs: 1}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]struct{ body, reason string }{
		"truncated.json": {string(good[:len(good)/2]), "truncated"},
		"newer.json":     {strings.Replace(string(good), `"version":1`, `"version":7`, 1), "newer connlab"},
		"foreign.json":   {`{"format":"connlab-ports","version":1,"ports":[1]}`, "not a connlab run file"},
		"garbage.json":   {"\x00garbage", "not a connlab run file"},
	}
	for name, c := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut syncBuffer
		err := run(context.Background(), []string{"show", path}, &out, &errOut)
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), c.reason) || !strings.Contains(err.Error(), name) {
			t.Errorf("show %s = %v (exit %d), want exit 1 naming the file and %q", name, err, exitCode(err), c.reason)
		}
		if out.String() != "" {
			t.Errorf("show %s printed %q", name, out.String())
		}
	}
	var out, errOut syncBuffer
	if err := run(context.Background(), []string{"show", filepath.Join(dir, "missing.json")}, &out, &errOut); err == nil || exitCode(err) != 1 {
		t.Errorf("show of a missing file = %v, want exit 1", err)
	}
	for _, args := range [][]string{{"show"}, {"show", "a.json", "b.json"}, {"show", "-bogus", "a.json"}} {
		err := run(context.Background(), args, &out, &errOut)
		var ue *usageError
		if !errors.As(err, &ue) || exitCode(err) != 2 {
			t.Errorf("run %v = %v, want a usage error (exit 2)", args, err)
		}
	}
	errOut = syncBuffer{}
	if err := run(context.Background(), []string{"show", "-h"}, &out, &errOut); err != nil || !strings.Contains(errOut.String(), "Usage: connlab show") {
		t.Errorf("show -h = %v, printed %q; want exit 0 and the usage", err, errOut.String())
	}
}

// TestStateFlag: -state "" saves nothing; a -state that cannot be a
// directory is an error (exit 1) naming it; an unusable default is a
// warning.
func TestStateFlag(t *testing.T) {
	o, err := parseServeFlags([]string{"-state", ""}, &syncBuffer{})
	if err != nil || o.state != "" || !o.stateSet {
		t.Fatalf("-state \"\": %+v %v", o, err)
	}
	o, err = parseServeFlags(nil, &syncBuffer{})
	if err != nil || o.stateSet || o.state != filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "connlab") {
		t.Fatalf("default state: %q (set %v), %v", o.state, o.stateSet, err)
	}
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-state", file}, &out, &errOut)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "-state") || !strings.Contains(err.Error(), file) {
		t.Fatalf("-state on a file = %v, want an error naming it and -state", err)
	}
	// The default directory unusable (a file: see testMain): a warning,
	// and connlab serves without saving (ctx is cancelled: serve returns
	// once it started).
	t.Setenv("XDG_CONFIG_HOME", file)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errOut = syncBuffer{}
	if err := run(ctx, []string{"-addr", "127.0.0.1:0"}, &out, &errOut); err != nil {
		t.Fatalf("an unusable default state directory stopped connlab: %v", err)
	}
	if !strings.Contains(errOut.String(), "cannot use the default state directory") {
		t.Fatalf("no warning about the default state directory: %s", errOut.String())
	}
}

// TestRunOutputUnwritable: a -o file that cannot be written is an error
// (exit 1) naming -o, after the verdict was printed.
func TestRunOutputUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "run.json")
	var out, errOut syncBuffer
	err := run(context.Background(), []string{"run", "keepalive-default", "-set", "requests=2", "-set", "observe=0s", "-o", path}, &out, &errOut)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "-o") {
		t.Fatalf("run -o into a missing directory = %v, want exit 1 naming -o", err)
	}
	if !strings.Contains(out.String(), "keepalive-default") {
		t.Fatalf("no verdict printed before the failed write: %q", out.String())
	}
}

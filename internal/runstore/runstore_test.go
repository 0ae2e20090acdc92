package runstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// sample is a finished run with n log lines (about 100 bytes each).
func sample(id string, startedMs int64, n int) *wire.RunFile {
	res := wire.ExperimentResult{
		ID: id, Preset: "keepalive-default", Go: "go1.26", Port: 40001, Status: wire.ExpCompleted,
		Spec: json.RawMessage(`{"preset":"keepalive-default","requests":2}`), StartedAt: time.UnixMilli(startedMs).UTC().Format(time.RFC3339Nano),
		StartedAtMs: startedMs, Lanes: []wire.Lane{}, LogTotal: n,
		Timeline: wire.Timeline{T: []int64{startedMs}, Server: map[string][]int32{"TIME_WAIT": {1}}, Client: map[string][]int32{}},
	}
	res.Requests.Total = n
	res.Findings = []wire.Finding{}
	for i := range n {
		res.Log = append(res.Log, wire.RequestLine{Seq: uint64(i), Method: "GET", Proto: "HTTP/1.1", Connection: "keep-alive"})
	}
	f := wire.NewRunFile(res, "test", time.UnixMilli(startedMs+1000))
	return &f
}

// logBuffer collects a store's logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func ids(list []wire.ExpSummary) string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return strings.Join(out, ",")
}

func TestSaveListLoadReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
	for i, id := range []string{"aa", "bb", "cc"} {
		if err := s.Save(sample(id, base+int64(i)*60_000, 5)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ids(s.List()); got != "cc,bb,aa" {
		t.Fatalf("List = %s, want newest first: cc,bb,aa", got)
	}
	f, err := s.Load("bb")
	if err != nil {
		t.Fatal(err)
	}
	if want := sample("bb", base+60_000, 5); !reflect.DeepEqual(f, want) {
		t.Fatalf("Load = %+v\nwant %+v", f, want)
	}
	if _, err := s.Load("zz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of an unknown id: %v", err)
	}
	if _, err := s.Load("../x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of a path: %v", err)
	}
	r2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r2.List()); got != "cc,bb,aa" {
		t.Fatalf("after reopening: List = %s", got)
	}
	if l := r2.List(); !l[0].Saved || l[0].Requests != 5 || l[0].Status != wire.ExpCompleted || l[0].StartedAtMs != base+120_000 {
		t.Fatalf("summary = %+v", l[0])
	}
}

// TestSaveIsAtomic: while one goroutine rewrites a run's file with
// contents of different sizes, another reads it; every read decodes whole.
func TestSaveIsAtomic(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(sample("ab", 1e12, 1)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ab.json")
	stop := make(chan struct{})
	var reads, bad int
	var wg sync.WaitGroup
	wg.Go(func() { // stopped by close(stop), waited for below
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(path)
			reads++
			if err != nil {
				bad++
				continue
			}
			if _, err := Decode(b); err != nil {
				bad++
			}
		}
	})
	for i := range 40 { // sizes of about 100 bytes, 50 KB and 100 KB in turn
		if err := s.Save(sample("ab", 1e12, 1+(i%3)*500)); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if bad > 0 {
		t.Fatalf("%d of %d reads saw a partial or missing file", bad, reads)
	}
	t.Logf("%d reads during 40 saves, all whole", reads)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the directory holds %d entries, want only ab.json", len(entries))
	}
}

func TestFailedSaveLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A directory where the file would go: the rename fails.
	if err := os.MkdirAll(filepath.Join(dir, "ab.json", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(sample("ab", 1e12, 3)); err == nil {
		t.Fatal("Save over a directory succeeded")
	}
	if s.Has("ab") || len(s.List()) != 0 {
		t.Fatal("a failed save is listed")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "ab.json" {
		t.Fatalf("a failed save left %v", entries)
	}
	bad := sample("cd", 1e12, 1)
	bad.Result.Status = wire.ExpRunning
	if err := s.Save(bad); !errors.Is(err, ErrShape) {
		t.Fatalf("Save of a running run: %v, want ErrShape", err)
	}
}

func TestBoundByCount(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{MaxRuns: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := s.Save(sample(fmt.Sprintf("r%d", i), 1e12+int64(i)*1000, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ids(s.List()); got != "r4,r3,r2" {
		t.Fatalf("List = %s, want the 3 saved last", got)
	}
	if names := dirNames(t, dir); names != "r2.json,r3.json,r4.json" {
		t.Fatalf("files: %s", names)
	}
	// Reopening with a lower bound trims at once.
	s2, err := Open(dir, Options{MaxRuns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(s2.List()); got != "r4" || dirNames(t, dir) != "r4.json" {
		t.Fatalf("reopened with MaxRuns 1: List %s, files %s", got, dirNames(t, dir))
	}
}

func TestBoundByBytes(t *testing.T) {
	dir := t.TempDir()
	one, err := Marshal(sample("r0", 1e12, 200))
	if err != nil {
		t.Fatal(err)
	}
	// Room for two files and a half.
	s, err := Open(dir, Options{MaxBytes: int64(len(one)) * 5 / 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := s.Save(sample(fmt.Sprintf("r%d", i), 1e12+int64(i)*1000, 200)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ids(s.List()); got != "r3,r2" {
		t.Fatalf("List = %s, want the two saved last", got)
	}
	if n, b := s.Usage(); n != 2 || b > int64(len(one))*5/2 {
		t.Fatalf("usage %d runs %d bytes", n, b)
	}
	if names := dirNames(t, dir); names != "r2.json,r3.json" {
		t.Fatalf("files: %s", names)
	}
	// A run larger than the whole budget is still kept: the newest file
	// stays, the others go.
	s2, err := Open(t.TempDir(), Options{MaxBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := s2.Save(sample(id, 1e12, 10)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ids(s2.List()); got != "b" {
		t.Fatalf("over-budget store: List = %s, want b", got)
	}
}

func dirNames(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return strings.Join(out, ",")
}

func TestOpenSkipsBadFilesWithReason(t *testing.T) {
	dir := t.TempDir()
	good, err := Marshal(sample("good", 1e12, 3))
	if err != nil {
		t.Fatal(err)
	}
	newer := strings.Replace(string(good), `"version":1`, `"version":2`, 1)
	foreign := strings.Replace(string(good), `"format":"connlab-run"`, `"format":"har"`, 1)
	files := map[string]string{
		"good.json":         string(good),
		"truncated.json":    string(good[:len(good)/2]),
		"garbage.json":      "\x00\x01 not json",
		"newer.json":        strings.Replace(newer, `"id":"good"`, `"id":"newer"`, 1),
		"foreign.json":      strings.Replace(foreign, `"id":"good"`, `"id":"foreign"`, 1),
		"renamed.json":      string(good),
		"empty.json":        "",
		"array.json":        "[]",
		".good.json.tmp-42": string(good[:10]), // a crash during a write
		"notes.txt":         "not a run, not ours",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var logs logBuffer
	s, err := Open(dir, Options{Log: logs.logger()})
	if err != nil {
		t.Fatalf("Open with bad files: %v", err)
	}
	if got := ids(s.List()); got != "good" {
		t.Fatalf("List = %s, want only good", got)
	}
	out := logs.String()
	for name, reason := range map[string]string{
		"truncated.json": "truncated",
		"garbage.json":   "not a connlab run file",
		"newer.json":     "written by a newer connlab",
		"foreign.json":   `format \"har\"`,
		"renamed.json":   "its name says",
		"empty.json":     "truncated JSON",
		"array.json":     "must be a JSON object",
	} {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, filepath.Join(dir, name)) {
				line = l
			}
		}
		if !strings.Contains(line, "saved run skipped") || !strings.Contains(line, reason) {
			t.Errorf("%s: log line %q, want a skip naming %q", name, line, reason)
		}
	}
	// Skipped files stay for the user to look at; the crash's leftover goes.
	if names := dirNames(t, dir); strings.Contains(names, ".tmp-") || !strings.Contains(names, "newer.json") || !strings.Contains(names, "notes.txt") {
		t.Fatalf("files after Open: %s", names)
	}
	// A file corrupted after Open is skipped when loaded, with a reason.
	if err := os.WriteFile(filepath.Join(dir, "good.json"), good[:100], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("good"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of a file truncated since: %v", err)
	}
	if s.Has("good") || !strings.Contains(logs.String(), "saved run unreadable") {
		t.Fatalf("a file truncated since is still listed, or not logged: %s", logs.String())
	}
}

func TestDecode(t *testing.T) {
	good, err := Marshal(sample("ab", 1e12, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(good); err != nil {
		t.Fatalf("Decode of a good file: %v", err)
	}
	edit := func(old, new string) []byte { return []byte(strings.Replace(string(good), old, new, 1)) }
	for name, c := range map[string]struct {
		b    []byte
		want error
	}{
		"too large":      {append(good, make([]byte, MaxFileBytes)...), ErrTooLarge},
		"not json":       {[]byte("hello"), ErrFormat},
		"no format":      {edit(`"format":"connlab-run",`, ""), ErrFormat},
		"other format":   {edit(`"connlab-run"`, `"connlab-ports"`), ErrFormat},
		"version 0":      {edit(`"version":1`, `"version":0`), ErrVersion},
		"version text":   {edit(`"version":1`, `"version":"1"`), ErrVersion},
		"version newer":  {edit(`"version":1`, `"version":99`), ErrVersion},
		"result missing": {[]byte(`{"format":"connlab-run","version":1,"savedAt":"2026-01-01T00:00:00Z"}`), ErrShape},
		"running":        {edit(`"status":"completed"`, `"status":"running"`), ErrShape},
		"bad id":         {edit(`"id":"ab"`, `"id":"../etc"`), ErrShape},
		"bad savedAt":    {edit(`"savedAt":"`, `"savedAt":"x`), ErrShape},
		"spec not obj":   {edit(`"spec":{"preset":"keepalive-default","requests":2}`, `"spec":[1]`), ErrShape},
		"wrong type":     {edit(`"port":40001`, `"port":"x"`), ErrShape},
		"ragged column":  {edit(`"TIME_WAIT":[1]`, `"TIME_WAIT":[1,2]`), ErrShape},
		"truncated":      {good[:len(good)-10], ErrFormat},
	} {
		if _, err := Decode(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: Decode = %v, want %v", name, err, c.want)
		}
	}
}

package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/runstore"
	"github.com/connlab/connlab/internal/wire"
)

func shortSpec() experiment.Spec {
	s := experiment.Default()
	s.Requests = 4
	s.Interval = experiment.Duration(5 * time.Millisecond)
	s.Observe = 0
	return s
}

func openStore(t *testing.T, dir string) *runstore.Store {
	t.Helper()
	s, err := runstore.Open(dir, runstore.Options{Log: archiveLog()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunsSavedAndServedAfterRestart: an ended run is in the archive once
// Wait returns; a new Manager on the same directory (a restart) lists it,
// serves its result, its file and a snapshot, and treats it as ended.
func TestRunsSavedAndServedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	m := lab.NewManager(testKernel, nil, archiveLog(), lab.ManagerOptions{Archive: openStore(t, dir), Version: "v-test"})
	id, err := m.Start(context.Background(), shortSpec())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.File(id); !errors.Is(err, lab.ErrRunning) {
		t.Errorf("File while running: %v, want ErrRunning", err)
	}
	res := wait(t, m, id)
	if res.Status != wire.ExpCompleted || res.Requests.Total != 4 {
		t.Fatalf("run: %s, %d requests (%s)", res.Status, res.Requests.Total, res.Error)
	}
	if l := m.List(); len(l) != 1 || !l[0].Saved {
		t.Fatalf("List after the run: %+v, want it saved", l)
	}
	m.Close()

	// The restart: a new store indexes the directory, a new Manager serves it.
	m2 := lab.NewManager(testKernel, nil, archiveLog(), lab.ManagerOptions{Archive: openStore(t, dir), Version: "v-test"})
	defer m2.Close()
	l := m2.List()
	if len(l) != 1 || l[0].ID != id || !l[0].Saved || l[0].Requests != 4 || l[0].Connections != res.Connections.Opened || l[0].Status != wire.ExpCompleted {
		t.Fatalf("List after restart: %+v", l)
	}
	got, ok := m2.Get(id)
	if !ok || !bytes.Equal(jsonOf(t, got), jsonOf(t, res)) {
		t.Fatalf("Get after restart differs from the run's result:\n%s\n%s", jsonOf(t, got), jsonOf(t, res))
	}
	f, err := m2.File(id)
	if err != nil || f.Format != wire.RunFileFormat || f.Connlab != "v-test" || f.Result.ID != id {
		t.Fatalf("File after restart: %+v %v", f, err)
	}
	var snap wire.ExpSnapshot
	if err := m2.Subscribe(id, func(b []byte) { _ = json.Unmarshal(b, &snap) }); err != nil || snap.Type != wire.TypeExpSnapshot || snap.Result.ID != id {
		t.Fatalf("Subscribe to a saved run: %v %+v", err, snap.Type)
	}
	if err := m2.Stop(id); err != nil {
		t.Errorf("Stop of a saved run: %v, want nil (it has ended)", err)
	}
	if w, err := m2.Wait(context.Background(), id); err != nil || w.ID != id {
		t.Errorf("Wait of a saved run: %v", err)
	}
	// A new run lists first (newest first), next to the saved one.
	id2, err := m2.Start(context.Background(), shortSpec())
	if err != nil {
		t.Fatal(err)
	}
	wait(t, m2, id2)
	if l := m2.List(); len(l) != 2 || l[0].ID != id2 || l[1].ID != id {
		t.Fatalf("List = %+v, want %s then %s", l, id2, id)
	}
}

// TestRunStoppedByCloseIsSaved: a run still going at shutdown is stopped
// and saved before Close returns.
func TestRunStoppedByCloseIsSaved(t *testing.T) {
	store := openStore(t, t.TempDir())
	m := lab.NewManager(testKernel, nil, archiveLog(), lab.ManagerOptions{Archive: store})
	id, err := m.Start(context.Background(), untilStopped())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "requests", func() bool {
		r, ok := m.Get(id)
		return ok && r.Requests.Total > 0
	})
	m.Close()
	f, err := store.Load(id)
	if err != nil || f.Result.Status != wire.ExpStopped || f.Result.Requests.Total == 0 {
		t.Fatalf("after Close: %v %+v", err, f)
	}
}

// collidingArchive claims the first ids it is asked about are taken.
type collidingArchive struct {
	mu    sync.Mutex
	taken int
	asked []string
	saved []string
}

func (a *collidingArchive) Save(f *wire.RunFile) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.saved = append(a.saved, f.Result.ID)
	return nil
}
func (a *collidingArchive) List() []wire.ExpSummary { return nil }
func (a *collidingArchive) Load(string) (*wire.RunFile, error) {
	return nil, runstore.ErrNotFound
}
func (a *collidingArchive) Has(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, id)
	return len(a.asked) <= a.taken
}

// TestNewIDsAvoidSavedOnes: an id the archive holds is never reused (the
// random ids cannot be made to collide, so the archive says they do).
func TestNewIDsAvoidSavedOnes(t *testing.T) {
	a := &collidingArchive{taken: 3}
	m := lab.NewManager(nil, nil, archiveLog(), lab.ManagerOptions{Archive: a})
	defer m.Close()
	id, err := m.Start(context.Background(), shortSpec())
	if err != nil {
		t.Fatal(err)
	}
	wait(t, m, id)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.asked) < 4 || a.asked[3] != id {
		t.Fatalf("asked %v, chose %s: want the 4th id asked about", a.asked, id)
	}
	if len(a.saved) != 1 || a.saved[0] != id {
		t.Fatalf("saved %v", a.saved)
	}
}

func archiveLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

package lab

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// ErrRunning: the experiment has not ended, so it has no run file yet.
var ErrRunning = errors.New("the experiment is still running")

// Archive keeps ended runs beyond the process (internal/runstore.Store):
// the Manager saves every run once it is final, and lists and serves the
// saved runs it no longer holds, after a restart too.
type Archive interface {
	// Save writes a run file; the Manager calls it once per run, from the
	// run's goroutine (Close waits for it).
	Save(f *wire.RunFile) error
	// List summarizes the saved runs.
	List() []wire.ExpSummary
	// Load reads one saved run; any error means it cannot be served.
	Load(id string) (*wire.RunFile, error)
	// Has reports whether a run with this id is saved (new ids avoid them).
	Has(id string) bool
}

// save writes the frozen run to the archive, if any. A failure is logged:
// the run stays in memory and is served from there.
func (m *Manager) save(r *run) {
	if m.opts.Archive == nil {
		return
	}
	f := wire.NewRunFile(*r.frozen(), m.opts.Version, time.Now())
	if err := m.opts.Archive.Save(&f); err != nil {
		m.log.Warn("save the run", "id", r.id, "err", err)
		return
	}
	r.saved.Store(true)
}

// loadSaved reads a run the Manager no longer holds from the archive.
func (m *Manager) loadSaved(id string) (*wire.RunFile, bool) {
	if m.opts.Archive == nil || !m.opts.Archive.Has(id) {
		return nil, false
	}
	f, err := m.opts.Archive.Load(id) // the archive logs why it failed
	if err != nil {
		return nil, false
	}
	return f, true
}

// File returns an ended experiment's run file: from memory (written now)
// once its result is final, else from the archive. Errors: ErrRunning,
// ErrNotFound.
func (m *Manager) File(id string) (*wire.RunFile, error) {
	if r, ok := m.get(id); ok {
		res := r.frozen()
		if res == nil {
			return nil, ErrRunning
		}
		f := wire.NewRunFile(*res, m.opts.Version, time.Now())
		return &f, nil
	}
	if f, ok := m.loadSaved(id); ok {
		return f, nil
	}
	return nil, ErrNotFound
}

// mergeSaved adds to list (the runs in memory) the saved runs it lacks,
// and orders them all newest first.
func (m *Manager) mergeSaved(list []Summary) []Summary {
	if m.opts.Archive != nil {
		have := make(map[string]bool, len(list))
		for _, s := range list {
			have[s.ID] = true
		}
		for _, s := range m.opts.Archive.List() {
			if !have[s.ID] {
				list = append(list, s)
			}
		}
	}
	slices.SortStableFunc(list, func(a, b Summary) int {
		return cmp.Or(cmp.Compare(b.StartedAtMs, a.StartedAtMs), cmp.Compare(b.ID, a.ID))
	})
	return list
}

// idTaken reports whether a new id would name a run already known, in
// memory or saved. m.mu is held.
func (m *Manager) idTakenLocked(id string) bool {
	return m.runs[id] != nil || (m.opts.Archive != nil && m.opts.Archive.Has(id))
}

// savedSnapshot encodes a saved run as an experiment snapshot (a run that
// ended: no update follows).
func savedSnapshot(f *wire.RunFile) ([]byte, error) {
	b, err := json.Marshal(&wire.ExpSnapshot{Type: wire.TypeExpSnapshot, ID: f.Result.ID, Result: f.Result})
	if err != nil {
		return nil, fmt.Errorf("encode saved run %s: %w", f.Result.ID, err)
	}
	return b, nil
}

// frozen is the run's final result (a copy), nil before freeze.
func (r *run) frozen() *Result {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	if r.final == nil {
		return nil
	}
	res := *r.final
	return &res
}

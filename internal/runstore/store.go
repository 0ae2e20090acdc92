package runstore

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/connlab/connlab/internal/atomicfile"
	"github.com/connlab/connlab/internal/wire"
)

// ErrNotFound: the store holds no run with that id.
var ErrNotFound = errors.New("no saved run")

// Options tune a Store; the zero value means the defaults.
type Options struct {
	// MaxRuns and MaxBytes bound the runs kept (DefaultMaxRuns and
	// DefaultMaxBytes when zero); past either, the runs saved longest
	// ago are removed.
	MaxRuns  int
	MaxBytes int64
	// Log receives why a file was skipped or could not be removed; nil
	// discards.
	Log *slog.Logger
}

// Store is a directory of run files. Its methods are safe for concurrent
// use; one process should use a directory at a time.
type Store struct {
	dir  string
	log  *slog.Logger
	opts Options

	mu    sync.Mutex
	runs  map[string]*entry
	bytes int64 // the sizes of runs' files, all together
}

// entry is what the store remembers of one file: never the whole run.
type entry struct {
	sum     wire.ExpSummary
	size    int64
	savedAt time.Time
}

// Open creates dir if need be, removes the temporary files a crash left,
// and indexes the run files in it (reading each once), skipping with a
// logged reason any it cannot use. It then applies the bounds.
func Open(dir string, opts Options) (*Store, error) {
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = DefaultMaxRuns
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("create the runs directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read the runs directory: %w", err)
	}
	s := &Store{dir: dir, log: log, opts: opts, runs: make(map[string]*entry)}
	for _, de := range entries {
		name := de.Name()
		switch {
		case atomicfile.IsTemp(name):
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				log.Warn("remove an unfinished run file", "file", name, "err", err)
			}
		case de.Type().IsRegular() && strings.HasSuffix(name, ".json"):
			s.index(name)
		}
	}
	s.mu.Lock()
	s.trimLocked("")
	s.mu.Unlock()
	return s, nil
}

// index reads the file name and remembers its summary, or logs why not.
func (s *Store) index(name string) {
	f, size, err := s.read(name)
	if err == nil && f.Result.ID+".json" != name {
		err = fmt.Errorf("%w: it holds run %q, but its name says %q", ErrShape, f.Result.ID, strings.TrimSuffix(name, ".json"))
	}
	if err != nil {
		s.log.Warn("saved run skipped", "file", filepath.Join(s.dir, name), "reason", err)
		return
	}
	s.add(f, size)
}

// read reads and decodes one file of the directory.
func (s *Store) read(name string) (*wire.RunFile, int64, error) {
	fh, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, 0, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, MaxFileBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read: %w", err)
	}
	f, err := Decode(b)
	return f, int64(len(b)), err
}

func (s *Store) add(f *wire.RunFile, size int64) {
	at, _ := time.Parse(time.RFC3339, f.SavedAt) // Decode checked it
	sum := f.Result.Summary()
	sum.Saved = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.runs[sum.ID]; old != nil {
		s.bytes -= old.size
	}
	s.runs[sum.ID] = &entry{sum: sum, size: size, savedAt: at}
	s.bytes += size
}

// Save writes f as <id>.json (replacing a file of the same run), then
// removes the runs saved longest ago past the bounds; f's own file stays.
func (s *Store) Save(f *wire.RunFile) error {
	if f.Format != wire.RunFileFormat || f.Version != wire.RunFileVersion {
		return fmt.Errorf("save run: %w: format %.40q version %d", ErrFormat, f.Format, f.Version)
	}
	if err := check(f); err != nil { // what Open would refuse is not written
		return fmt.Errorf("save run: %w: %w", ErrShape, err)
	}
	b, err := Marshal(f)
	if err != nil {
		return fmt.Errorf("save run %s: %w", f.Result.ID, err)
	}
	// Written outside the lock: List and Load need not wait for a sync.
	if err := atomicfile.Write(filepath.Join(s.dir, f.Result.ID+".json"), b, filePerm); err != nil {
		return fmt.Errorf("save run %s: %w", f.Result.ID, err)
	}
	s.add(f, int64(len(b)))
	s.mu.Lock()
	s.trimLocked(f.Result.ID)
	s.mu.Unlock()
	return nil
}

// trimLocked removes the runs saved longest ago while past a bound,
// sparing keep.
func (s *Store) trimLocked(keep string) {
	if len(s.runs) <= s.opts.MaxRuns && s.bytes <= s.opts.MaxBytes {
		return
	}
	byAge := make([]*entry, 0, len(s.runs))
	for _, e := range s.runs {
		byAge = append(byAge, e)
	}
	slices.SortFunc(byAge, func(a, b *entry) int {
		return cmp.Or(a.savedAt.Compare(b.savedAt), cmp.Compare(a.sum.StartedAtMs, b.sum.StartedAtMs), cmp.Compare(a.sum.ID, b.sum.ID))
	})
	for _, e := range byAge {
		if len(s.runs) <= s.opts.MaxRuns && s.bytes <= s.opts.MaxBytes {
			return
		}
		if e.sum.ID == keep {
			continue
		}
		delete(s.runs, e.sum.ID)
		s.bytes -= e.size
		if err := os.Remove(filepath.Join(s.dir, e.sum.ID+".json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("remove an old saved run", "id", e.sum.ID, "err", err)
		}
	}
}

// List summarizes the saved runs, newest first (by start).
func (s *Store) List() []wire.ExpSummary {
	s.mu.Lock()
	out := make([]wire.ExpSummary, 0, len(s.runs))
	for _, e := range s.runs {
		out = append(out, e.sum)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b wire.ExpSummary) int {
		return cmp.Or(cmp.Compare(b.StartedAtMs, a.StartedAtMs), cmp.Compare(b.ID, a.ID))
	})
	return out
}

// Has reports whether a run with this id is saved.
func (s *Store) Has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id] != nil
}

// Load reads a saved run. Errors: ErrNotFound, or why the file can no
// longer be read (it is then forgotten, and the reason logged).
func (s *Store) Load(id string) (*wire.RunFile, error) {
	if !s.Has(id) {
		return nil, ErrNotFound
	}
	f, _, err := s.read(id + ".json")
	if err == nil && f.Result.ID != id {
		err = fmt.Errorf("%w: it holds run %q", ErrShape, f.Result.ID)
	}
	if err != nil {
		s.log.Warn("saved run unreadable", "id", id, "reason", err)
		s.mu.Lock()
		if e := s.runs[id]; e != nil {
			delete(s.runs, id)
			s.bytes -= e.size
		}
		s.mu.Unlock()
		return nil, fmt.Errorf("load saved run %s: %w", id, err)
	}
	return f, nil
}

// Dir is the directory of the run files.
func (s *Store) Dir() string { return s.dir }

// Usage is how many runs the store holds and their bytes all together.
func (s *Store) Usage() (runs int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.runs), s.bytes
}

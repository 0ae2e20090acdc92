package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/portfile"
	"github.com/connlab/connlab/internal/runstore"
	"github.com/connlab/connlab/server"
)

// The state directory's layout and bounds.
const (
	stateRunsDir   = "runs"       // saved Lab runs, one file each (internal/runstore)
	statePortsFile = "ports.json" // the watched ports (internal/portfile)
	stateMaxRuns   = 100          // saved runs kept; the runs saved longest ago go first
	stateMaxBytes  = 256 << 20    // and their bytes all together (256 MB)
)

// defaultStateDir is <user config dir>/connlab ("" when the system has no
// user config directory, e.g. $HOME unset).
func defaultStateDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "connlab")
}

// state is what connlab keeps across restarts: saved runs and watched
// ports. A nil *state keeps nothing.
type state struct {
	dir   string
	runs  *runstore.Store
	ports []uint16 // read at start
}

// openState opens the state directory the flags chose. -state "" keeps
// nothing. A directory that cannot be used is an error when given with
// -state (the user asked for it); the default one is only warned about,
// and connlab runs without saving.
func openState(o serveOptions, log *slog.Logger) (*state, error) {
	if o.state == "" {
		if o.stateSet {
			log.Info("state: runs and watched ports are not saved (-state \"\")")
		} else {
			log.Warn("state: no user config directory ($HOME or $XDG_CONFIG_HOME unset): runs and watched ports are not saved; choose a directory with -state DIR")
		}
		return nil, nil
	}
	runs, err := runstore.Open(filepath.Join(o.state, stateRunsDir), runstore.Options{MaxRuns: stateMaxRuns, MaxBytes: stateMaxBytes, Log: log})
	if err != nil {
		if o.stateSet {
			return nil, fmt.Errorf("state directory %s (-state): %w", o.state, err)
		}
		log.Warn("state: cannot use the default state directory: runs and watched ports are not saved; choose another with -state DIR, or -state \"\" for none",
			"dir", o.state, "err", err)
		return nil, nil
	}
	st := &state{dir: o.state, runs: runs}
	st.ports, err = portfile.Load(st.portsPath())
	if err != nil {
		log.Warn("state: watched ports skipped", "file", st.portsPath(), "reason", err)
	}
	n, size := runs.Usage()
	log.Info("state", "dir", o.state, "savedRuns", n, "savedMB", fmt.Sprintf("%.1f", float64(size)/(1<<20)), "watchedPorts", len(st.ports))
	return st, nil
}

func (s *state) portsPath() string { return filepath.Join(s.dir, statePortsFile) }

// watchPorts watches the ports saved in the state and those of -watch. A
// saved port that cannot be watched again is warned about; a -watch port
// is an error, as before.
func watchPorts(mon *monitor.Monitor, st *state, flagPorts []uint16, log *slog.Logger) error {
	for _, p := range flagPorts {
		if err := mon.Add(p); err != nil {
			return fmt.Errorf("watch port %d: %w", p, err)
		}
	}
	if st == nil {
		return nil
	}
	for _, p := range st.ports {
		if err := mon.Add(p); err != nil && !errors.Is(err, monitor.ErrExists) {
			log.Warn("state: a saved watched port is not watched", "port", p, "err", err)
		}
	}
	return nil
}

// savedPorts is the monitor as the API sees it: a port added or removed
// there also rewrites ports.json with the ports the user watches.
type savedPorts struct {
	*monitor.Monitor
	path string
	log  *slog.Logger
	mu   sync.Mutex // one change and its write at a time: the file ends as the last change left the ports
}

// apiMonitor is mon, saving its ports in st when there is a state.
func apiMonitor(mon *monitor.Monitor, st *state, log *slog.Logger) server.Monitor {
	if st == nil {
		return mon
	}
	return &savedPorts{Monitor: mon, path: st.portsPath(), log: log}
}

func (s *savedPorts) Add(port uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Monitor.Add(port); err != nil {
		return err
	}
	s.save()
	return nil
}

func (s *savedPorts) Remove(port uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Monitor.Remove(port); err != nil {
		return err
	}
	s.save()
	return nil
}

// save writes the user's ports; a failure is logged: the change is made,
// only not kept past a restart.
func (s *savedPorts) save() {
	if err := portfile.Save(s.path, s.Monitor.UserPorts()); err != nil {
		s.log.Warn("state: watched ports not saved", "err", err)
	}
}

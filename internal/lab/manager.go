package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/ring"
	"github.com/connlab/connlab/internal/wire"
)

// Errors of the Manager; test with errors.Is.
var (
	ErrBusy     = fmt.Errorf("at most %d experiments may run at once", MaxRunning)
	ErrNotFound = errors.New("no such experiment")
	ErrClosed   = errors.New("experiment manager closed")
)

// ManagerOptions tune a Manager; the zero value means the defaults.
type ManagerOptions struct {
	// MaxRunning caps the experiments running at once: MaxRunning when
	// zero (and never more).
	MaxRunning int
	// KeepFinished is how many ended experiments stay listed: keepFinished
	// when zero.
	KeepFinished int
	// FinishedBytes bounds the memory all ended experiments keep together
	// (their results: see run.freeze); the oldest are forgotten first.
	// DefaultFinishedBytes when zero.
	FinishedBytes int
	// BatchInterval is how often a running experiment publishes an update:
	// batchInterval when zero.
	BatchInterval time.Duration
	// Archive, when not nil, saves every run once it has ended (completed,
	// stopped or failed), and List, Get, File, Wait and Subscribe serve
	// the saved runs the Manager no longer holds.
	Archive Archive
	// Version is the connlab version written in run files.
	Version string
}

// Manager runs experiments, at most MaxRunning at once, and remembers the
// last ones that ended. Its methods are safe for concurrent use.
type Manager struct {
	kernel Kernel
	pub    Publisher
	log    *slog.Logger
	opts   ManagerOptions

	mu      sync.Mutex
	runs    map[string]*run
	order   []string // ids, oldest first
	running int      // started or starting, not ended
	// finishedBytes: what the ended runs in runs keep (see run.freeze).
	finishedBytes int
	closed        bool
	wg            sync.WaitGroup
}

// NewManager returns a Manager that holds experiment ports through kernel
// and publishes events on pub. kernel nil runs without kernel evidence;
// pub nil publishes nothing (the CLI); log nil discards.
func NewManager(kernel Kernel, pub Publisher, log *slog.Logger, opts ManagerOptions) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxRunning <= 0 || opts.MaxRunning > MaxRunning {
		opts.MaxRunning = MaxRunning
	}
	if opts.KeepFinished <= 0 {
		opts.KeepFinished = keepFinished
	}
	if opts.FinishedBytes <= 0 {
		opts.FinishedBytes = DefaultFinishedBytes
	}
	if opts.BatchInterval <= 0 {
		opts.BatchInterval = batchInterval
	}
	return &Manager{kernel: kernel, pub: pub, log: log, opts: opts, runs: make(map[string]*run)}
}

// Start validates spec, sets the experiment up (listener, kernel hold) and
// runs it in the background; it returns its id. ctx bounds the setup only:
// the experiment runs until it ends, Stop or Close. Errors: an
// *experiment.FieldError
// for an invalid spec, ErrBusy, ErrClosed, or a setup failure.
func (m *Manager) Start(ctx context.Context, spec experiment.Spec) (string, error) {
	if err := spec.Validate(); err != nil {
		return "", err
	}
	specJSON, err := json.Marshal(&spec)
	if err != nil {
		return "", fmt.Errorf("encode spec: %w", err)
	}
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return "", ErrClosed
	case m.running >= m.opts.MaxRunning:
		m.mu.Unlock()
		return "", ErrBusy
	}
	m.running++
	m.mu.Unlock()
	unreserve := func() {
		m.mu.Lock()
		m.running--
		m.mu.Unlock()
	}

	m.mu.Lock()
	id := newID()
	for m.idTakenLocked(id) {
		id = newID()
	}
	m.mu.Unlock()
	rctx, cancel := context.WithCancel(context.Background())
	r := &run{
		id:       id,
		spec:     spec,
		specJSON: specJSON,
		log:      m.log.With("experiment", id),
		pub:      m.pub,
		topic:    Topic(id),
		every:    m.opts.BatchInterval,
		start:    time.Now(),
		ctx:      rctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		skip:     make(chan struct{}),
		phase:    wire.PhaseWorkload,
		status:   wire.ExpRunning,
		reqLog:   ring.New[wire.RequestLine](logDetail),
	}
	if err := r.setup(ctx, m.kernel); err != nil {
		cancel()
		unreserve()
		return "", fmt.Errorf("start experiment: %w", err)
	}

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		r.abandon()
		unreserve()
		return "", ErrClosed
	}
	m.runs[id] = r
	m.order = append(m.order, id)
	m.wg.Add(1)
	m.mu.Unlock()
	m.log.Info("experiment started", "id", id, "preset", spec.Preset, "port", r.port)
	if hook, ok := ctx.Value(listeningKey{}).(func(netip.AddrPort)); ok {
		hook(netip.MustParseAddrPort(r.addr)) // before any connection: the tests' wire capture
	}
	go func() {
		defer m.wg.Done()
		r.execute()
		size := r.freeze()
		// Saved before the run is marked done: once Wait returns (and once
		// Close returns, for a run stopped by it) its file is written.
		m.save(r)
		if idle := m.ended(r, size); idle {
			// The Lab is idle: give back to the OS what its runs used. The
			// GC would keep it as headroom (36 runs of 1000 workers left
			// 156 MB resident for a 38 MB live heap).
			debug.FreeOSMemory()
		}
	}()
	return id, nil
}

// listeningKey is the context key of a test hook Start calls with the
// server's address once it listens, before the workload starts (see
// export_test.go).
type listeningKey struct{}

// abandon undoes a setup that will not run.
func (r *run) abandon() {
	r.cancel()
	if r.release != nil {
		r.release()
	}
	_ = r.ln.Close()
}

// ended accounts for a run that ended and kept size bytes: it frees the
// run's slot, then marks it done, and forgets the oldest ended runs past
// KeepFinished or past FinishedBytes all together. It reports whether no
// run is left running.
func (m *Manager) ended(r *run, size int) (idle bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running--
	m.finishedBytes += size
	// Done only now: whoever Waits for this run can Start another at once.
	close(r.done)
	finished := 0
	for _, id := range m.order {
		if r := m.runs[id]; r != nil && isDone(r) {
			finished++
		}
	}
	keep := m.order[:0]
	for _, id := range m.order {
		old := m.runs[id]
		// The run that just ended stays, whatever its size: its result is
		// about to be asked for.
		if old != r && isDone(old) && (finished > m.opts.KeepFinished || m.finishedBytes > m.opts.FinishedBytes) {
			delete(m.runs, id)
			finished--
			m.finishedBytes -= old.size
			continue
		}
		keep = append(keep, id)
	}
	m.order = keep
	return m.running == 0
}

// FinishedBytes is the memory the ended experiments keep all together.
func (m *Manager) FinishedBytes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.finishedBytes
}

func isDone(r *run) bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func newID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (m *Manager) get(id string) (*run, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	return r, ok
}

// List summarizes the experiments in memory and the saved ones, newest
// first (by start).
func (m *Manager) List() []Summary {
	m.mu.Lock()
	runs := make([]*run, 0, len(m.order))
	for _, id := range m.order {
		runs = append(runs, m.runs[id])
	}
	m.mu.Unlock()
	out := make([]Summary, len(runs))
	for i, r := range runs {
		out[i] = r.summary()
	}
	return m.mergeSaved(out)
}

// Get returns an experiment's status and result so far.
func (m *Manager) Get(id string) (*Result, bool) {
	r, ok := m.get(id)
	if !ok {
		if f, ok := m.loadSaved(id); ok {
			return &f.Result, true
		}
		return nil, false
	}
	return r.result(), true
}

// Stop ends an experiment early (its status becomes stopped); stopping an
// ended experiment (a saved one too) does nothing. It does not wait: see
// Wait.
func (m *Manager) Stop(id string) error {
	r, ok := m.get(id)
	if !ok {
		return m.savedOrNotFound(id)
	}
	r.stop()
	return nil
}

// SkipObserve ends an experiment's observe phase now, or skips it when the
// workload still runs (the teardown follows); it does nothing to an
// experiment past it.
func (m *Manager) SkipObserve(id string) error {
	r, ok := m.get(id)
	if !ok {
		return m.savedOrNotFound(id)
	}
	r.skipObserve()
	return nil
}

// Wait blocks until the experiment ended or ctx is done, and returns its
// final result.
func (m *Manager) Wait(ctx context.Context, id string) (*Result, error) {
	r, ok := m.get(id)
	if !ok {
		if f, ok := m.loadSaved(id); ok {
			return &f.Result, nil
		}
		return nil, ErrNotFound
	}
	select {
	case <-r.done:
		return r.result(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Subscribe encodes the experiment's snapshot (an ExpSnapshot) and calls
// fn with it while no update of that experiment can be published, so a
// subscriber that joins the topic inside fn misses nothing and gets
// nothing twice.
func (m *Manager) Subscribe(id string, fn func(snapshot []byte)) error {
	r, ok := m.get(id)
	if !ok {
		f, ok := m.loadSaved(id)
		if !ok {
			return ErrNotFound
		}
		b, err := savedSnapshot(f)
		if err != nil {
			return err
		}
		fn(b)
		return nil
	}
	if err := r.snapshot(fn); err != nil {
		return fmt.Errorf("snapshot of experiment %s: %w", id, err)
	}
	return nil
}

// savedOrNotFound: nil for a saved run (it has ended), else ErrNotFound.
func (m *Manager) savedOrNotFound(id string) error {
	if m.opts.Archive != nil && m.opts.Archive.Has(id) {
		return nil
	}
	return ErrNotFound
}

// Close stops every experiment and waits for them to end (and be saved). Start fails
// with ErrClosed afterwards.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	runs := make([]*run, 0, len(m.runs))
	for _, r := range m.runs {
		runs = append(runs, r)
	}
	m.mu.Unlock()
	for _, r := range runs {
		r.stop()
	}
	m.wg.Wait()
}

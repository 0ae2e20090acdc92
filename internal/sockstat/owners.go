package sockstat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// KernelOwner is the owner name of sockets no process holds (TIME_WAIT,
// orphaned connections, request sockets).
const KernelOwner = "kernel"

// Owners names the process owning a socket. Lookup answers from a cache and
// never does I/O; sockets it cannot answer for are queued, and a background
// pass (Run) resolves them at most every MinOwnersEvery: on Linux by mapping
// socket inodes to pids through /proc/<pid>/fd, elsewhere (and for sockets
// without an inode, from the gopsutil path) through gopsutil's connection
// list with pids. Safe for concurrent use.
type Owners struct {
	log   *slog.Logger
	every time.Duration
	kick  chan struct{} // a lookup missed: a pass has work
	runs  atomic.Bool   // Run is running

	mu        sync.Mutex
	pass      uint64 // number of passes run
	byInode   map[uint32]owner
	byKey     map[Key]owner
	wantInode map[uint32]struct{}
	wantKey   map[Key]struct{}
	missInode map[uint32]uint64 // inode -> pass that last failed to find it
	missKey   map[Key]uint64

	// Owned by the pass (Run's goroutine), no lock:
	hints []int32          // pids that owned sockets lately: searched first
	names map[int32]string // names of the pids found last pass
}

// owner is a resolved socket owner; used is the pass of its last lookup.
type owner struct {
	pid  int32
	name string
	used uint64
}

// NewOwners returns an owner cache whose background pass (Run) runs at most
// every every; below MinOwnersEvery (or zero) it is MinOwnersEvery.
func NewOwners(log *slog.Logger, every time.Duration) *Owners {
	return newOwners(log, max(every, MinOwnersEvery))
}

// newOwners skips the interval floor (tests).
func newOwners(log *slog.Logger, every time.Duration) *Owners {
	return &Owners{
		log:       log,
		every:     every,
		kick:      make(chan struct{}, 1),
		byInode:   map[uint32]owner{},
		byKey:     map[Key]owner{},
		wantInode: map[uint32]struct{}{},
		wantKey:   map[Key]struct{}{},
		missInode: map[uint32]uint64{},
		missKey:   map[Key]uint64{},
		names:     map[int32]string{},
	}
}

// Lookup returns the process owning s. TIME_WAIT and orphaned sockets belong
// to the kernel (pid 0, name "kernel"). ok is false while the owner is not
// known yet (a pass will look) or cannot be known.
func (o *Owners) Lookup(s *Socket) (pid int32, name string, ok bool) {
	if s.State == TimeWait || s.Orphan {
		return 0, KernelOwner, true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if s.Inode != 0 {
		if ow, hit := o.byInode[s.Inode]; hit {
			ow.used = o.pass
			o.byInode[s.Inode] = ow
			return ow.pid, ow.name, true
		}
		if _, missed := o.missInode[s.Inode]; !missed && len(o.wantInode) < maxWanted {
			o.wantInode[s.Inode] = struct{}{}
			o.signal()
		}
		return 0, "", false
	}
	k := s.Key()
	if ow, hit := o.byKey[k]; hit {
		ow.used = o.pass
		o.byKey[k] = ow
		return ow.pid, ow.name, true
	}
	if _, missed := o.missKey[k]; !missed && len(o.wantKey) < maxWanted {
		o.wantKey[k] = struct{}{}
		o.signal()
	}
	return 0, "", false
}

// signal wakes Run without blocking.
func (o *Owners) signal() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run resolves queued sockets: a pass as soon as a lookup misses, then none
// for o.every. It returns nil when ctx is done; a pass in progress stops
// between two processes. Run once at a time.
func (o *Owners) Run(ctx context.Context) error {
	if !o.runs.CompareAndSwap(false, true) {
		return errors.New("owners: Run called while already running")
	}
	defer o.runs.Store(false)
	rest := time.NewTimer(0)
	defer rest.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.kick:
		}
		start := time.Now()
		o.runPass(ctx)
		o.log.Debug("owner pass", "took", time.Since(start))
		rest.Reset(o.every)
		select {
		case <-ctx.Done():
			return nil
		case <-rest.C:
		}
	}
}

// runPass resolves what is wanted, stores the answers and forgets owners
// nobody asked for lately.
func (o *Owners) runPass(ctx context.Context) {
	o.mu.Lock()
	o.pass++
	pass := o.pass
	wantInode := make(map[uint32]struct{}, len(o.wantInode))
	for ino := range o.wantInode {
		if p, missed := o.missInode[ino]; !missed || pass-p >= ownerRetryPasses {
			wantInode[ino] = struct{}{}
		}
	}
	wantKey := make(map[Key]struct{}, len(o.wantKey))
	for k := range o.wantKey {
		if p, missed := o.missKey[k]; !missed || pass-p >= ownerRetryPasses {
			wantKey[k] = struct{}{}
		}
	}
	clear(o.wantInode)
	clear(o.wantKey)
	o.mu.Unlock()

	var inodePids map[uint32]int32
	var keyPids map[Key]int32
	if len(wantInode) > 0 {
		var err error
		if inodePids, err = pidsByInode(ctx, wantInode, o.hints); err != nil {
			o.log.Warn("socket owners by inode", "err", err)
		}
	}
	if len(wantKey) > 0 {
		var err error
		if keyPids, err = pidsByKey(ctx, wantKey); err != nil {
			o.log.Warn("socket owners by address", "err", err)
		}
	}
	if ctx.Err() != nil {
		return // a cut-short pass proves nothing missing
	}
	names := o.namesOf(ctx, inodePids, keyPids)
	o.names = names
	o.hints = mergeHints(inodePids, o.hints)

	o.mu.Lock()
	defer o.mu.Unlock()
	for ino := range wantInode {
		pid, found := inodePids[ino]
		if !found {
			o.missInode[ino] = pass
			continue
		}
		delete(o.missInode, ino)
		o.byInode[ino] = owner{pid: pid, name: names[pid], used: pass}
	}
	for k := range wantKey {
		pid, found := keyPids[k]
		if !found {
			o.missKey[k] = pass
			continue
		}
		delete(o.missKey, k)
		name := names[pid]
		if pid == 0 {
			name = KernelOwner
		}
		o.byKey[k] = owner{pid: pid, name: name, used: pass}
	}
	o.evict(pass)
}

// mergeHints puts the pids just found first, then the previous hints.
func mergeHints(found map[uint32]int32, prev []int32) []int32 {
	hints := make([]int32, 0, maxHints)
	seen := map[int32]bool{}
	add := func(pid int32) {
		if !seen[pid] && len(hints) < maxHints {
			seen[pid] = true
			hints = append(hints, pid)
		}
	}
	for _, pid := range found {
		add(pid)
	}
	for _, pid := range prev {
		add(pid)
	}
	return hints
}

// namesOf names every pid found, reusing last pass's names (a pid is not
// reused while it holds a socket we just saw).
func (o *Owners) namesOf(ctx context.Context, a map[uint32]int32, b map[Key]int32) map[int32]string {
	prev := o.names
	names := map[int32]string{}
	add := func(pid int32) {
		if pid == 0 {
			return
		}
		if _, done := names[pid]; done {
			return
		}
		if n, ok := prev[pid]; ok && n != "" {
			names[pid] = n
			return
		}
		names[pid] = processName(ctx, pid)
	}
	for _, pid := range a {
		add(pid)
	}
	for _, pid := range b {
		add(pid)
	}
	return names
}

// evict forgets owners and misses older than their keep. Callers hold o.mu.
func (o *Owners) evict(pass uint64) {
	for ino, ow := range o.byInode {
		if pass-ow.used >= ownerKeepPasses {
			delete(o.byInode, ino)
		}
	}
	for k, ow := range o.byKey {
		if pass-ow.used >= ownerKeepPasses {
			delete(o.byKey, k)
		}
	}
	for ino, p := range o.missInode {
		if pass-p >= ownerRetryPasses {
			delete(o.missInode, ino)
		}
	}
	for k, p := range o.missKey {
		if pass-p >= ownerRetryPasses {
			delete(o.missKey, k)
		}
	}
}

// pidsByKey finds the pid holding each wanted 4-tuple in gopsutil's
// connection list (pid 0: listed, but no process holds it).
func pidsByKey(ctx context.Context, want map[Key]struct{}) (map[Key]int32, error) {
	ctx, cancel := context.WithTimeout(ctx, gopsutilTimeout)
	defer cancel()
	conns, err := listTCPOwners(ctx)
	if err != nil {
		return nil, err
	}
	found := make(map[Key]int32, len(want))
	for i := range conns {
		c := &conns[i]
		k := Key{Local: unmap(addrPort(c.Laddr)), Remote: unmap(addrPort(c.Raddr))}
		if _, ok := want[k]; !ok {
			continue
		}
		if prev, dup := found[k]; !dup || prev == 0 {
			found[k] = c.Pid
		}
	}
	return found, nil
}

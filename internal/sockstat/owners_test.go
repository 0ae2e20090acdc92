package sockstat

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

func TestOwnersKernelSockets(t *testing.T) {
	o := NewOwners(slog.New(slog.DiscardHandler), 0)
	for _, s := range []Socket{
		{State: TimeWait},
		{State: FinWait2, Orphan: true},
		{State: SynRecv, Orphan: true},
	} {
		pid, name, ok := o.Lookup(&s)
		if pid != 0 || name != KernelOwner || !ok {
			t.Errorf("%v orphan=%v: %d %q %v, want 0 kernel true", s.State, s.Orphan, pid, name, ok)
		}
	}
	if len(o.wantInode)+len(o.wantKey) != 0 {
		t.Error("kernel sockets were queued for a pass")
	}
}

func TestNewOwnersFloor(t *testing.T) {
	if o := NewOwners(slog.New(slog.DiscardHandler), time.Second); o.every != MinOwnersEvery {
		t.Errorf("every = %v, want the %v floor", o.every, MinOwnersEvery)
	}
	if o := NewOwners(slog.New(slog.DiscardHandler), time.Minute); o.every != time.Minute {
		t.Errorf("every = %v, want 1m", o.every)
	}
}

// TestOwnersEvict: owners nobody looked up for ownerKeepPasses passes, and
// misses older than ownerRetryPasses, are forgotten. Passes with nothing
// wanted do no I/O.
func TestOwnersEvict(t *testing.T) {
	o := newOwners(slog.New(slog.DiscardHandler), time.Hour)
	o.byInode[10] = owner{pid: 1, name: "a"}
	o.byInode[11] = owner{pid: 1, name: "a"}
	o.missInode[12] = 0
	ctx := context.Background()
	for range ownerKeepPasses - 1 {
		o.runPass(ctx)
		if _, _, ok := o.Lookup(&Socket{Inode: 11}); !ok { // keeps 11 alive
			t.Fatal("inode 11 forgotten early")
		}
	}
	o.runPass(ctx)
	if _, ok := o.byInode[10]; ok {
		t.Error("inode 10 not evicted")
	}
	if _, ok := o.byInode[11]; !ok {
		t.Error("inode 11 evicted although looked up")
	}
	// A known miss is not queued again until its retry pass.
	if _, _, ok := o.Lookup(&Socket{Inode: 12}); ok || len(o.wantInode) != 0 {
		t.Errorf("missed inode 12: ok %v, queued %d", ok, len(o.wantInode))
	}
	for range ownerRetryPasses {
		o.runPass(ctx)
	}
	if _, ok := o.missInode[12]; ok {
		t.Error("miss of inode 12 not forgotten")
	}
}

// TestOwnersRunStops: Run returns promptly on cancel, idle or resting after
// a pass.
func TestOwnersRunStops(t *testing.T) {
	o := newOwners(slog.New(slog.DiscardHandler), time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	// Queue a socket nobody owns, so a pass runs, then Run rests for an hour.
	o.Lookup(&Socket{State: Established, Local: netip.MustParseAddrPort("127.0.0.1:1"), Remote: netip.MustParseAddrPort("127.0.0.1:2")})
	deadline := time.Now().Add(30 * time.Second)
	for {
		o.mu.Lock()
		pass := o.pass
		o.mu.Unlock()
		if pass > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no pass ran")
		}
		time.Sleep(5 * time.Millisecond) // polling for the pass with a deadline
	}
	if err := o.Run(ctx); err == nil {
		t.Error("a second concurrent Run: want an error")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v, want nil", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return within 2s of cancel")
	}
}

package sockstat

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"
)

// startOwners runs o until the test ends.
func startOwners(t *testing.T, o *Owners) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = o.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func TestSocketInode(t *testing.T) {
	cases := map[string]uint32{"socket:[12345]": 12345, "socket:[4294967295]": 1<<32 - 1}
	for in, want := range cases {
		if got, ok := socketInode([]byte(in)); !ok || got != want {
			t.Errorf("socketInode(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"pipe:[1]", "socket:[]", "socket:[12", "socket:[1x]", "socket:[4294967296]", "/dev/null"} {
		if _, ok := socketInode([]byte(in)); ok {
			t.Errorf("socketInode(%q) ok", in)
		}
	}
}

// waitOwners looks every socket up until all are answered, and returns the
// answers.
func waitOwners(t *testing.T, o *Owners, socks []Socket) map[Key]owner {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		got := map[Key]owner{}
		for i := range socks {
			if pid, name, ok := o.Lookup(&socks[i]); ok {
				got[socks[i].Key()] = owner{pid: pid, name: name}
			}
		}
		if len(got) == len(socks) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("owners of %d of %d sockets found", len(got), len(socks))
		}
		time.Sleep(20 * time.Millisecond) // polling for the background pass with a deadline
	}
}

// TestOwnersLinux: the lab's sockets belong to this test process, its
// TIME_WAIT sockets to the kernel; by inode (netlink) and by 4-tuple
// (gopsutil, no inodes) alike.
func TestOwnersLinux(t *testing.T) {
	l := newLab(t, labV4, 2, 1, 1)
	self := processName(t.Context(), int32(os.Getpid()))
	if self == "" {
		t.Fatal("no name for this process")
	}
	n := newTestNetlink(t, netlinkVariants[0])
	for name, s := range map[string]Sampler{"netlink": n, "gopsutil": newGopsutil()} {
		t.Run(name, func(t *testing.T) {
			var socks []Socket
			for _, sk := range sample(t, s, l.port) {
				if _, ours := l.want[sk.Key()]; ours {
					socks = append(socks, sk)
				}
			}
			if len(socks) != len(l.want) {
				t.Fatalf("%d of the lab's %d sockets sampled", len(socks), len(l.want))
			}
			o := newOwners(slog.New(slog.DiscardHandler), 50*time.Millisecond)
			startOwners(t, o)
			got := waitOwners(t, o, socks)
			for _, sk := range socks {
				ow := got[sk.Key()]
				want := owner{pid: int32(os.Getpid()), name: self}
				if sk.State == TimeWait {
					want = owner{name: KernelOwner}
				}
				if ow != want {
					t.Errorf("%v %v: owner %+v, want %+v", sk.State, sk.Key(), ow, want)
				}
			}
		})
	}
}

// TestOwnersUnknownInode: an inode no process holds is searched once, then
// left alone until its retry.
func TestOwnersUnknownInode(t *testing.T) {
	o := newOwners(slog.New(slog.DiscardHandler), time.Hour)
	ghost := Socket{State: Established, Inode: 1<<32 - 2}
	if _, _, ok := o.Lookup(&ghost); ok {
		t.Fatal("ghost inode answered before any pass")
	}
	o.runPass(t.Context())
	if _, missed := o.missInode[ghost.Inode]; !missed {
		t.Fatal("ghost inode not recorded as missed")
	}
	if _, _, ok := o.Lookup(&ghost); ok || len(o.wantInode) != 0 {
		t.Errorf("ghost after a full pass: ok %v, queued %d", ok, len(o.wantInode))
	}
}

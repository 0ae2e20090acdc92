//go:build linux

package sockstat

import (
	"errors"
	"log/slog"
	"testing"
	"time"
)

func newTestNetlink(t testing.TB, v netlinkVariant) *netlinkSampler {
	t.Helper()
	n, err := newNetlinkVariant(v)
	if err != nil {
		t.Fatalf("netlink sampler: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// TestNetlinkMatchesSS: for IPv4, IPv6 and v4-mapped listeners, and for every
// request kind and bytecode form, the netlink sampler counts per (side,
// state) what ss counts.
func TestNetlinkMatchesSS(t *testing.T) {
	needSS(t)
	for _, c := range labCases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t, c, 3, 2, 4)
			for _, v := range netlinkVariants {
				t.Run(v.String(), func(t *testing.T) {
					checkAgainstSS(t, newTestNetlink(t, v), l)
				})
			}
		})
	}
}

// TestNetlinkSocketFields checks what the kernel says about each socket of a
// settled lab: TIME_WAIT countdowns, tcp_info on ESTABLISHED sockets, owners.
func TestNetlinkSocketFields(t *testing.T) {
	l := newLab(t, labMapped, 2, 2, 2)
	n := newTestNetlink(t, netlinkVariants[0])
	var socks []Socket
	deadline := time.Now().Add(settleTimeout)
	for socks = sample(t, n, l.port); !containsLab(socks, l); socks = sample(t, n, l.port) {
		if time.Now().After(deadline) {
			t.Fatalf("lab never showed up: %v", tally(socks, l.port))
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel until a deadline
	}
	mapped := 0
	for _, s := range socks {
		if _, ours := l.want[s.Key()]; !ours {
			continue
		}
		if s.Local.Addr().Is4In6() {
			mapped++
		}
		switch s.State {
		case TimeWait:
			if s.Timer != TimerTimeWait || s.Expires <= 0 || s.Expires > 60*time.Second {
				t.Errorf("TIME_WAIT %v: timer %v expires %v, want timewait in (0, 60s]", s.Key(), s.Timer, s.Expires)
			}
			if !s.Orphan || s.Inode != 0 || s.HasInfo {
				t.Errorf("TIME_WAIT %v: orphan %v inode %d hasInfo %v, want orphan, no inode, no tcp_info", s.Key(), s.Orphan, s.Inode, s.HasInfo)
			}
		case Established:
			// Loopback RTTs are tens of µs; the kernel's first estimate can
			// be larger, hence the generous bound.
			if !s.HasInfo || s.RTT <= 0 || s.RTT > time.Second {
				t.Errorf("ESTABLISHED %v: hasInfo %v rtt %v, want tcp_info with 0 < rtt <= 1s", s.Key(), s.HasInfo, s.RTT)
			}
			if s.Inode == 0 || s.Orphan {
				t.Errorf("ESTABLISHED %v: inode %d orphan %v, want an inode", s.Key(), s.Inode, s.Orphan)
			}
		case Listen:
			if s.Inode == 0 || s.HasInfo {
				t.Errorf("LISTEN %v: inode %d hasInfo %v", s.Key(), s.Inode, s.HasInfo)
			}
		}
	}
	// 1 listener + 2 established + 2 server-side TIME_WAIT on the server side.
	if mapped != 5 {
		t.Errorf("%d sockets with a ::ffff: local address, want 5 (the server side)", mapped)
	}
}

// TestNetlinkSampleAllocs: once the port set is compiled, a poll allocates
// nothing when dst has room.
func TestNetlinkSampleAllocs(t *testing.T) {
	l := newLab(t, labV4, 4, 0, 0)
	n := newTestNetlink(t, netlinkVariants[0])
	ports := []uint16{l.port, l.port + 1}
	dst := make([]Socket, 0, 64)
	var err error
	allocs := testing.AllocsPerRun(200, func() {
		dst, err = n.Sample(ports, dst[:0])
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dst) < 9 {
		t.Fatalf("%d sockets, want at least 9", len(dst))
	}
	if allocs != 0 {
		t.Errorf("%v allocations per poll, want 0", allocs)
	}
}

// TestNetlinkPortChanges: the filter follows the port list (recompiled on
// change, empty list -> no sockets, port 0 ignored).
func TestNetlinkPortChanges(t *testing.T) {
	a := newLab(t, labV4, 1, 0, 0)
	b := newLab(t, labV4, 2, 0, 0)
	n := newTestNetlink(t, netlinkVariants[0])
	count := func(ports ...uint16) int {
		socks, err := n.Sample(ports, nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(socks)
	}
	if got := count(a.port); got < 3 {
		t.Errorf("port a: %d sockets, want >= 3", got)
	}
	if got := count(a.port, b.port); got < 8 {
		t.Errorf("ports a, b: %d sockets, want >= 8", got)
	}
	if got := count(b.port); got < 5 || got >= 8 {
		t.Errorf("port b: %d sockets, want 5..7", got)
	}
	if got := count(); got != 0 {
		t.Errorf("no ports: %d sockets", got)
	}
	if got := count(0); got != 0 {
		t.Errorf("port 0 only: %d sockets, want 0 (ignored)", got)
	}
}

// TestNetlinkReopens: a sampler whose socket was lost (an I/O error closes
// it) reopens it on the next poll; one closed by Close stays closed.
func TestNetlinkReopens(t *testing.T) {
	l := newLab(t, labV4, 1, 0, 0)
	n := newTestNetlink(t, netlinkVariants[0])
	n.closeFD()
	socks, err := n.Sample([]uint16{l.port}, nil)
	if err != nil || len(socks) < 3 {
		t.Fatalf("sample after losing the socket: %d sockets, %v", len(socks), err)
	}
	n.Close()
	if _, err := n.Sample([]uint16{l.port}, nil); !errors.Is(err, errSamplerClosed) {
		t.Errorf("sample after Close: %v, want errSamplerClosed", err)
	}
}

// TestNetlinkProbe: on this kernel the preferred variant is accepted.
func TestNetlinkProbe(t *testing.T) {
	n, err := newNetlink()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if got := n.variant(); got != netlinkVariants[0] {
		t.Logf("kernel refused %v, using %v", netlinkVariants[0], got)
	}
}

func TestNewModes(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for mode, want := range map[string]string{ModeAuto: SourceNetlink, ModeNetlink: SourceNetlink, ModeGopsutil: SourceGopsutil} {
		s, err := New(log, mode)
		if err != nil {
			t.Fatalf("New(%q): %v", mode, err)
		}
		if s.Source() != want {
			t.Errorf("New(%q).Source() = %q, want %q", mode, s.Source(), want)
		}
		s.Close()
	}
	if _, err := New(log, "bogus"); err == nil {
		t.Error("New(bogus): want an error")
	}
}

// BenchmarkNetlinkSample: one poll of a port holding a dozen sockets, on
// whatever else the host holds. -benchmem shows 0 allocs/op.
func BenchmarkNetlinkSample(b *testing.B) {
	l := newLab(b, labV4, 4, 2, 2)
	for _, v := range netlinkVariants {
		b.Run(v.String(), func(b *testing.B) {
			n := newTestNetlink(b, v)
			ports := []uint16{l.port}
			dst := make([]Socket, 0, 64)
			var err error
			b.ReportAllocs()
			for b.Loop() {
				if dst, err = n.Sample(ports, dst[:0]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(dst)), "sockets")
		})
	}
}

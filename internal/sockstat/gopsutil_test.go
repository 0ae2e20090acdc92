package sockstat

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	psnet "github.com/shirou/gopsutil/v3/net"
)

func TestStateFromName(t *testing.T) {
	cases := map[string]State{
		// Linux (/proc spelling)
		"ESTABLISHED": Established, "SYN_SENT": SynSent, "SYN_RECV": SynRecv,
		"FIN_WAIT1": FinWait1, "FIN_WAIT2": FinWait2, "TIME_WAIT": TimeWait,
		"CLOSE": Close, "CLOSE_WAIT": CloseWait, "LAST_ACK": LastAck,
		"LISTEN": Listen, "CLOSING": Closing,
		// Windows and lsof
		"SYN_RECEIVED": SynRecv, "SYN_RCVD": SynRecv, "FIN_WAIT_1": FinWait1,
		"FIN_WAIT_2": FinWait2, "CLOSED": Close, "DELETE": Close, "time_wait": TimeWait,
	}
	for name, want := range cases {
		if got, ok := stateFromName(name); !ok || got != want {
			t.Errorf("stateFromName(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "NONE", "BOGUS"} {
		if _, ok := stateFromName(name); ok {
			t.Errorf("stateFromName(%q) ok, want not ok", name)
		}
	}
}

// fakeList serves a fixed gopsutil listing.
func fakeList(conns []psnet.ConnectionStat, err error) func(context.Context) ([]psnet.ConnectionStat, error) {
	return func(context.Context) ([]psnet.ConnectionStat, error) { return conns, err }
}

func conn(l string, lp uint32, r string, rp uint32, status string) psnet.ConnectionStat {
	return psnet.ConnectionStat{Laddr: psnet.Addr{IP: l, Port: lp}, Raddr: psnet.Addr{IP: r, Port: rp}, Status: status}
}

// TestGopsutilFilterAndDedupe: the listing is filtered to the ports, states
// are read, a connection listed twice (a torn /proc read) is kept once, and
// two SO_REUSEPORT listeners sharing a tuple are both kept.
func TestGopsutilFilterAndDedupe(t *testing.T) {
	g := newGopsutil()
	g.list = fakeList([]psnet.ConnectionStat{
		conn("0.0.0.0", 8081, "0.0.0.0", 0, "LISTEN"),
		conn("0.0.0.0", 8081, "0.0.0.0", 0, "LISTEN"),
		conn("127.0.0.1", 8081, "127.0.0.1", 40000, "ESTABLISHED"),
		conn("127.0.0.1", 40000, "127.0.0.1", 8081, "ESTABLISHED"),
		conn("::ffff:127.0.0.1", 8081, "::ffff:127.0.0.1", 40001, "TIME_WAIT"),
		conn("127.0.0.1", 8081, "127.0.0.1", 40001, "TIME_WAIT"), // same tuple, unmapped
		conn("127.0.0.1", 5432, "127.0.0.1", 40002, "ESTABLISHED"),
		conn("127.0.0.1", 8081, "127.0.0.1", 40003, "NONE"),
	}, nil)
	socks, err := g.Sample([]uint16{8081}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[sideState]int{}
	for i := range socks {
		got[sideState{SideOf(&socks[i], 8081), socks[i].State}]++
	}
	want := map[sideState]int{
		{Server, Listen}: 2, {Server, Established}: 1, {Client, Established}: 1, {Server, TimeWait}: 1,
	}
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%v = %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if socks[2].Local != netip.MustParseAddrPort("127.0.0.1:8081") {
		t.Errorf("third socket local %v", socks[2].Local)
	}

	if socks, err := g.Sample(nil, nil); err != nil || len(socks) != 0 {
		t.Errorf("no ports: %d sockets, %v", len(socks), err)
	}
	g.list = fakeList(nil, errors.New("boom"))
	if _, err := g.Sample([]uint16{8081}, nil); err == nil {
		t.Error("listing error not reported")
	}
}

func TestSourceNote(t *testing.T) {
	if n := SourceNote(SourceGopsutil, "darwin"); n != "TIME_WAIT is invisible on macOS: lsof cannot see sockets no process owns" {
		t.Errorf("darwin note %q", n)
	}
	for _, goos := range []string{"freebsd", "linux", "windows"} {
		if SourceNote(SourceGopsutil, goos) == "" {
			t.Errorf("gopsutil on %s: want a note", goos)
		}
	}
	if n := SourceNote(SourceNetlink, "linux"); n != "" {
		t.Errorf("netlink note %q, want none", n)
	}
	if n := SourceNote(SourceGopsutil, "plan9"); n != "" {
		t.Errorf("plan9 note %q, want none", n)
	}
}

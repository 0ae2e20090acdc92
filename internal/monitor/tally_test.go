package monitor

import (
	"reflect"
	"testing"

	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// Port 8081 on this host: a listener, two accepted connections (one of them a
// v4-mapped v6 socket), one server-side TIME_WAIT, a client dialled to 8081
// with its TIME_WAIT, a request socket, and sockets of other ports.
var fixture8081 = []sockstat.Socket{
	sock("0.0.0.0:8081", "0.0.0.0:0", sockstat.Listen),
	sock("127.0.0.1:8081", "127.0.0.1:50000", sockstat.Established),
	sock("[::ffff:127.0.0.1]:8081", "[::ffff:127.0.0.1]:50001", sockstat.Established),
	timeWait("127.0.0.1:8081", "127.0.0.1:50002", 59*1e9),
	sock("127.0.0.1:50000", "127.0.0.1:8081", sockstat.Established),
	timeWait("127.0.0.1:50003", "127.0.0.1:8081", 30*1e9),
	sock("127.0.0.1:8081", "127.0.0.1:50004", sockstat.NewSynRecv),
	sock("127.0.0.1:8081", "127.0.0.1:50005", sockstat.SynRecv),
	sock("127.0.0.1:9090", "127.0.0.1:50006", sockstat.Established), // another port
	sock("127.0.0.1:8081", "127.0.0.1:8081", sockstat.Established),  // self-connected: server side
}

func TestTallyOf(t *testing.T) {
	tl := TallyOf(fixture8081, 8081)
	tests := []struct {
		side sockstat.Side
		st   sockstat.State
		want int
	}{
		{sockstat.Server, sockstat.Listen, 1},
		{sockstat.Server, sockstat.Established, 3},
		{sockstat.Server, sockstat.TimeWait, 1},
		{sockstat.Server, sockstat.SynRecv, 2}, // NEW_SYN_RECV folded in
		{sockstat.Server, sockstat.NewSynRecv, 2},
		{sockstat.Client, sockstat.Established, 1},
		{sockstat.Client, sockstat.TimeWait, 1},
		{sockstat.Client, sockstat.Listen, 0},
		{sockstat.SideNone, sockstat.Established, 0},
		{sockstat.Server, sockstat.State(0), 0},
		{sockstat.Server, sockstat.State(200), 0},
	}
	for _, tc := range tests {
		if got := tl.Get(tc.side, tc.st); got != tc.want {
			t.Errorf("Get(%v, %v) = %d, want %d", tc.side, tc.st, got, tc.want)
		}
	}
	if tl.Total(sockstat.Server) != 7 || tl.Total(sockstat.Client) != 2 || tl.Total(sockstat.SideNone) != 0 {
		t.Errorf("Total = %d/%d/%d, want 7/2/0", tl.Total(sockstat.Server), tl.Total(sockstat.Client), tl.Total(sockstat.SideNone))
	}
	if other := TallyOf(fixture8081, 9090); other.Total(sockstat.Server) != 1 || other.Total(sockstat.Client) != 0 {
		t.Errorf("port 9090 tally = %+v", other)
	}
}

func TestTallyUnknownIgnored(t *testing.T) {
	var tl Tally
	tl.Add(sockstat.Server, sockstat.State(0))
	tl.Add(sockstat.Server, sockstat.State(99))
	tl.Add(sockstat.SideNone, sockstat.Established)
	tl.Add(sockstat.Side(7), sockstat.Established)
	if tl != (Tally{}) {
		t.Fatalf("unknown side/state counted: %+v", tl)
	}
}

func TestTallyCounts(t *testing.T) {
	tl := TallyOf(fixture8081, 8081)
	want := wire.Counts{
		Server: map[string]int{"LISTEN": 1, "ESTABLISHED": 3, "TIME_WAIT": 1, "SYN_RECV": 2},
		Client: map[string]int{"ESTABLISHED": 1, "TIME_WAIT": 1},
	}
	if got := tl.Counts(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Counts() = %v, want %v", got, want)
	}
	// Reused maps are rewritten, not merged.
	dst := wire.Counts{Server: map[string]int{"CLOSING": 9}, Client: map[string]int{"LAST_ACK": 9}}
	tl.fillCounts(&dst)
	if !reflect.DeepEqual(dst, want) {
		t.Fatalf("fillCounts = %v, want %v", dst, want)
	}
	var zero Tally
	if c := zero.Counts(); c.Server == nil || c.Client == nil || len(c.Server)+len(c.Client) != 0 {
		t.Fatalf("empty tally Counts() = %#v, want two empty non-nil maps", c)
	}
}

func TestTallyRow(t *testing.T) {
	tl := TallyOf(fixture8081, 8081)
	row := tl.Row(nil)
	if len(row) != Columns {
		t.Fatalf("row has %d values, want %d", len(row), Columns)
	}
	for i, st := range sockstat.States {
		if int(row[i]) != tl.Get(sockstat.Server, st) {
			t.Errorf("server column %s = %d, want %d", st, row[i], tl.Get(sockstat.Server, st))
		}
		if int(row[nStates+i]) != tl.Get(sockstat.Client, st) {
			t.Errorf("client column %s = %d, want %d", st, row[nStates+i], tl.Get(sockstat.Client, st))
		}
	}
}

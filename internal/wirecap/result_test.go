package wirecap

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	res := Result{Conns: []Conn{
		{SawSYN: true, Ended: true, FirstCloser: Server, FirstKind: KindFIN, Proto: ProtoHTTP1, Requests: 3},
		{SawSYN: true, Ended: true, FirstCloser: Server, FirstKind: KindFIN, Reset: true, ResetBy: Server, Requests: 1},
		{SawSYN: true, Ended: true, FirstCloser: Client, FirstKind: KindRST, Reset: true, ResetBy: Client},
		{SawSYN: true, Ended: true, FirstCloser: Client, FirstKind: KindFIN, Simultaneous: true, Requests: 2},
		{SawSYN: false, RequestsUnsure: "opened before the capture started", Requests: 0},
		{SawSYN: true, FirstCloser: Client, FirstKind: KindFIN, Requests: 1, RequestsUnsure: "a gap"},
	}}
	got := res.Summary()
	want := Summary{
		Conns: 6, NoSYN: 1, Ended: 4,
		ServerFirst: 2, ClientFirst: 2, Simultaneous: 1, NotClosed: 1,
		FirstFIN: 4, FirstRST: 1,
		Reset: 2, ResetByServer: 1, ResetByClient: 1, FINThenRST: 1,
		Requests: 7, Used: 4, RequestsOnUsed: 3, RequestsUnsure: 2,
	}
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if got.ServerFirst+got.ClientFirst+got.Simultaneous+got.NotClosed != got.Conns {
		t.Fatal("the close split does not add up")
	}
}

func TestComplete(t *testing.T) {
	if err := (Result{Packets: 10}).Complete(); err != nil {
		t.Fatal(err)
	}
	err := Result{Drops: 3, Malformed: 1}.Complete()
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "capture dropped 3 packets") ||
		!strings.Contains(err.Error(), "could not parse 1") {
		t.Fatalf("%v", err)
	}
	if err := (Result{Untracked: 1}).Complete(); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("%v", err)
	}
}

func TestFind(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:5000")
	res := Result{Conns: []Conn{{Client: a, Requests: 1}, {Client: netip.MustParseAddrPort("127.0.0.1:5001")}, {Client: a, Requests: 2}}}
	got := res.Find(netip.MustParseAddrPort("[::ffff:127.0.0.1]:5000"))
	if len(got) != 2 || got[0].Requests != 1 || got[1].Requests != 2 {
		t.Fatalf("%+v", got)
	}
}

package sockstat

import (
	"net/netip"
	"testing"
	"time"
)

// sideState is one cell of a per-port tally.
type sideState struct {
	side  Side
	state State
}

func (c sideState) String() string { return c.side.String() + "/" + c.state.String() }

func TestStateNames(t *testing.T) {
	want := map[State]string{
		Established: "ESTABLISHED", SynSent: "SYN_SENT", SynRecv: "SYN_RECV",
		FinWait1: "FIN_WAIT1", FinWait2: "FIN_WAIT2", TimeWait: "TIME_WAIT",
		Close: "CLOSE", CloseWait: "CLOSE_WAIT", LastAck: "LAST_ACK",
		Listen: "LISTEN", Closing: "CLOSING", NewSynRecv: "SYN_RECV",
		0: "UNKNOWN", 200: "UNKNOWN",
	}
	for s, name := range want {
		if s.String() != name {
			t.Errorf("State(%d).String() = %q, want %q", s, s.String(), name)
		}
	}
	for _, s := range States {
		if got, ok := ParseState(s.String()); !ok || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s.String(), got, ok)
		}
	}
	if _, ok := ParseState("ESTAB"); ok {
		t.Error("ParseState(ESTAB) ok, want not ok")
	}
	if NewSynRecv.Canonical() != SynRecv || TimeWait.Canonical() != TimeWait {
		t.Error("Canonical")
	}
	if TimerTimeWait.String() != "timewait" || TimerNone.String() != "" || Timer(9).String() != "unknown" {
		t.Error("Timer names")
	}
}

func TestSideOf(t *testing.T) {
	ap := netip.MustParseAddrPort
	cases := []struct {
		local, remote string
		want          Side
	}{
		{"127.0.0.1:8081", "127.0.0.1:40000", Server},
		{"127.0.0.1:40000", "127.0.0.1:8081", Client},
		{"127.0.0.1:8081", "127.0.0.1:8081", Server}, // connected to itself
		{"127.0.0.1:1", "127.0.0.1:2", SideNone},
		{"[::]:8081", "[::]:0", Server},
	}
	for _, c := range cases {
		s := Socket{Local: ap(c.local), Remote: ap(c.remote)}
		if got := SideOf(&s, 8081); got != c.want {
			t.Errorf("SideOf(%s -> %s) = %v, want %v", c.local, c.remote, got, c.want)
		}
	}
	if Server.String() != "server" || Client.String() != "client" || SideNone.String() != "" {
		t.Error("Side names")
	}
}

func TestKeyUnmaps(t *testing.T) {
	ap := netip.MustParseAddrPort
	a := Socket{Local: ap("[::ffff:127.0.0.1]:8081"), Remote: ap("[::ffff:127.0.0.1]:40000")}
	b := Socket{Local: ap("127.0.0.1:8081"), Remote: ap("127.0.0.1:40000"), State: TimeWait}
	if a.Key() != b.Key() {
		t.Errorf("keys differ: %v vs %v", a.Key(), b.Key())
	}
	c := Socket{Local: ap("[::1]:8081"), Remote: ap("[::1]:40000")}
	if c.Key().Local.Addr() != netip.IPv6Loopback() {
		t.Errorf("::1 changed by Key: %v", c.Key())
	}
}

func TestDedupe(t *testing.T) {
	ap := netip.MustParseAddrPort
	socks := []Socket{
		{Local: ap("1.1.1.1:1"), State: Established}, // before start: untouched
		{Local: ap("127.0.0.1:80"), Remote: ap("127.0.0.1:5"), State: Established, Expires: time.Second},
		{Local: ap("0.0.0.0:80"), State: Listen},
		{Local: ap("[::ffff:127.0.0.1]:80"), Remote: ap("[::ffff:127.0.0.1]:5"), State: TimeWait},
		{Local: ap("0.0.0.0:80"), State: Listen},
		{Local: ap("127.0.0.1:80"), Remote: ap("127.0.0.1:6"), State: Established},
	}
	got := dedupe(socks, 1, map[Key]struct{}{})
	if len(got) != 5 || got[1].Expires != time.Second || got[3].State != Listen || got[4].Remote.Port() != 6 {
		t.Errorf("dedupe = %+v", got)
	}
}

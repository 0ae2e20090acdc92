package wiretest

import (
	"net/netip"
	"testing"

	"github.com/connlab/connlab/internal/wirecap"
)

func conn(port uint16, closer wirecap.Side, kind wirecap.Kind, reset bool, requests int) wirecap.Conn {
	return wirecap.Conn{
		Client: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), Server: netip.MustParseAddrPort("127.0.0.1:8080"),
		SawSYN: true, SawSYNACK: true, FirstCloser: closer, FirstKind: kind, Reset: reset, Requests: requests,
	}
}

// TestCompare: claims pair with the wire's connections by client port,
// the most recent first (a port used twice; claims about the most recent
// only); refused SYNs are no connection; every disagreement is counted.
func TestCompare(t *testing.T) {
	refused := conn(40003, wirecap.Server, wirecap.KindRST, true, 0)
	refused.SawSYNACK = false
	killed := conn(40006, wirecap.Client, wirecap.KindFIN, true, 1) // FINs, then a stray RST
	killed.ResetAfterEnd = true
	res := wirecap.Result{Conns: []wirecap.Conn{
		conn(40001, wirecap.Server, wirecap.KindFIN, false, 1), // port 40001, first life: no claim
		conn(40002, wirecap.Client, wirecap.KindRST, true, 1),
		refused,
		conn(40001, wirecap.Server, wirecap.KindFIN, false, 3), // port 40001 again
		conn(40004, wirecap.Server, wirecap.KindFIN, true, 2),  // FIN then RST
		killed,
	}}
	claims := []Claim{
		{Label: "a", ClientPort: 40002, ClosedFirst: "client", Reset: true, Requests: 1},
		{Label: "b", ClientPort: 40001, ClosedFirst: "server", Requests: 2},               // fewer requests than sent: fine
		{Label: "c", ClientPort: 40004, ClosedFirst: "server", Reset: false, Requests: 3}, // missed the RST, counts too many
		{Label: "d", ClientPort: 40005, ClosedFirst: "client"},
		{Label: "e", ClientPort: 40006, ClosedFirst: "client", Requests: 1}, // ended by FINs: agrees
	}
	rep := Compare(res, claims)
	want := Report{Wire: 5, Refused: 1, Claims: 5, Matched: 4, CloserAgree: 4, ResetAgree: 3, TimeWaitKilled: 1, FewerRequests: 1, MoreRequests: 1}
	got := rep
	got.WireOnly, got.ClaimOnly, got.Disagree = nil, nil, nil
	if got.Wire != want.Wire || got.Refused != want.Refused || got.Claims != want.Claims || got.Matched != want.Matched ||
		got.CloserAgree != want.CloserAgree || got.ResetAgree != want.ResetAgree || got.TimeWaitKilled != want.TimeWaitKilled || got.FewerRequests != want.FewerRequests || got.MoreRequests != want.MoreRequests {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if len(rep.WireOnly) != 1 || rep.WireOnly[0].Requests != 1 || rep.WireOnly[0].Client.Port() != 40001 {
		t.Errorf("wire only %+v, want the first life of port 40001", rep.WireOnly)
	}
	if len(rep.ClaimOnly) != 1 || rep.ClaimOnly[0].Label != "d" {
		t.Errorf("claim only %+v, want d", rep.ClaimOnly)
	}
	if len(rep.Disagree) != 1 || rep.Disagree[0].Claim.Label != "c" {
		t.Errorf("disagree %+v, want c", rep.Disagree)
	}
	if Closer(res.Conns[1]) != "client" || Percent(0, 0) != 100 {
		t.Errorf("Closer %q, Percent(0, 0) %v", Closer(res.Conns[1]), Percent(0, 0))
	}
}

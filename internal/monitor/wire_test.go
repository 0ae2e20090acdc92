package monitor

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// owners is a fixture Owners: one process per local port.
type owners map[uint16]string

func (o owners) Lookup(s *sockstat.Socket) (int32, string, bool) {
	name, ok := o[s.Local.Port()]
	return int32(s.Local.Port()), name, ok
}

func TestToWireSocket(t *testing.T) {
	est := sock("[::ffff:127.0.0.1]:8081", "[::ffff:127.0.0.1]:50001", sockstat.Established)
	est.UID, est.Inode = 1000, 4242
	est.Timer, est.Expires = sockstat.TimerKeepalive, 14999*time.Millisecond+300*time.Microsecond
	est.HasInfo, est.RTT, est.Retrans = true, 1500*time.Microsecond, 3
	tw := timeWait("127.0.0.1:50002", "127.0.0.1:8081", 59*time.Second)
	noInfo := sock("127.0.0.1:8081", "127.0.0.1:50003", sockstat.CloseWait)
	zeroRetrans := sock("127.0.0.1:8081", "127.0.0.1:50004", sockstat.Established)
	zeroRetrans.HasInfo = true
	fixOwners := owners{8081: "server", 50002: "client"}
	zero := uint32(0)
	three := uint32(3)

	tests := []struct {
		name   string
		s      sockstat.Socket
		side   sockstat.Side
		owners Owners
		want   wire.Socket
	}{
		{"established with info and owner", est, sockstat.Server, fixOwners, wire.Socket{
			Local: "[::ffff:127.0.0.1]:8081", Remote: "[::ffff:127.0.0.1]:50001", Side: "server", State: "ESTABLISHED",
			Timer: "keepalive", TimerMs: 14999, UID: 1000, Inode: 4242, PID: 8081, Process: "server",
			RTTMs: 1.5, Retrans: &three,
		}},
		{"time wait is the kernel's whatever Owners says", tw, sockstat.Client, fixOwners, wire.Socket{
			Local: "127.0.0.1:50002", Remote: "127.0.0.1:8081", Side: "client", State: "TIME_WAIT",
			Timer: "timewait", TimerMs: 59000, Process: "kernel",
		}},
		{"no owners", noInfo, sockstat.Server, nil, wire.Socket{
			Local: "127.0.0.1:8081", Remote: "127.0.0.1:50003", Side: "server", State: "CLOSE_WAIT",
		}},
		{"owner unknown, zero retrans kept", zeroRetrans, sockstat.Server, owners{}, wire.Socket{
			Local: "127.0.0.1:8081", Remote: "127.0.0.1:50004", Side: "server", State: "ESTABLISHED", Retrans: &zero,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := toWireSocket(&tc.s, tc.side, tc.owners)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	// The retrans pointer must not alias the socket.
	got := toWireSocket(&est, sockstat.Server, nil)
	est.Retrans = 9
	if *got.Retrans != 3 {
		t.Fatal("wire socket aliases the sampled socket")
	}
}

func TestSortSockets(t *testing.T) {
	socks := []sockstat.Socket{
		timeWait("127.0.0.1:50009", "127.0.0.1:8081", time.Second),
		sock("127.0.0.1:8081", "127.0.0.1:50002", sockstat.Established),
		sock("127.0.0.1:50001", "127.0.0.1:8081", sockstat.Established),
		timeWait("127.0.0.1:8081", "127.0.0.1:50003", time.Second),
		sock("0.0.0.0:8081", "0.0.0.0:0", sockstat.Listen),
		sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established),
	}
	sortSockets(socks, 8081)
	var got []string
	for _, s := range socks {
		got = append(got, s.Local.String()+">"+s.Remote.String()+" "+s.State.String())
	}
	want := []string{
		"127.0.0.1:8081>127.0.0.1:50001 ESTABLISHED",
		"127.0.0.1:8081>127.0.0.1:50002 ESTABLISHED",
		"127.0.0.1:8081>127.0.0.1:50003 TIME_WAIT",
		"0.0.0.0:8081>0.0.0.0:0 LISTEN",
		"127.0.0.1:50001>127.0.0.1:8081 ESTABLISHED",
		"127.0.0.1:50009>127.0.0.1:8081 TIME_WAIT",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("order:\n got %q\nwant %q", got, want)
	}
}

func TestToWireTimeline(t *testing.T) {
	cols := make([][]int32, Columns)
	for i := range cols {
		cols[i] = []int32{int32(i)}
	}
	tl := TimelineOf(8081, 5, 5, []int64{1000}, cols)
	if tl.Port != 8081 || tl.Seq0 != 5 || tl.Seq != 5 || len(tl.Server) != nStates || len(tl.Client) != nStates {
		t.Fatalf("timeline header/width wrong: %+v", tl)
	}
	if tl.Server["ESTABLISHED"][0] != 0 || tl.Server["CLOSING"][0] != nStates-1 ||
		tl.Client["ESTABLISHED"][0] != nStates || tl.Client["TIME_WAIT"][0] != nStates+5 {
		t.Fatalf("Columns mapped to the wrong states: %+v", tl)
	}
	b, err := json.Marshal(tl)
	if err != nil {
		t.Fatal(err)
	}
	var back wire.Timeline
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tl) {
		t.Fatalf("round trip: %v\n%s", err, b)
	}
}

func TestTimeHelpers(t *testing.T) {
	if unixMs(time.Time{}) != 0 || rfc3339(time.Time{}) != "" {
		t.Fatal("zero time not rendered as empty")
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600))
	if unixMs(at) != at.UnixMilli() || rfc3339(at) != "2025-01-02T02:04:05.006Z" {
		t.Fatalf("unixMs=%d rfc3339=%q", unixMs(at), rfc3339(at))
	}
}

package sockstat

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// fixture is a raw answer of the kernel captured by TestCaptureFixtures: two
// labs (a v4-mapped listener with IPv4 clients, an IPv6 listener), with
// ESTABLISHED pairs and TIME_WAIT on both sides.
type fixture struct {
	name string
	kind dumpKind
	form bcForm
}

var fixtures = []fixture{
	{"dump_onewalk", dumpOneWalk, formEq},
	{"dump_perfamily", dumpPerFamily, formRange},
}

// goldenSocket is a Socket as the golden files spell it.
type goldenSocket struct {
	Local, Remote, State, Timer string
	ExpiresMS                   int64
	UID, Inode                  uint32
	Orphan, HasInfo             bool
	RTTMicros                   int64
	Retrans                     uint32
}

func goldenOf(socks []Socket) []goldenSocket {
	out := make([]goldenSocket, len(socks))
	for i, s := range socks {
		out[i] = goldenSocket{
			Local: s.Local.String(), Remote: s.Remote.String(), State: s.State.String(), Timer: s.Timer.String(),
			ExpiresMS: s.Expires.Milliseconds(), UID: s.UID, Inode: s.Inode, Orphan: s.Orphan,
			HasInfo: s.HasInfo, RTTMicros: s.RTT.Microseconds(), Retrans: s.Retrans,
		}
	}
	return out
}

func littleEndianOnly(t *testing.T) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("fixtures were captured on a little-endian host")
	}
}

// readDump reads a captured answer and the sequence numbers it answers.
func readDump(t *testing.T, name string) (raw []byte, first, count uint32) {
	t.Helper()
	seq := readFixture(t, name+".seq")
	return readFixture(t, name+".bin"), uint32(seq[0]), uint32(seq[1])
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseFixtures parses real dumps and compares with the golden files,
// then checks what the kernel promises about each kind of socket.
func TestParseFixtures(t *testing.T) {
	littleEndianOnly(t)
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			raw, first, count := readDump(t, fx.name)
			var want []goldenSocket
			if err := json.Unmarshal(readFixture(t, fx.name+".golden.json"), &want); err != nil {
				t.Fatal(err)
			}
			// One answer per request of the poll, told apart by sequence
			// number: each pass takes its own messages and skips the others.
			var socks []Socket
			for seq := first; seq < first+count; seq++ {
				var done bool
				var err error
				if socks, done, err = parseDump(raw, seq, socks); err != nil || !done {
					t.Fatalf("parseDump seq %d: done %v, err %v", seq, done, err)
				}
			}
			if got := goldenOf(socks); !slices.Equal(got, want) {
				gj, _ := json.MarshalIndent(got, "", "  ")
				t.Fatalf("parsed sockets differ from the golden file:\n%s", gj)
			}
			checkInvariants(t, socks)

			// The same bytes answering another request are skipped whole.
			other, done, err := parseDump(raw, first+count, nil)
			if len(other) != 0 || done || err != nil {
				t.Errorf("stale answer: %d sockets, done %v, err %v; want all skipped", len(other), done, err)
			}
		})
	}
}

// checkInvariants: what the fixture labs must show whatever the capture run.
func checkInvariants(t *testing.T, socks []Socket) {
	t.Helper()
	count := map[State]int{}
	v4, mapped, v6 := 0, 0, 0
	for _, s := range socks {
		count[s.State]++
		switch a := s.Local.Addr(); {
		case a.Is4():
			v4++
		case a.Is4In6():
			mapped++
		default:
			v6++
		}
		switch s.State {
		case TimeWait:
			if s.Timer != TimerTimeWait || s.Expires <= 0 || s.Expires > 60*time.Second || !s.Orphan || s.HasInfo {
				t.Errorf("TIME_WAIT %+v", s)
			}
		case Established:
			if !s.HasInfo || s.RTT <= 0 || s.Inode == 0 || s.Orphan {
				t.Errorf("ESTABLISHED %+v", s)
			}
		case Listen:
			if s.Inode == 0 || s.HasInfo || s.Remote.Port() != 0 {
				t.Errorf("LISTEN %+v", s)
			}
		}
	}
	// Labs: mapped (1 listener, 2 pairs, 1 server- and 1 client-closed) and
	// v6 (1 listener, 1 pair, 1 client-closed).
	want := map[State]int{Listen: 2, Established: 6, TimeWait: 3}
	for st, n := range want {
		if count[st] != n {
			t.Errorf("%v: %d sockets, want %d", st, count[st], n)
		}
	}
	// Client sockets of the mapped lab are AF_INET; its server sockets
	// (listener, 2 established, 1 server-side TIME_WAIT) are ::ffff:.
	if v4 != 3 || mapped != 4 || v6 != 4 {
		t.Errorf("families: %d IPv4, %d v4-mapped, %d IPv6; want 3, 4, 4", v4, mapped, v6)
	}
}

// nlmsg builds one netlink message for the synthetic cases.
func nlmsg(typ uint16, seq uint32, payload []byte) []byte {
	ne := binary.NativeEndian
	b := ne.AppendUint32(nil, uint32(nlmsgHdrLen+len(payload)))
	b = ne.AppendUint16(b, typ)
	b = ne.AppendUint16(b, 2) // NLM_F_MULTI
	b = ne.AppendUint32(b, seq)
	b = ne.AppendUint32(b, 0)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func i32(v int32) []byte { return binary.NativeEndian.AppendUint32(nil, uint32(v)) }

// diagMsg builds an inet_diag_msg for 127.0.0.1:sport -> 127.0.0.1:dport.
func diagMsg(family, state, timer byte, sport, dport uint16, attrs ...[]byte) []byte {
	b := make([]byte, diagMsgLen)
	b[0], b[offState], b[offTimer] = family, state, timer
	binary.BigEndian.PutUint16(b[offSport:], sport)
	binary.BigEndian.PutUint16(b[offDport:], dport)
	copy(b[offSrc:], []byte{127, 0, 0, 1})
	copy(b[offDst:], []byte{127, 0, 0, 1})
	binary.NativeEndian.PutUint32(b[offExpires:], 1500)
	binary.NativeEndian.PutUint32(b[offInode:], 77)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

func attr(typ uint16, payload []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(nlaHdrLen+len(payload)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func TestParseSynthetic(t *testing.T) {
	info := make([]byte, 232)
	binary.NativeEndian.PutUint32(info[tcpiRTT:], 250)
	binary.NativeEndian.PutUint32(info[tcpiTotalRetrans:], 3)
	shortInfo := make([]byte, 40) // an ancient tcp_info: no rtt field

	b := slices.Concat(
		nlmsg(sockDiagByFamily, 9, diagMsg(afInet, 1, 2, 8081, 40000, attr(attrInfo, info))),
		nlmsg(sockDiagByFamily, 8, diagMsg(afInet, 1, 0, 1, 2)), // stale
		nlmsg(tcpdiagGetsock, 9, diagMsg(afInet, 1, 0, 40000, 8081, attr(attrInfo, shortInfo))),
		nlmsg(sockDiagByFamily, 9, diagMsg(afInet, 10, 0, 8081, 0, attr(attrInfo, info))),
		nlmsg(nlmsgDone, 9, i32(0)),
	)
	socks, done, err := parseDump(b, 9, nil)
	if err != nil || !done || len(socks) != 3 {
		t.Fatalf("parseDump: %d sockets, done %v, err %v", len(socks), done, err)
	}
	s := socks[0]
	if s.Local.String() != "127.0.0.1:8081" || s.Remote.String() != "127.0.0.1:40000" || s.State != Established ||
		s.Timer != TimerKeepalive || s.Expires != 1500*time.Millisecond || s.Inode != 77 || s.Orphan ||
		!s.HasInfo || s.RTT != 250*time.Microsecond || s.Retrans != 3 {
		t.Errorf("first socket %+v", s)
	}
	if socks[1].HasInfo {
		t.Errorf("short tcp_info gave HasInfo: %+v", socks[1])
	}
	if socks[2].HasInfo || socks[2].Expires != 0 {
		t.Errorf("listener: tcp_info or expiry without a timer: %+v", socks[2])
	}

	// Errors.
	_, done, err = parseDump(nlmsg(nlmsgError, 9, append(i32(-22), make([]byte, 16)...)), 9, nil)
	if !done || !errors.Is(err, syscall.EINVAL) {
		t.Errorf("NLMSG_ERROR -22: done %v, err %v; want EINVAL", done, err)
	}
	_, done, err = parseDump(nlmsg(nlmsgDone, 9, i32(-16)), 9, nil)
	if !done || !errors.Is(err, syscall.EBUSY) {
		t.Errorf("NLMSG_DONE -16: done %v, err %v; want EBUSY", done, err)
	}
	for name, bad := range map[string][]byte{
		"short header":   {1, 2, 3},
		"length too big": nlmsg(sockDiagByFamily, 9, nil)[:nlmsgHdrLen-1],
		"short diag msg": nlmsg(sockDiagByFamily, 9, make([]byte, 10)),
		"bad family":     nlmsg(sockDiagByFamily, 9, diagMsg(7, 1, 0, 1, 2)),
		"bad attribute":  nlmsg(sockDiagByFamily, 9, diagMsg(afInet, 1, 0, 1, 2, []byte{200, 0, 2, 0})),
	} {
		if _, _, err := parseDump(bad, 9, nil); !errors.Is(err, errMalformed) {
			t.Errorf("%s: err %v, want errMalformed", name, err)
		}
	}
	// A buffer without NLMSG_DONE is not the end of the dump.
	if _, done, err := parseDump(nlmsg(sockDiagByFamily, 9, diagMsg(afInet, 1, 0, 1, 2)), 9, nil); done || err != nil {
		t.Errorf("partial dump: done %v, err %v", done, err)
	}
}

// TestParseNoAllocs: parsing allocates nothing when dst has room.
func TestParseNoAllocs(t *testing.T) {
	littleEndianOnly(t)
	raw, seq, _ := readDump(t, "dump_onewalk")
	dst := make([]Socket, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		dst, _, _ = parseDump(raw, seq, dst[:0])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per parse, want 0", allocs)
	}
}

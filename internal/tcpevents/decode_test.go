package tcpevents

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// record builds a ring buffer record as bpf/probe.c writes it.
func record(kind Kind, family uint16, saddr, daddr []byte, sport, dport uint16, old, new sockstat.State, reason uint16, pid uint32, comm string) []byte {
	b := make([]byte, recordSize)
	ne := binary.NativeEndian
	ne.PutUint64(b[offMono:], 5_000_000_000)
	ne.PutUint64(b[offCookie:], 42)
	copy(b[offSaddr:], saddr)
	copy(b[offDaddr:], daddr)
	ne.PutUint16(b[offSport:], sport)
	ne.PutUint16(b[offDport:], dport)
	ne.PutUint16(b[offFamily:], family)
	b[offKind] = byte(kind)
	b[offOldState], b[offNewState] = byte(old), byte(new)
	ne.PutUint16(b[offReason:], reason)
	if pid != 0 {
		b[offFlags] = flagPidKnown
		ne.PutUint32(b[offPid:], pid)
		copy(b[offComm:], comm)
	}
	return b
}

func TestDecode(t *testing.T) {
	v4 := func(s string) []byte { a := netip.MustParseAddr(s).As4(); return a[:] }
	v6 := func(s string) []byte { a := netip.MustParseAddr(s).As16(); return a[:] }
	d := newDecoder(1_000_000_000, []string{"NOT_SPECIFIED", "NO_SOCKET"})
	cases := []struct {
		name string
		rec  []byte
		want Event
	}{
		{"ipv4 transition with process", record(Transition, afInet, v4("127.0.0.1"), v4("10.1.2.3"), 8081, 40000, sockstat.Established, sockstat.FinWait1, 0, 77, "curl"),
			Event{Kind: Transition, Local: netip.MustParseAddrPort("127.0.0.1:8081"), Remote: netip.MustParseAddrPort("10.1.2.3:40000"), Old: sockstat.Established, New: sockstat.FinWait1, PidKnown: true, Pid: 77, Comm: "curl"}},
		{"v4-mapped unmapped", record(Transition, afInet6, v6("::ffff:127.0.0.1"), v6("::ffff:127.0.0.2"), 8081, 40000, sockstat.Established, sockstat.CloseWait, 0, 0, ""),
			Event{Kind: Transition, IPv6: true, Local: netip.MustParseAddrPort("127.0.0.1:8081"), Remote: netip.MustParseAddrPort("127.0.0.2:40000"), Old: sockstat.Established, New: sockstat.CloseWait}},
		{"ipv6 reset sent with reason", record(ResetSent, afInet6, v6("::1"), v6("fe80::1"), 8081, 40000, sockstat.Close, sockstat.Close, 1, 0, ""),
			Event{Kind: ResetSent, IPv6: true, Local: netip.MustParseAddrPort("[::1]:8081"), Remote: netip.MustParseAddrPort("[fe80::1]:40000"), Old: sockstat.Close, New: sockstat.Close, Reason: "NO_SOCKET"}},
		{"reason out of table", record(ResetSent, afInet, v4("127.0.0.1"), v4("127.0.0.1"), 1, 2, 0, 0, 9, 0, ""),
			Event{Kind: ResetSent, Local: netip.MustParseAddrPort("127.0.0.1:1"), Remote: netip.MustParseAddrPort("127.0.0.1:2")}},
		{"full-length comm", record(ResetReceived, afInet, v4("127.0.0.1"), v4("127.0.0.1"), 1, 2, sockstat.Established, sockstat.Established, 3, 9, "0123456789abcdef"),
			Event{Kind: ResetReceived, Local: netip.MustParseAddrPort("127.0.0.1:1"), Remote: netip.MustParseAddrPort("127.0.0.1:2"), Old: sockstat.Established, New: sockstat.Established, PidKnown: true, Pid: 9, Comm: "0123456789abcdef"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Start from a dirty event: decode must set every field.
			ev := Event{Reason: "stale", Comm: "stale", Pid: 1, PidKnown: true, IPv6: true}
			if !d.decode(tc.rec, &ev) {
				t.Fatal("decode refused a well-formed record")
			}
			tc.want.Mono, tc.want.Cookie = 5_000_000_000, 42
			tc.want.At = time.Unix(6, 0)
			if !ev.At.Equal(tc.want.At) {
				t.Errorf("At %v, want %v", ev.At, tc.want.At)
			}
			ev.At = tc.want.At
			if ev != tc.want {
				t.Errorf("got  %+v\nwant %+v", ev, tc.want)
			}
		})
	}
	var ev Event
	for _, n := range []int{0, recordSize - 1, recordSize + 8} {
		if d.decode(make([]byte, n), &ev) {
			t.Errorf("decode accepted a %d-byte record", n)
		}
	}
}

func TestCommInternBounded(t *testing.T) {
	d := newDecoder(0, nil)
	var c [commLen]byte
	for i := range 3 * commCacheMax {
		binary.NativeEndian.PutUint32(c[:], uint32(i))
		d.comm(&c)
		if len(d.comms) > commCacheMax {
			t.Fatalf("comm cache grew to %d, limit %d", len(d.comms), commCacheMax)
		}
	}
}

// BenchmarkDecode is the user-space cost per event once Run has a record:
// decoding it into the reused Event (0 allocations in steady state).
func BenchmarkDecode(b *testing.B) {
	a := netip.MustParseAddr("::ffff:127.0.0.1").As16()
	rec := record(Transition, afInet6, a[:], a[:], 8081, 40000, sockstat.Established, sockstat.FinWait1, 0, 1234, "server")
	d := newDecoder(0, nil)
	var ev Event
	b.ReportAllocs()
	for b.Loop() {
		if !d.decode(rec, &ev) {
			b.Fatal("decode failed")
		}
	}
}

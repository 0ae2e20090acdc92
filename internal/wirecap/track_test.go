package wirecap

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// talk models the two ends of a connection closely enough to write the
// segments a test needs: each end's next sequence number and what it has
// received. emit builds a segment as its sender would (acknowledging what
// the sender has received so far); deliver hands it to the receiver and to
// the capture, in that order, like the received copy on lo.
type talk struct {
	t        *testing.T
	tr       *tracker
	cli, srv netip.AddrPort
	snd, rcv [2]uint32 // by end: 0 client, 1 server
	clock    time.Time
}

func newTalk(t *testing.T, cli, srv string, port uint16) *talk {
	return &talk{
		t: t, tr: newTracker([]uint16{port}, nil),
		cli: netip.MustParseAddrPort(cli), srv: netip.MustParseAddrPort(srv),
		snd:   [2]uint32{0xfffffff0, 1000}, // the client's ISN wraps soon
		clock: time.Unix(1700000000, 0),
	}
}

// end indexes: the client and the server.
const (
	cEnd = 0
	sEnd = 1
)

func (k *talk) emit(from int, f tcpFlags, data string) segment {
	s := segment{Seq: k.snd[from], Flags: f, Len: len(data), Payload: []byte(data)}
	s.Src, s.Dst = k.cli, k.srv
	if from == sEnd {
		s.Src, s.Dst = k.srv, k.cli
	}
	if f.Has(flagACK) {
		s.Ack = k.rcv[from]
	}
	k.snd[from] += uint32(len(data))
	if f.Has(flagSYN) {
		k.snd[from]++
	}
	if f.Has(flagFIN) {
		k.snd[from]++
	}
	return s
}

func (k *talk) deliver(s segment) {
	k.clock = k.clock.Add(time.Millisecond)
	s.At = k.clock
	to := sEnd
	if s.Src == k.srv {
		to = cEnd
	}
	end := s.Seq + uint32(s.Len)
	if s.Flags.Has(flagSYN) {
		end++
	}
	if s.Flags.Has(flagFIN) {
		end++
	}
	if s.Flags.Has(flagSYN) || seqLT(k.rcv[to], end) {
		k.rcv[to] = end
	}
	k.tr.add(s)
}

// send emits and delivers at once.
func (k *talk) send(from int, f tcpFlags, data string) { k.deliver(k.emit(from, f, data)) }

func (k *talk) handshake() {
	k.send(cEnd, flagSYN, "")
	k.send(sEnd, flagSYN|flagACK, "")
	k.send(cEnd, flagACK, "")
}

// one returns the only connection tracked.
func (k *talk) one() Conn {
	k.t.Helper()
	conns := k.tr.result()
	if len(conns) != 1 {
		k.t.Fatalf("%d connections, want 1: %+v", len(conns), conns)
	}
	return conns[0]
}

func TestCloseDerivation(t *testing.T) {
	type want struct {
		closer       Side
		kind         Kind
		simultaneous bool
		reset        bool
		resetBy      Side
		ended        bool
		afterEnd     bool
	}
	for _, tc := range []struct {
		name   string
		script func(k *talk)
		want   want
	}{
		{"server closes first", func(k *talk) {
			k.send(cEnd, flagPSH|flagACK, "ping")
			k.send(sEnd, flagFIN|flagACK, "")
			k.send(cEnd, flagACK, "")
			k.send(cEnd, flagFIN|flagACK, "")
			k.send(sEnd, flagACK, "")
		}, want{closer: Server, kind: KindFIN, ended: true}},
		{"client closes first, peer FIN piggybacks the ACK", func(k *talk) {
			k.send(cEnd, flagFIN|flagACK, "")
			k.send(sEnd, flagFIN|flagACK, "")
			k.send(cEnd, flagACK, "")
		}, want{closer: Client, kind: KindFIN, ended: true}},
		{"FIN carrying data", func(k *talk) {
			k.send(sEnd, flagFIN|flagPSH|flagACK, "bye")
			k.send(cEnd, flagFIN|flagACK, "")
			k.send(sEnd, flagACK, "")
		}, want{closer: Server, kind: KindFIN, ended: true}},
		{"simultaneous: neither FIN acknowledges the other", func(k *talk) {
			a := k.emit(cEnd, flagFIN|flagACK, "")
			b := k.emit(sEnd, flagFIN|flagACK, "")
			k.deliver(a)
			k.deliver(b)
			k.send(cEnd, flagACK, "")
			k.send(sEnd, flagACK, "")
		}, want{closer: Client, kind: KindFIN, simultaneous: true, ended: true}},
		{"simultaneous, captured in the other order", func(k *talk) {
			a := k.emit(cEnd, flagFIN|flagACK, "")
			b := k.emit(sEnd, flagFIN|flagACK, "")
			k.deliver(b)
			k.deliver(a)
			k.send(sEnd, flagACK, "")
			k.send(cEnd, flagACK, "")
		}, want{closer: Server, kind: KindFIN, simultaneous: true, ended: true}},
		{"second FIN without ACK flag is simultaneous", func(k *talk) {
			k.send(sEnd, flagFIN|flagACK, "")
			k.send(cEnd, flagFIN, "")
		}, want{closer: Server, kind: KindFIN, simultaneous: true}},
		{"retransmitted first FIN does not make it simultaneous", func(k *talk) {
			fin := k.emit(sEnd, flagFIN|flagACK, "")
			k.deliver(fin)
			k.deliver(fin)
			k.send(cEnd, flagFIN|flagACK, "")
			k.send(sEnd, flagACK, "")
		}, want{closer: Server, kind: KindFIN, ended: true}},
		{"half close: one FIN, still open", func(k *talk) {
			k.send(cEnd, flagFIN|flagACK, "")
			k.send(sEnd, flagACK, "")
		}, want{closer: Client, kind: KindFIN}},
		{"server reset", func(k *talk) {
			k.send(sEnd, flagRST|flagACK, "")
		}, want{closer: Server, kind: KindRST, reset: true, resetBy: Server, ended: true}},
		{"client reset, then the server's reply to it", func(k *talk) {
			k.send(cEnd, flagRST, "")
			k.send(sEnd, flagRST, "")
		}, want{closer: Client, kind: KindRST, reset: true, resetBy: Client, ended: true}},
		{"server FIN then RST", func(k *talk) {
			k.send(sEnd, flagFIN|flagACK, "")
			k.send(cEnd, flagACK, "")
			k.send(sEnd, flagRST|flagACK, "")
		}, want{closer: Server, kind: KindFIN, reset: true, resetBy: Server, ended: true}},
		{"server FIN, client data, client RST", func(k *talk) {
			k.send(sEnd, flagFIN|flagACK, "")
			k.send(cEnd, flagPSH|flagACK, "late")
			k.send(cEnd, flagRST, "")
		}, want{closer: Server, kind: KindFIN, reset: true, resetBy: Client, ended: true}},
		{"RST after both FINs: a TIME_WAIT killed, the close was FINs", func(k *talk) {
			k.send(cEnd, flagFIN|flagACK, "")
			stale := k.emit(sEnd, flagACK, "") // the server's delayed ACK of it
			k.send(sEnd, flagFIN|flagACK, "")  // overtakes it
			k.send(cEnd, flagACK, "")          // the server's socket is gone
			k.deliver(stale)                   // the client's TIME_WAIT answers it
			k.send(cEnd, flagACK, "")
			k.send(sEnd, flagRST, "") // the listener's answer: no such connection
		}, want{closer: Client, kind: KindFIN, reset: true, resetBy: Server, ended: true, afterEnd: true}},
		{"open", func(k *talk) {
			k.send(cEnd, flagPSH|flagACK, "x")
		}, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newTalk(t, "127.0.0.1:50000", "127.0.0.1:8080", 8080)
			k.handshake()
			tc.script(k)
			c := k.one()
			got := want{c.FirstCloser, c.FirstKind, c.Simultaneous, c.Reset, c.ResetBy, c.Ended, c.ResetAfterEnd}
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			if c.Client != k.cli || c.Server != k.srv || !c.SawSYN || !c.SawSYNACK {
				t.Fatalf("ends %v -> %v (syn %v)", c.Client, c.Server, c.SawSYN)
			}
			if c.FirstCloser != NoSide && (c.FirstCloseAt.Before(c.Start) || c.FirstCloseAt.After(c.End)) {
				t.Fatalf("first close at %v outside [%v, %v]", c.FirstCloseAt, c.Start, c.End)
			}
		})
	}
}

// TestRefused: a SYN answered by an RST (no listener) is a connection on
// the wire that never opened: SawSYNACK tells it from one that did.
func TestRefused(t *testing.T) {
	k := newTalk(t, "127.0.0.1:50000", "127.0.0.1:8080", 8080)
	k.send(cEnd, flagSYN, "")
	k.send(sEnd, flagRST|flagACK, "")
	c := k.one()
	if !c.SawSYN || c.SawSYNACK || c.FirstCloser != Server || c.FirstKind != KindRST {
		t.Fatalf("refused: syn %v syn-ack %v, first close %v %v", c.SawSYN, c.SawSYNACK, c.FirstCloser, c.FirstKind)
	}
}

func TestConnIdentity(t *testing.T) {
	t.Run("the SYN decides the client even on two watched ports", func(t *testing.T) {
		k := newTalk(t, "127.0.0.1:9000", "127.0.0.1:8080", 8080)
		k.tr.ports = []uint16{8080, 9000}
		k.handshake()
		if c := k.one(); c.Client != k.cli || c.Server != k.srv {
			t.Fatalf("client %v server %v", c.Client, c.Server)
		}
	})
	t.Run("mid-stream: the watched port is the server", func(t *testing.T) {
		k := newTalk(t, "[::1]:50000", "[::1]:8080", 8080)
		k.send(sEnd, flagPSH|flagACK, "late reply")
		k.send(cEnd, flagPSH|flagACK, "GET / HTTP/1.1\r\n\r\n")
		c := k.one()
		if c.Client != k.cli || c.Server != k.srv || c.SawSYN || c.RequestsUnsure == "" {
			t.Fatalf("%+v", c)
		}
	})
	t.Run("retransmitted SYN is the same connection", func(t *testing.T) {
		k := newTalk(t, "127.0.0.1:50000", "127.0.0.1:8080", 8080)
		syn := k.emit(cEnd, flagSYN, "")
		k.deliver(syn)
		k.deliver(syn)
		k.send(sEnd, flagSYN|flagACK, "")
		if c := k.one(); c.Segments != 3 || c.Start != time.Unix(1700000000, 0).Add(time.Millisecond) {
			t.Fatalf("%+v", c)
		}
	})
	t.Run("a new SYN on a used 4-tuple is a new connection", func(t *testing.T) {
		k := newTalk(t, "127.0.0.1:50000", "127.0.0.1:8080", 8080)
		k.handshake()
		k.send(cEnd, flagPSH|flagACK, "GET /a HTTP/1.1\r\n\r\n")
		k.send(cEnd, flagFIN|flagACK, "")
		k.send(sEnd, flagFIN|flagACK, "")
		k.send(cEnd, flagACK, "")
		k.snd = [2]uint32{5000, 9000} // tcp_tw_reuse: new ISNs
		k.handshake()
		k.send(cEnd, flagPSH|flagACK, "GET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n")
		k.send(sEnd, flagRST, "")
		conns := k.tr.result()
		if len(conns) != 2 {
			t.Fatalf("%d connections: %+v", len(conns), conns)
		}
		if a, b := conns[0], conns[1]; a.Requests != 1 || a.FirstCloser != Client || a.Reset ||
			b.Requests != 2 || b.FirstKind != KindRST || !b.Start.After(a.End) {
			t.Fatalf("first %+v\nsecond %+v", a, b)
		}
	})
	t.Run("connections past the limit are counted, not tracked", func(t *testing.T) {
		tr := newTracker([]uint16{80}, nil)
		tr.limit = 100
		for i := range tr.limit + 3 {
			tr.add(segment{Src: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(1000+i)),
				Dst: netip.MustParseAddrPort("127.0.0.1:80"), Flags: flagSYN})
		}
		if len(tr.conns) != tr.limit || tr.untracked != 3 {
			t.Fatalf("%d tracked, %d untracked", len(tr.conns), tr.untracked)
		}
	})
}

func TestBytes(t *testing.T) {
	k := newTalk(t, "127.0.0.1:50000", "127.0.0.1:8080", 8080)
	k.handshake()
	k.send(cEnd, flagPSH|flagACK, "GET / HTTP/1.1\r\n\r\n")
	data := k.emit(sEnd, flagPSH|flagACK, "HTTP/1.1 200 OK\r\n\r\n")
	k.deliver(data)
	k.deliver(data) // a retransmission is not counted twice
	k.send(sEnd, flagFIN|flagACK, "")
	k.send(cEnd, flagFIN|flagACK, "")
	c := k.one()
	if c.ClientBytes != 18 || c.ServerBytes != 19 {
		t.Fatalf("client %d server %d bytes", c.ClientBytes, c.ServerBytes)
	}
}

func TestEndpoints(t *testing.T) {
	conns := []string{"127.0.0.1:50000>127.0.0.1:8080", "127.0.0.1:50001>127.0.0.2:8080", "[::1]:50002>[::1]:8080"}
	for _, tc := range []struct {
		endpoint string
		want     []bool // conns tracked
	}{
		{"127.0.0.1:8080", []bool{true, false, false}},
		{"[::ffff:127.0.0.1]:8080", []bool{true, false, false}},
		{"0.0.0.0:8080", []bool{true, true, false}},
		{"[::1]:8080", []bool{false, false, true}},
		{"[::]:8080", []bool{true, true, true}},
		{"[::]:9090", []bool{false, false, false}},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			tr := newTracker([]uint16{8080}, []netip.AddrPort{netip.MustParseAddrPort(tc.endpoint)})
			foreign := 0
			for i, c := range conns {
				src, dst, _ := strings.Cut(c, ">")
				seg := segment{Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst), Flags: flagSYN}
				tr.add(seg)
				// The answer, as the server end sends it.
				seg.Src, seg.Dst, seg.Flags = seg.Dst, seg.Src, flagSYN|flagACK
				tr.add(seg)
				if !tc.want[i] {
					foreign += 2
				}
			}
			var got []bool
			for _, c := range conns {
				src, _, _ := strings.Cut(c, ">")
				got = append(got, len(Result{Conns: tr.result()}.Find(netip.MustParseAddrPort(src))) == 1)
			}
			if !slices.Equal(got, tc.want) || tr.foreign != foreign {
				t.Fatalf("tracked %v, want %v; %d foreign segments, want %d", got, tc.want, tr.foreign, foreign)
			}
		})
	}
}

package wirecap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// unread returns the bytes waiting in c's receive queue.
func unread(t testing.TB, c *net.TCPConn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ierr error
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); err != nil {
		t.Fatal(err)
	}
	if ierr != nil {
		t.Fatal(ierr)
	}
	return n
}

// tcpClose is TCP_CLOSE in include/net/tcp_states.h.
const tcpClose = 7

// tcpState is c's TCP state (tcp_info.tcpi_state).
func tcpState(t testing.TB, c *net.TCPConn) uint8 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	var ierr error
	if err := rc.Control(func(fd uintptr) { info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) }); err != nil {
		t.Fatal(err)
	}
	if ierr != nil {
		t.Fatal(ierr)
	}
	return info.State
}

// closeCase closes a connection one way; the wire must say want.
type closeCase struct {
	name string
	// run closes cli and srv the case's way and returns once the peer
	// has seen the first close (EOF, a reset).
	run  func(t *testing.T, cli, srv *net.TCPConn)
	want closeWant
}

type closeWant struct {
	closer  Side
	kind    Kind
	reset   bool
	resetBy Side
}

// finFirst closes first (a FIN), waits for the peer's EOF, then closes
// the peer.
func finFirst(first, peer *net.TCPConn, t *testing.T) {
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := readEnd(t, peer); !errors.Is(err, io.EOF) {
		t.Fatalf("peer read %v, want EOF", err)
	}
	if err := peer.Close(); err != nil {
		t.Fatal(err)
	}
}

// resetFirst closes first with an RST (SO_LINGER 0) and waits for the
// peer to see it.
func resetFirst(first, peer *net.TCPConn, t *testing.T) {
	if err := first.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := readEnd(t, peer); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("peer read %v, want a reset", err)
	}
	peer.Close()
}

var closeCases = []closeCase{
	{"server FIN first", func(t *testing.T, cli, srv *net.TCPConn) { finFirst(srv, cli, t) },
		closeWant{closer: Server, kind: KindFIN}},
	{"client FIN first", func(t *testing.T, cli, srv *net.TCPConn) { finFirst(cli, srv, t) },
		closeWant{closer: Client, kind: KindFIN}},
	{"server RST (linger 0)", func(t *testing.T, cli, srv *net.TCPConn) { resetFirst(srv, cli, t) },
		closeWant{closer: Server, kind: KindRST, reset: true, resetBy: Server}},
	{"client RST (linger 0)", func(t *testing.T, cli, srv *net.TCPConn) { resetFirst(cli, srv, t) },
		closeWant{closer: Client, kind: KindRST, reset: true, resetBy: Client}},
	{"server shutdown(WR) then linger-0 close", func(t *testing.T, cli, srv *net.TCPConn) {
		if err := srv.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if err := readEnd(t, cli); !errors.Is(err, io.EOF) {
			t.Fatalf("client read %v, want EOF", err)
		}
		if err := srv.SetLinger(0); err != nil {
			t.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		// Past its EOF a read cannot tell the reset: the client's TCP can.
		waitFor(t, "the client's socket reset", func() bool { return tcpState(t, cli) == tcpClose })
		cli.Close()
	}, closeWant{closer: Server, kind: KindFIN, reset: true, resetBy: Server}},
	{"server FIN, then close with unread data", func(t *testing.T, cli, srv *net.TCPConn) {
		if err := srv.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if err := readEnd(t, cli); !errors.Is(err, io.EOF) {
			t.Fatalf("client read %v, want EOF", err)
		}
		if _, err := cli.Write([]byte("late")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the late bytes in the server's queue", func() bool { return unread(t, srv) == 4 })
		// Closing with unread data sends an RST (RFC 2525 2.17).
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the client's socket reset", func() bool { return tcpState(t, cli) == tcpClose })
		cli.Close()
	}, closeWant{closer: Server, kind: KindFIN, reset: true, resetBy: Server}},
}

func TestCloseOrder(t *testing.T) {
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			ln, ep := listen(t, fam.network, fam.addr)
			c := startCapture(t, only1(ep))
			type done struct {
				cli      net.Addr
				srv      net.Addr
				from, to time.Time // before the first close, after the peer saw it
			}
			var runs []done
			for _, cc := range closeCases {
				cli, srv := dialPair(t, ln, fam.network)
				d := done{cli: cli.LocalAddr(), srv: srv.LocalAddr(), from: time.Now()}
				cc.run(t, cli, srv)
				d.to = time.Now()
				runs = append(runs, d)
			}
			res := stopCapture(t, c)
			if len(res.Conns) != len(closeCases) {
				t.Errorf("%d connections on the wire, want %d", len(res.Conns), len(closeCases))
			}
			for i, cc := range closeCases {
				w := only(t, res, runs[i].cli)
				got := closeWant{w.FirstCloser, w.FirstKind, w.Reset, w.ResetBy}
				if got != cc.want || w.Simultaneous || !w.Ended || !w.SawSYN {
					t.Errorf("%s: got %+v simultaneous=%v ended=%v syn=%v, want %+v",
						cc.name, got, w.Simultaneous, w.Ended, w.SawSYN, cc.want)
				}
				// Only the resetting side sends RSTs. It may send more
				// than one: a segment of its peer crossing the first RST
				// finds no socket and is answered with another.
				rsts := map[Side]int{Client: w.ClientRSTs, Server: w.ServerRSTs}
				if want := cc.want.resetBy; (want != NoSide && rsts[want] < 1) || rsts[Client]+rsts[Server] != rsts[want] {
					t.Errorf("%s: RSTs from the client %d, from the server %d; want only from %v",
						cc.name, w.ClientRSTs, w.ServerRSTs, want)
				}
				if w.Server != Endpoint(runs[i].srv) {
					t.Errorf("%s: server end %v, want %v", cc.name, w.Server, runs[i].srv)
				}
				// Kernel timestamps: the first close happened after we
				// began closing and before the peer saw it; the SYN after
				// the capture started.
				if w.FirstCloseAt.Before(runs[i].from) || w.FirstCloseAt.After(runs[i].to) {
					t.Errorf("%s: first close at %v, outside [%v, %v]", cc.name, w.FirstCloseAt, runs[i].from, runs[i].to)
				}
				if w.Start.Before(res.Started) || w.End.Before(w.FirstCloseAt) {
					t.Errorf("%s: start %v (capture %v), end %v", cc.name, w.Start, res.Started, w.End)
				}
			}
		})
	}
}

func TestDualStackListener(t *testing.T) {
	ln, ep := listen(t, "tcp", ":0")
	port := ep.Port()
	c := startCapture(t, only1(ep)) // [::]:P: every address of the port
	for _, dial := range []struct{ network, addr string }{{"tcp4", "127.0.0.1"}, {"tcp6", "[::1]"}} {
		cli, err := net.DialTimeout(dial.network, fmt.Sprintf("%s:%d", dial.addr, port), testWait)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := ln.AcceptTCP()
		if err != nil {
			t.Fatal(err)
		}
		finFirst(srv, cli.(*net.TCPConn), t)
	}
	res := stopCapture(t, c)
	if len(res.Conns) != 2 {
		t.Fatalf("%d connections, want 2: %+v", len(res.Conns), res.Conns)
	}
	// A Go server on ":P" holds its IPv4 client as ::ffff:127.0.0.1, but
	// the wire carries IPv4.
	v4, v6 := res.Conns[0], res.Conns[1]
	if !v4.Client.Addr().Is4() || !v4.Server.Addr().Is4() || !v6.Client.Addr().Is6() || !v6.Server.Addr().Is6() {
		t.Fatalf("families on the wire: %v -> %v, %v -> %v", v4.Client, v4.Server, v6.Client, v6.Server)
	}
	for _, w := range res.Conns {
		if w.FirstCloser != Server || w.FirstKind != KindFIN || !w.Ended || w.Server.Port() != port {
			t.Errorf("%+v", w)
		}
	}
}

// TestFilterKeepsOnlyTheWatchedPorts watches two ports with the kernel
// filter alone. Another process may use one of those port numbers on
// another address: the test asserts about its own connections and that
// nothing of another port came through.
func TestFilterKeepsOnlyTheWatchedPorts(t *testing.T) {
	lnA, a := listen(t, "tcp4", "127.0.0.1:0")
	lnB, b := listen(t, "tcp6", "[::1]:0")
	lnC, _ := listen(t, "tcp4", "127.0.0.1:0")
	lnD, _ := listen(t, "tcp6", "[::1]:0")
	c := startCapture(t, Options{Ports: []uint16{a.Port(), b.Port()}})
	var watched, other []net.Addr
	for _, l := range []struct {
		ln      *net.TCPListener
		network string
		watched bool
	}{{lnA, "tcp4", true}, {lnC, "tcp4", false}, {lnB, "tcp6", true}, {lnD, "tcp6", false}} {
		cli, srv := dialPair(t, l.ln, l.network)
		if _, err := cli.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		finFirst(cli, srv, t)
		if l.watched {
			watched = append(watched, cli.LocalAddr())
		} else {
			other = append(other, cli.LocalAddr())
		}
	}
	res := stopCapture(t, c)
	for _, cli := range watched {
		if w := only(t, res, cli); w.Requests != 1 || w.FirstCloser != Client {
			t.Errorf("%+v", w)
		}
	}
	for _, cli := range other {
		if conns := res.Find(Endpoint(cli)); len(conns) != 0 {
			t.Errorf("a connection of an unwatched port came through: %+v", conns)
		}
	}
	for _, w := range res.Conns {
		if p := w.Server.Port(); p != a.Port() && p != b.Port() {
			t.Errorf("server end %v is not on a watched port", w.Server)
		}
	}
	if res.Malformed != 0 || res.Foreign != 0 {
		t.Fatalf("malformed %d, foreign %d", res.Malformed, res.Foreign)
	}
}

// TestEndpointsSplitTheFamilies listens on [::1]:P and 127.0.0.1:P (the
// same port number, two sockets) and watches the first: the second one's
// connections are left out, counted as foreign.
func TestEndpointsSplitTheFamilies(t *testing.T) {
	var ln4 net.Listener
	var ln6 *net.TCPListener
	var ep netip.AddrPort
	for range 20 { // the port may be taken in IPv4: try another
		l6, e := listen(t, "tcp6", "[::1]:0")
		l4, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", e.Port()))
		if err == nil {
			ln4, ln6, ep = l4, l6, e
			t.Cleanup(func() { l4.Close() })
			break
		}
		l6.Close()
	}
	if ln4 == nil {
		t.Fatal("no port free on both 127.0.0.1 and [::1]")
	}
	c := startCapture(t, only1(ep))
	cli6, srv6 := dialPair(t, ln6, "tcp6")
	finFirst(srv6, cli6, t)
	cli4, srv4 := dialPair(t, ln4.(*net.TCPListener), "tcp4")
	finFirst(srv4, cli4, t)
	res := stopCapture(t, c)
	if w := only(t, res, cli6.LocalAddr()); w.FirstCloser != Server || w.Server != ep {
		t.Errorf("%+v", w)
	}
	if conns := res.Find(Endpoint(cli4.LocalAddr())); len(conns) != 0 || res.Foreign == 0 {
		t.Errorf("the IPv4 listener's connection: %+v, %d foreign segments", conns, res.Foreign)
	}
}

// TestLoopbackCopies checks what docs/ARCHITECTURE.md and the package doc say about
// lo: a packet socket gets every segment twice, as it leaves
// (PACKET_OUTGOING) and as it is received, and the filter keeps only the
// received copy.
func TestLoopbackCopies(t *testing.T) {
	type key struct {
		s        string
		outgoing bool
	}
	exchange := func(t *testing.T, keep bool) map[key]int {
		ln, ep := listen(t, "tcp4", "127.0.0.1:0")
		seen := map[key]int{} // written by the capture goroutine, read after Stop
		o := only1(ep)
		o.keepOutgoing = keep
		o.tap = func(out bool, s segment) {
			if atEndpoint(ep, s.Src) || atEndpoint(ep, s.Dst) {
				seen[key{fmt.Sprintf("%v win=%d", s, s.Window), out}]++
			}
		}
		c := startCapture(t, o)
		cli, srv := dialPair(t, ln, "tcp4")
		if _, err := cli.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(srv, make([]byte, 4)); err != nil {
			t.Fatal(err)
		}
		finFirst(srv, cli, t)
		res := stopCapture(t, c)
		if len(res.Conns) != 1 || res.Conns[0].Segments != int(res.Packets) {
			t.Fatalf("%d connections, %d packets: %+v", len(res.Conns), res.Packets, res.Conns)
		}
		return seen
	}
	t.Run("unfiltered: two copies", func(t *testing.T) {
		seen := exchange(t, true)
		n := 0
		for k, count := range seen {
			if k.outgoing {
				continue
			}
			n += count
			if out := seen[key{k.s, true}]; out != count {
				t.Errorf("%s: received %d times, sent %d times", k.s, count, out)
			}
		}
		if n < 8 { // handshake 3, data 2, close 3 or 4
			t.Fatalf("only %d received segments: %v", n, seen)
		}
	})
	t.Run("filtered: the received copy", func(t *testing.T) {
		seen := exchange(t, false)
		for k := range seen {
			if k.outgoing {
				t.Fatalf("an outgoing copy passed the filter: %s", k.s)
			}
		}
	})
}

// TestKernelTimestamps checks the times are the kernel's (when the segment
// was received), not when the capture read it: the reader is held back
// until the traffic is over.
func TestKernelTimestamps(t *testing.T) {
	ln, ep := listen(t, "tcp4", "127.0.0.1:0")
	gate := make(chan struct{})
	o := only1(ep)
	o.gate = gate
	c := startCapture(t, o)
	before := time.Now()
	cli, srv := dialPair(t, ln, "tcp4")
	finFirst(cli, srv, t)
	after := time.Now()
	// Reading starts now: a read-time stamp would be later than after.
	close(gate)
	res := stopCapture(t, c)
	if len(res.Conns) != 1 {
		t.Fatalf("%+v", res.Conns)
	}
	w := res.Conns[0]
	for name, at := range map[string]time.Time{"start": w.Start, "first close": w.FirstCloseAt, "client FIN": w.ClientFIN, "server FIN": w.ServerFIN} {
		if at.Before(before) || at.After(after) {
			t.Errorf("%s at %v, outside the traffic [%v, %v]", name, at, before, after)
		}
	}
	if !w.Start.Before(w.ClientFIN) || !w.ClientFIN.Before(w.ServerFIN) {
		t.Errorf("order: start %v, client FIN %v, server FIN %v", w.Start, w.ClientFIN, w.ServerFIN)
	}
}

// TestStopDrains: Stop right after the last write the server received
// still holds every byte (they were queued to the capture before the
// server's TCP got them).
func TestStopDrains(t *testing.T) {
	ln, ep := listen(t, "tcp6", "[::1]:0")
	c := startCapture(t, only1(ep))
	cli, srv := dialPair(t, ln, "tcp6")
	const writes, size = 2000, 100
	got := make(chan error, 1)
	// Stopped by the client's writes ending; waited for below.
	go func() {
		_ = srv.SetReadDeadline(time.Now().Add(testWait))
		_, err := io.ReadFull(srv, make([]byte, writes*size))
		got <- err
	}()
	buf := make([]byte, size)
	for range writes {
		if _, err := cli.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	res := stopCapture(t, c)
	if len(res.Conns) != 1 || res.Conns[0].ClientBytes != writes*size || !res.Quiet {
		t.Fatalf("quiet %v, %+v", res.Quiet, res.Conns)
	}
}

func TestStartErrors(t *testing.T) {
	for name, o := range map[string]Options{
		"no port":       {},
		"port 0":        {Ports: []uint16{80, 0}},
		"endpoint 0":    {Endpoints: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}},
		"no address":    {Endpoints: []netip.AddrPort{netip.AddrPortFrom(netip.Addr{}, 80)}},
		"too many":      {Ports: make([]uint16, maxPorts+1)},
		"no such iface": {Ports: []uint16{80}, Iface: "no-such-iface0"},
	} {
		if _, err := Start(t.Context(), o); err == nil || errors.Is(err, ErrNeedRoot) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestContextEndsCapture(t *testing.T) {
	ln, ep := listen(t, "tcp4", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(t.Context())
	c, err := Start(ctx, only1(ep))
	if errors.Is(err, ErrNeedRoot) {
		t.Skipf("no packet capture here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	cli, srv := dialPair(t, ln, "tcp4")
	finFirst(cli, srv, t)
	cancel()
	res, err := c.Stop()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop after the context ended: %v", err)
	}
	if res.Stopped.IsZero() || res.Quiet {
		t.Fatalf("stopped %v, quiet %v", res.Stopped, res.Quiet)
	}
	if _, err := c.Stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("second Stop: %v", err)
	}
}

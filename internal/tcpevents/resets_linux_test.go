package tcpevents

import (
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
	"golang.org/x/sys/unix"
)

// wantReason checks a ResetSent reason where this kernel names reasons
// (Linux 6.10+: enum sk_rst_reason in its BTF).
func wantReason(t *testing.T, s *Source, e *Event, want string) {
	t.Helper()
	if !slices.Contains(s.dec.reasons, want) {
		t.Logf("kernel has no RST reason %q; not checked", want)
		return
	}
	if e.Reason != want {
		t.Errorf("reset reason %q, want %q: %s", e.Reason, want, describe(e))
	}
}

// findStep returns the socket's first event spelled st.
func findStep(t *testing.T, evs []Event, local, remote netip.AddrPort, st string) *Event {
	t.Helper()
	for _, e := range socketEvents(evs, local, remote) {
		if step(&e) == st {
			return &e
		}
	}
	t.Fatalf("%v->%v: no %s in %v", local, remote, st, steps(evs, local, remote))
	return nil
}

// TestResetLinger0: closing with SO_LINGER 0 aborts: the closing socket goes
// ESTABLISHED->CLOSE and then sends the RST (the tracepoint fires after the
// segment left, so on loopback the peer's events come first in time); the
// peer receives it and goes to CLOSE. Either side may be the one.
func TestResetLinger0(t *testing.T) {
	for _, serverAborts := range []bool{false, true} {
		name := "client-aborts"
		if serverAborts {
			name = "server-aborts"
		}
		t.Run(name, func(t *testing.T) {
			s := sharedSource(t)
			ln := listen(t, "127.0.0.1:0")
			if err := s.SetPorts([]uint16{portOf(ln)}); err != nil {
				t.Fatal(err)
			}
			col := collect(t, s)
			c := dial(t, ln, "")
			ab, abAddr, peerAddr := c.client, c.cl, c.sv
			if serverAborts {
				ab, abAddr, peerAddr = c.server, c.sv, c.cl
			}
			if err := ab.SetLinger(0); err != nil {
				t.Fatal(err)
			}
			if err := ab.Close(); err != nil {
				t.Fatal(err)
			}
			abort := []string{"ESTABLISHED>CLOSE", "rst-sent(CLOSE)"}
			peer := []string{"rst-recv(ESTABLISHED)", "ESTABLISHED>CLOSE"}
			col.waitFor(t, "abort and reset", func(evs []Event) bool {
				a, p := steps(evs, abAddr, peerAddr), steps(evs, peerAddr, abAddr)
				return len(a) >= 4 && slices.Equal(a[2:], abort) && len(p) >= 4 && slices.Equal(p[2:], peer)
			})
			evs := col.events()
			rst := findStep(t, evs, abAddr, peerAddr, "rst-sent(CLOSE)")
			wantReason(t, s, rst, "TCP_STATE")
			if !rst.PidKnown || rst.Pid != uint32(os.Getpid()) {
				t.Errorf("the aborting close is a syscall of this process: %s", describe(rst))
			}
			if e := findStep(t, evs, abAddr, peerAddr, "ESTABLISHED>CLOSE"); !e.PidKnown {
				t.Errorf("the aborting close is a syscall: %s", describe(e))
			}
			if e := findStep(t, evs, peerAddr, abAddr, "rst-recv(ESTABLISHED)"); e.Reason != "" {
				t.Errorf("a received reset has no reason: %s", describe(e))
			}
		})
	}
}

// TestResetUnreadData: closing a socket whose receive queue holds unread
// data sends an RST instead of a FIN (RFC 2525), reason TCP_ABORT_ON_CLOSE.
func TestResetUnreadData(t *testing.T) {
	s := sharedSource(t)
	ln := listen(t, "127.0.0.1:0")
	if err := s.SetPorts([]uint16{portOf(ln)}); err != nil {
		t.Fatal(err)
	}
	col := collect(t, s)
	c := dial(t, ln, "")
	if _, err := c.server.Write([]byte("unread")); err != nil {
		t.Fatal(err)
	}
	waitQueued(t, c.client)
	if err := c.client.Close(); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, "abort and reset", func(evs []Event) bool {
		return endsWith(evs, c.cl, c.sv, "rst-sent(CLOSE)") && endsWith(evs, c.sv, c.cl, "ESTABLISHED>CLOSE")
	})
	evs := col.events()
	if got, want := steps(evs, c.cl, c.sv), join(openClient, []string{"ESTABLISHED>CLOSE", "rst-sent(CLOSE)"}); !slices.Equal(got, want) {
		t.Errorf("client:\n got %v\nwant %v", got, want)
	}
	if got, want := steps(evs, c.sv, c.cl), join(openServer, []string{"rst-recv(ESTABLISHED)", "ESTABLISHED>CLOSE"}); !slices.Equal(got, want) {
		t.Errorf("server:\n got %v\nwant %v", got, want)
	}
	wantReason(t, s, findStep(t, evs, c.cl, c.sv, "rst-sent(CLOSE)"), "TCP_ABORT_ON_CLOSE")
}

// waitQueued waits until c's receive queue holds data (SIOCINQ > 0).
func waitQueued(t *testing.T, c *net.TCPConn) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	var qerr error
	// Read's callback runs once now and again each time the socket turns
	// readable; it returns true when data is queued.
	err = rc.Read(func(fd uintptr) bool {
		n, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		qerr = err
		return err != nil || n > 0
	})
	if err == nil {
		err = qerr
	}
	if err != nil {
		t.Fatalf("wait for queued data: %v", err)
	}
}

// TestResetFromTimeWait: data reaching a socket its process already closed
// (now a FIN_WAIT2 mini-socket, which the kernel counts as TIME_WAIT) is
// answered with an RST by that mini-socket, which keeps the full socket's
// cookie; the writer receives it in CLOSE_WAIT. This is the reset a server
// sees when it writes after its client closed.
func TestResetFromTimeWait(t *testing.T) {
	s := sharedSource(t)
	ln := listen(t, "127.0.0.1:0")
	if err := s.SetPorts([]uint16{portOf(ln)}); err != nil {
		t.Fatal(err)
	}
	col := collect(t, s)
	c := dial(t, ln, "")
	if err := c.client.Close(); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, "the client socket replaced by its mini-socket", func(evs []Event) bool {
		return endsWith(evs, c.cl, c.sv, "FIN_WAIT2>CLOSE")
	})
	if _, err := c.server.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, "reset", func(evs []Event) bool {
		return endsWith(evs, c.sv, c.cl, "CLOSE_WAIT>CLOSE")
	})
	evs := col.events()
	if got, want := steps(evs, c.cl, c.sv), join(openClient, closesFirst, []string{"rst-sent(TIME_WAIT)"}); !slices.Equal(got, want) {
		t.Errorf("client:\n got %v\nwant %v", got, want)
	}
	if got, want := steps(evs, c.sv, c.cl), join(openServer, []string{"ESTABLISHED>CLOSE_WAIT", "rst-recv(CLOSE_WAIT)", "CLOSE_WAIT>CLOSE"}); !slices.Equal(got, want) {
		t.Errorf("server:\n got %v\nwant %v", got, want)
	}
	rst := findStep(t, evs, c.cl, c.sv, "rst-sent(TIME_WAIT)")
	wantReason(t, s, rst, "TCP_TIMEWAIT_SOCKET")
	if rst.PidKnown {
		t.Errorf("a TIME_WAIT socket has no process: %s", describe(rst))
	}
}

// TestResetNoSocket: a SYN to a port that is bound but not listening is
// refused with an RST that no socket sends: cookie 0, no state, the
// 4-tuple taken from the SYN (reversed: local is the refused port).
func TestResetNoSocket(t *testing.T) {
	s := sharedSource(t)
	// Hold a port without listening, so nothing else can take it.
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	refused := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	if err := s.SetPorts([]uint16{refused.Port()}); err != nil {
		t.Fatal(err)
	}
	col := collect(t, s)
	if c, err := net.Dial("tcp", refused.String()); err == nil {
		c.Close()
		t.Fatal("dial to a bound, non-listening port succeeded")
	}
	var client netip.AddrPort
	col.waitFor(t, "refused connection", func(evs []Event) bool {
		for _, e := range evs {
			if e.Kind == ResetReceived && e.Remote == refused {
				client = e.Local
			}
		}
		return client.IsValid() && endsWith(evs, client, refused, "SYN_SENT>CLOSE")
	})
	evs := col.events()
	if got, want := steps(evs, client, refused), []string{"CLOSE>SYN_SENT", "rst-recv(SYN_SENT)", "SYN_SENT>CLOSE"}; !slices.Equal(got, want) {
		t.Errorf("client:\n got %v\nwant %v", got, want)
	}
	var rst *Event
	for _, e := range evs {
		if e.Kind == ResetSent && e.Local == refused && e.Remote == client {
			rst = &e
		}
	}
	if rst == nil {
		t.Fatalf("no RST from %v to %v:\n%s", refused, client, col.dump())
	}
	if rst.Cookie != 0 || rst.Old != 0 || rst.New != 0 || rst.PidKnown || rst.IPv6 {
		t.Errorf("socketless RST: %s", describe(rst))
	}
	wantReason(t, s, rst, "NO_SOCKET")
}

// TestResetFromListener: a segment for a connection this host no longer
// knows reaches the listener, which answers with an RST (the "server
// restarted" reset). The server end vanishes silently here through
// TCP_REPAIR (no FIN, no RST: it needs CAP_NET_ADMIN), then the client
// writes. The RST event names the listener (its cookie and LISTEN state)
// and the connection's 4-tuple, taken from the segment.
func TestResetFromListener(t *testing.T) {
	s := sharedSource(t)
	ln := listen(t, "127.0.0.1:0")
	if err := s.SetPorts([]uint16{portOf(ln)}); err != nil {
		t.Fatal(err)
	}
	col := collect(t, s)
	c := dial(t, ln, "")
	rc, err := c.server.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_TCP, unix.TCP_REPAIR, 1) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Skipf("TCP_REPAIR (needs CAP_NET_ADMIN): %v", serr)
	}
	if err := c.server.Close(); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, "the server socket gone", func(evs []Event) bool {
		return endsWith(evs, c.sv, c.cl, "ESTABLISHED>CLOSE")
	})
	if _, err := c.client.Write([]byte("anyone there?")); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, "the client reset", func(evs []Event) bool {
		return endsWith(evs, c.cl, c.sv, "ESTABLISHED>CLOSE")
	})
	evs := col.events()
	if got, want := steps(evs, c.cl, c.sv), join(openClient, []string{"rst-recv(ESTABLISHED)", "ESTABLISHED>CLOSE"}); !slices.Equal(got, want) {
		t.Errorf("client:\n got %v\nwant %v", got, want)
	}
	server := socketEvents(evs, c.sv, c.cl)
	var rst *Event
	for _, e := range evs {
		if e.Kind == ResetSent && e.Local == c.sv && e.Remote == c.cl {
			rst = &e
		}
	}
	if rst == nil {
		t.Fatalf("no RST from the listener:\n%s", col.dump())
	}
	if rst.Old != sockstat.Listen || rst.Cookie == 0 || rst.Cookie == server[0].Cookie || rst.PidKnown {
		t.Errorf("listener RST %s: want state LISTEN, the listener's own cookie (server socket's is %d), no process", describe(rst), server[0].Cookie)
	}
	wantReason(t, s, rst, "TCP_FLAGS") // Linux 6.18's name for "ACK to a listener"
}

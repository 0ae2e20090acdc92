//go:build linux

package sockstat

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// settleTimeout bounds every wait for the kernel to reach a state.
const settleTimeout = 10 * time.Second

// lab is a listener on a kernel-picked loopback port with a known population
// of sockets on it.
type lab struct {
	ln   net.Listener
	port uint16
	// open holds the ESTABLISHED pairs (client, server) for cleanup.
	open []net.Conn
	// want is what the lab created: state by 4-tuple (unmapped).
	want map[Key]State
}

// newLab listens as c says, then dials: est ESTABLISHED pairs, srvClosed
// connections closed by the server first (TIME_WAIT on the server side) and
// cliClosed closed by the client first (TIME_WAIT on the client side).
func newLab(t testing.TB, c labCase, est, srvClosed, cliClosed int) *lab {
	t.Helper()
	ln, unspec, err := c.listen()
	if err != nil {
		t.Skipf("%s listener: %v", c.name, err)
	}
	l := &lab{ln: ln, port: uint16(ln.Addr().(*net.TCPAddr).Port), want: map[Key]State{}}
	t.Cleanup(l.close)
	l.want[Key{Local: unmap(ln.Addr().(*net.TCPAddr).AddrPort()), Remote: netip.AddrPortFrom(unspec, 0)}] = Listen
	dialNet := c.dial
	target := net.JoinHostPort(dialAddr(ln.Addr()), strconv.Itoa(int(l.port)))
	pair := func() (cli, srv net.Conn) {
		cli, err := net.Dial(dialNet, target)
		if err != nil {
			t.Fatalf("dial %s: %v", target, err)
		}
		// The handshake is done when Dial returns: Accept does not block.
		srv, err = ln.Accept()
		if err != nil {
			t.Fatalf("accept: %v", err)
		}
		return cli, srv
	}
	for range est {
		cli, srv := pair()
		l.open = append(l.open, cli, srv)
		l.want[keyOf(cli.LocalAddr(), cli.RemoteAddr())] = Established
		l.want[keyOf(srv.LocalAddr(), srv.RemoteAddr())] = Established
	}
	closeInOrder := func(first, second net.Conn) {
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		// Wait for the FIN to reach the peer before it closes, so the first
		// closer is the one left in TIME_WAIT.
		_ = second.SetReadDeadline(time.Now().Add(settleTimeout))
		if _, err := second.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("peer read after close: %v, want EOF", err)
		}
		if err := second.Close(); err != nil {
			t.Fatal(err)
		}
		l.want[keyOf(first.LocalAddr(), first.RemoteAddr())] = TimeWait
	}
	for range srvClosed {
		cli, srv := pair()
		closeInOrder(srv, cli)
	}
	for range cliClosed {
		cli, srv := pair()
		closeInOrder(cli, srv)
	}
	return l
}

func (l *lab) close() {
	for _, c := range l.open {
		// Abort (RST): nothing of the lab is left in TIME_WAIT by cleanup.
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	}
	l.ln.Close()
}

// wantCounts is the lab's own population as per-(side, state) counts.
func (l *lab) wantCounts() map[sideState]int {
	m := map[sideState]int{}
	for k, st := range l.want {
		s := Socket{Local: k.Local, Remote: k.Remote}
		m[sideState{SideOf(&s, l.port), st}]++
	}
	return m
}

func dialAddr(a net.Addr) string {
	ip := a.(*net.TCPAddr).IP
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.String()
}

func keyOf(local, remote net.Addr) Key {
	k := Key{Local: local.(*net.TCPAddr).AddrPort()}
	if remote != nil {
		k.Remote = remote.(*net.TCPAddr).AddrPort()
	}
	k.Local = unmap(k.Local)
	k.Remote = unmap(k.Remote)
	return k
}

// tally counts sockets by (side, state) against port p.
func tally(socks []Socket, p uint16) map[sideState]int {
	m := map[sideState]int{}
	for i := range socks {
		m[sideState{SideOf(&socks[i], p), socks[i].State.Canonical()}]++
	}
	return m
}

// ssStates maps ss's state spelling to ours.
var ssStates = map[string]State{
	"ESTAB": Established, "SYN-SENT": SynSent, "SYN-RECV": SynRecv,
	"FIN-WAIT-1": FinWait1, "FIN-WAIT-2": FinWait2, "TIME-WAIT": TimeWait,
	"UNCONN": Close, "CLOSE-WAIT": CloseWait, "LAST-ACK": LastAck,
	"LISTEN": Listen, "CLOSING": Closing,
}

// ssTally runs `ss -Htan '( sport = :P or dport = :P )'` and counts its
// sockets by (side, state).
func ssTally(t *testing.T, p uint16) map[sideState]int {
	t.Helper()
	out, err := exec.Command("ss", "-Htan", fmt.Sprintf("( sport = :%d or dport = :%d )", p, p)).Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	m := map[sideState]int{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		st, ok := ssStates[f[0]]
		if !ok {
			t.Fatalf("ss state %q in %q", f[0], line)
		}
		var s Socket
		s.Local = netip.AddrPortFrom(netip.Addr{}, portOf(t, f[3]))
		s.Remote = netip.AddrPortFrom(netip.Addr{}, portOf(t, f[4]))
		m[sideState{SideOf(&s, p), st}]++
	}
	return m
}

func portOf(t *testing.T, hostport string) uint16 {
	t.Helper()
	i := strings.LastIndexByte(hostport, ':')
	if hostport[i+1:] == "*" {
		return 0
	}
	n, err := strconv.ParseUint(hostport[i+1:], 10, 16)
	if err != nil {
		t.Fatalf("ss address %q: %v", hostport, err)
	}
	return uint16(n)
}

func needSS(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed")
	}
}

// sample runs one poll of s for port p.
func sample(t *testing.T, s Sampler, p uint16) []Socket {
	t.Helper()
	socks, err := s.Sample([]uint16{p}, nil)
	if err != nil {
		t.Fatalf("%s sample: %v", s.Source(), err)
	}
	return socks
}

// checkAgainstSS waits for the lab's population to show in s, then asserts
// that s and ss count the same sockets per (side, state) for the port at the
// same moment: sample, ss, sample, retried until the two samples agree (a
// foreign socket may come or go on the port between the reads).
func checkAgainstSS(t *testing.T, s Sampler, l *lab) []Socket {
	t.Helper()
	want := l.wantCounts()
	deadline := time.Now().Add(settleTimeout)
	var got []Socket
	for {
		got = sample(t, s, l.port)
		if containsLab(got, l) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: lab population never showed up:\n got %v\nwant at least %v", s.Source(), tally(got, l.port), want)
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel until a deadline
	}
	for {
		a := tally(sample(t, s, l.port), l.port)
		b := ssTally(t, l.port)
		c := tally(sample(t, s, l.port), l.port)
		if maps.Equal(a, c) && maps.Equal(a, b) {
			for cell, n := range want {
				if a[cell] < n {
					t.Errorf("%s: %v = %d, the lab made %d", s.Source(), cell, a[cell], n)
				}
			}
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s and ss disagree on port %d:\n%s %v\nss       %v", s.Source(), l.port, s.Source(), a, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// containsLab says whether every socket the lab made is in socks, in the
// state the lab left it.
func containsLab(socks []Socket, l *lab) bool {
	have := map[Key]State{}
	for i := range socks {
		have[socks[i].Key()] = socks[i].State.Canonical()
	}
	for k, st := range l.want {
		if have[k] != st {
			return false
		}
	}
	return true
}

// labCase is one listener flavour of the integration tests.
type labCase struct {
	name string
	// listen returns the listener and the address the kernel reports as the
	// remote end of a listening socket (the unspecified address of its family).
	listen func() (net.Listener, netip.Addr, error)
	dial   string // network clients dial with
}

var (
	labV4 = labCase{name: "ipv4", dial: "tcp4", listen: func() (net.Listener, netip.Addr, error) {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		return ln, netip.IPv4Unspecified(), err
	}}
	labV6 = labCase{name: "ipv6", dial: "tcp6", listen: func() (net.Listener, netip.Addr, error) {
		ln, err := net.Listen("tcp6", "[::1]:0")
		return ln, netip.IPv6Unspecified(), err
	}}
	// An AF_INET6 listener with IPV6_V6ONLY off bound to the v4-mapped
	// loopback address, as a Go server on ":P" is: its sockets are AF_INET6
	// ::ffff:127.0.0.1, its IPv4 clients' sockets AF_INET.
	labMapped = labCase{name: "v4mapped", dial: "tcp4", listen: listenMapped}
	labCases  = []labCase{labV4, labV6, labMapped}
)

// listenMapped builds the v4-mapped listener by hand: Go's net package will
// not bind an AF_INET6 socket to a v4-mapped address.
func listenMapped() (net.Listener, netip.Addr, error) {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, netip.Addr{}, err
	}
	f := os.NewFile(uintptr(fd), "v4mapped-listener")
	defer f.Close() // FileListener dups it
	sa := &unix.SockaddrInet6{Addr: netip.MustParseAddr("::ffff:127.0.0.1").As16()}
	if err := errors.Join(
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0),
		unix.Bind(fd, sa),
		unix.Listen(fd, 128),
	); err != nil {
		return nil, netip.Addr{}, err
	}
	ln, err := net.FileListener(f)
	return ln, netip.IPv6Unspecified(), err
}

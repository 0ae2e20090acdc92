package wirecap

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// testWait bounds every wait of these tests for the other end or the
// kernel (go test's timeout is 10 minutes).
const testWait = 10 * time.Second

// family is one address family's loopback.
type family struct{ name, network, addr string }

var families = []family{{"ipv4", "tcp4", "127.0.0.1:0"}, {"ipv6", "tcp6", "[::1]:0"}}

// startCapture starts a capture of the ports, or skips the test when the
// process may not capture.
func startCapture(t testing.TB, o Options) *Capture {
	t.Helper()
	c, err := Start(context.Background(), o)
	if errors.Is(err, ErrNeedRoot) || errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("no packet capture here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.Stop() })
	return c
}

// stopCapture stops c and fails the test on an error or an incomplete
// capture.
func stopCapture(t testing.TB, c *Capture) Result {
	t.Helper()
	res, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Complete(); err != nil {
		t.Fatal(err)
	}
	return res
}

// listen listens on a kernel-picked loopback port; it returns the
// listener and its endpoint.
func listen(t testing.TB, network, addr string) (*net.TCPListener, netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.(*net.TCPListener), Endpoint(ln.Addr())
}

// only1 is the Options watching one endpoint. Tests scope their captures
// to their listener's address: other processes on this machine may use
// the same port number on another address.
func only1(ep netip.AddrPort) Options { return Options{Endpoints: []netip.AddrPort{ep}} }

// dialPair connects to ln and accepts: the client and the server end.
func dialPair(t testing.TB, ln *net.TCPListener, network string) (cli, srv *net.TCPConn) {
	t.Helper()
	c, err := net.DialTimeout(network, ln.Addr().String(), testWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// The handshake is done when Dial returns: Accept does not block.
	s, err := ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c.(*net.TCPConn), s
}

// only returns the one connection whose client end is cli.
func only(t testing.TB, res Result, cli net.Addr) Conn {
	t.Helper()
	conns := res.Find(Endpoint(cli))
	if len(conns) != 1 {
		t.Fatalf("%d connections from %v on the wire, want 1 (all: %+v)", len(conns), cli, res.Conns)
	}
	return conns[0]
}

// readEnd reads c until it ends (EOF or an error) and returns that error.
func readEnd(t testing.TB, c net.Conn) error {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(testWait))
	_, err := io.Copy(io.Discard, c)
	if err == nil {
		err = io.EOF
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%v: no end within %v", c.LocalAddr(), testWait)
	}
	return err
}

// waitFor polls cond until it holds or testWait passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, testWait)
		}
		time.Sleep(time.Millisecond)
	}
}

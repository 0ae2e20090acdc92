package tcpevents

import (
	"context"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// smallBuffers is the SO_SNDBUF and SO_RCVBUF asked for in
// TestSimultaneousClose (the kernel doubles it and applies its minimum),
// so that a few kilobytes close the window.
const smallBuffers = 4096

// TestSimultaneousClose makes both ends shut down before either sees the
// other's FIN, deterministically: each end first fills the other's receive
// window, so its FIN queues behind unsent data and cannot leave until the
// peer reads, which it does only after its own shutdown. Both sockets then
// go ESTABLISHED->FIN_WAIT1 and neither passes through CLOSE_WAIT. Whether
// each one next reaches FIN_WAIT2 (its FIN acked first) or CLOSING (the
// peer's FIN first) depends on how the two drains interleave, so only
// those two paths are accepted.
func TestSimultaneousClose(t *testing.T) {
	s := sharedSource(t)
	small := func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, smallBuffers); serr == nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, smallBuffers)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
	lc := net.ListenConfig{Control: small} // accepted sockets inherit the sizes
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := s.SetPorts([]uint16{portOf(ln)}); err != nil {
		t.Fatal(err)
	}
	col := collect(t, s)

	d := net.Dialer{Control: small}
	cc, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		cc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close(); sc.Close() })
	c := &conn{client: cc.(*net.TCPConn), server: sc.(*net.TCPConn), cl: addrPort(cc.LocalAddr()), sv: addrPort(sc.LocalAddr())}

	fillWindow(t, c.client)
	fillWindow(t, c.server)
	for _, e := range []*net.TCPConn{c.client, c.server} {
		if err := e.CloseWrite(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, e := range []*net.TCPConn{c.client, c.server} {
		wg.Add(1)
		go func() { // drains one end; the test waits for both
			defer wg.Done()
			if err := e.SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
				errs <- err
				return
			}
			_, err := io.Copy(io.Discard, e)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("drain: %v", err)
		}
	}
	c.client.Close()
	c.server.Close()

	col.waitFor(t, "both sockets closed", func(evs []Event) bool {
		return closed(evs, c.cl, c.sv) && closed(evs, c.sv, c.cl)
	})
	viaFinWait2 := []string{"ESTABLISHED>FIN_WAIT1", "FIN_WAIT1>FIN_WAIT2", "FIN_WAIT2>CLOSE"}
	viaClosing := []string{"ESTABLISHED>FIN_WAIT1", "FIN_WAIT1>CLOSING", "CLOSING>CLOSE"}
	evs := col.events()
	check := func(name string, got, open []string) {
		if len(got) < len(open) || !slices.Equal(got[:len(open)], open) {
			t.Errorf("%s: got %v, want it to start %v", name, got, open)
			return
		}
		if rest := got[len(open):]; !slices.Equal(rest, viaFinWait2) && !slices.Equal(rest, viaClosing) {
			t.Errorf("%s closed with %v, want %v or %v", name, rest, viaFinWait2, viaClosing)
		}
	}
	check("client", steps(evs, c.cl, c.sv), openClient)
	check("server", steps(evs, c.sv, c.cl), openServer)
	t.Logf("client %v; server %v", steps(evs, c.cl, c.sv)[2:], steps(evs, c.sv, c.cl)[2:])
}

// closed reports whether the socket's last step entered CLOSE.
func closed(evs []Event, local, remote netip.AddrPort) bool {
	s := steps(evs, local, remote)
	return len(s) > 0 && strings.HasSuffix(s[len(s)-1], ">CLOSE")
}

// fillWindow writes until c's send queue holds data the peer has no window
// for (SIOCOUTQNSD > 0 after a write would block): a FIN queued now waits
// behind it until the peer reads.
func fillWindow(t *testing.T, c *net.TCPConn) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetWriteDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, smallBuffers)
	var werr error
	// The callback runs now and each time the socket turns writable.
	err = rc.Write(func(fd uintptr) bool {
		for {
			_, err := unix.Write(int(fd), buf)
			if err == unix.EAGAIN {
				break
			}
			if err != nil {
				werr = err
				return true
			}
		}
		unsent, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQNSD)
		if err != nil {
			werr = err
			return true
		}
		return unsent > 0
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		t.Fatalf("fill the peer's window: %v", err)
	}
	if err := c.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
}

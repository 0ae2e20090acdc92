package tap

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/connlab/connlab/internal/wirecap/wiretest"
)

// TestLateWriteIsReset: the client writes to a connection the server has
// already closed, and closes before the server's kernel answers: the RST
// comes after both Closes were probed (in a Lab run, a request racing the
// server's idle close; here made certain by corking the client's socket,
// so its bytes leave only with its close). The lane must say the server
// reset it, as the wire does (checked too when this process may capture).
func TestLateWriteIsReset(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stopWire func() (string, bool)
	if wiretest.Unavailable() == nil {
		c, err := wiretest.StartCapture(wiretest.Endpoint(ln.Addr()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = c.Stop() })
		stopWire = func() (string, bool) {
			res := wiretest.Stop(t, c)
			if len(res.Conns) != 1 {
				t.Fatalf("%d connections on the wire, want 1", len(res.Conns))
			}
			w := res.Conns[0]
			return w.ResetBy.String(), w.Reset
		}
	}
	tr := NewTracker(time.Now(), 10)
	cli, srv := trackedPair(t, ln, tr)
	if err := srv.Close(); err != nil { // the server closes first: a FIN
		t.Fatal(err)
	}
	// Cork the client: what it writes stays queued until its close.
	rc := cli.raw
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, 1) }); err != nil || serr != nil {
		t.Fatalf("cork: %v %v", err, serr)
	}
	if _, err := cli.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := cli.Close(); err != nil { // the request, then the FIN, leave now
		t.Fatal(err)
	}
	tr.Finish()
	lanes, _ := tr.Lanes()
	if len(lanes) != 1 {
		t.Fatalf("%d lanes, want 1", len(lanes))
	}
	l := lanes[0]
	if l.ClosedBy != "server" || l.End != "rst" || l.ResetBy != "server" {
		t.Errorf("lane: closed by %q, end %q, reset by %q; want server, rst, server", l.ClosedBy, l.End, l.ResetBy)
	}
	if c := tr.Connections(); c.Reset != 1 {
		t.Errorf("connections reset %d, want 1", c.Reset)
	}
	if stopWire != nil {
		by, reset := stopWire()
		if !reset || by != "server" {
			t.Errorf("the wire: reset %v by %s; want reset by server", reset, by)
		}
	}
}

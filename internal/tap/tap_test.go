package tap

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/sockstat"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor polls cond every few ms until it holds, failing after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling step
	}
}

// trackedPair dials ln and returns both ends of the connection as tr
// tracks them: the client's dialed conn and the server's accepted one.
func trackedPair(t *testing.T, ln net.Listener, tr *Tracker) (cli *Conn, srv net.Conn) {
	t.Helper()
	srvc := make(chan net.Conn, 1)
	go func() { // ends with the one Accept (or ln.Close)
		c, err := ln.Accept()
		if err != nil {
			srvc <- nil
			return
		}
		srvc <- tr.Accepted(c)
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cli = tr.Dialed(nc, 0)
	if srv = <-srvc; srv == nil {
		t.Fatal("accept failed")
	}
	return cli, srv
}

func TestDialerRefusesOtherAddresses(t *testing.T) {
	tr := NewTracker(time.Now(), 10)
	d := NewDialer("127.0.0.1:1", tr, net.KeepAliveConfig{})
	if _, err := d.DialContext(context.Background(), "tcp", "example.com:80"); err == nil {
		t.Fatal("dialer dialed another address")
	}
}

// TestCloseProbe: the close probe tells who sent the first FIN and sees
// unread data, on real sockets.
func TestCloseProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tr := NewTracker(time.Now(), 10)
	cli, srv := trackedPair(t, ln, tr)
	if _, err := srv.Write([]byte("unread")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, "data in the client's queue", func() bool {
		_, unread, _ := probeClose(cli.raw)
		return unread == 6
	})
	_ = cli.Close() // unread data: an RST
	buf := make([]byte, 1)
	_, err = srv.Read(buf)
	if err == nil {
		t.Fatal("server read after the client's reset succeeded")
	}
	_ = srv.Close()
	tr.Finish()
	c := tr.Connections()
	if c.ClosedFirst.Client != 1 || c.Reset != 1 {
		t.Fatalf("closed first %+v, reset %d; want client, 1 reset", c.ClosedFirst, c.Reset)
	}
	lanes, _ := tr.Lanes()
	if len(lanes) != 1 || lanes[0].End != "rst" || lanes[0].ResetBy != "client" || lanes[0].ServerSaw != "reset" {
		t.Fatalf("lane %+v", lanes)
	}
}

// TestTimeWaitOnBothSidesIsSimultaneous: the probes name a first closer,
// but the kernel then shows the connection's TIME_WAIT on both ends. Only
// a simultaneous close does that (a passive closer never enters
// TIME_WAIT), so the connection counts as simultaneous, in the lane and in
// the totals.
func TestTimeWaitOnBothSidesIsSimultaneous(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tr := NewTracker(time.Now(), 10)
	cli, srv := trackedPair(t, ln, tr)
	_ = cli.Close() // the client's probe sees ESTABLISHED: it closed first
	_ = srv.Close()
	tr.Finish()
	if c := tr.Connections(); c.ClosedFirst.Client != 1 {
		t.Fatalf("before the kernel's TIME_WAIT: closed first %+v, want the client", c.ClosedFirst)
	}
	port := uint16(cli.LocalAddr().(*net.TCPAddr).Port)
	tr.AttributeTimeWait([]TimeWaitSeen{{Port: port, Side: sockstat.Client, Left: time.Minute}}, 1)
	tr.AttributeTimeWait([]TimeWaitSeen{{Port: port, Side: sockstat.Server, Left: time.Minute}}, 2)
	c := tr.Connections()
	if c.ClosedFirst.Simultaneous != 1 || c.ClosedFirst.Client != 0 || c.ClosedFirst.Server != 0 {
		t.Fatalf("TIME_WAIT on both ends: closed first %+v, want simultaneous", c.ClosedFirst)
	}
	if lanes, _ := tr.Lanes(); len(lanes) != 1 || lanes[0].ClosedBy != "simultaneous" || lanes[0].TimeWait != "both" {
		t.Fatalf("lanes %+v", lanes)
	}
}

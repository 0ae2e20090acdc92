package tap

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
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

package connlimit_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/connlimit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ioWait bounds every read and poll of these tests.
const ioWait = 5 * time.Second

// serve runs a real http.Server on 127.0.0.1:0 behind a Listener with the
// given caps until the test ends.
func serve(t *testing.T, opts connlimit.Options, h http.Handler) (*connlimit.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := connlimit.New(ln, opts)
	srv := &http.Server{Handler: h, ConnState: l.ConnState, ReadHeaderTimeout: ioWait}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }() // stopped by srv.Close below
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return l, ln.Addr().String()
}

// client is one keep-alive connection speaking HTTP/1.1 by hand, so the test
// decides when it is idle.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

// get sends GET path and returns the status, or an error if the connection
// was closed instead.
func (cl *client) get(path string) (int, error) {
	_ = cl.c.SetDeadline(time.Now().Add(ioWait))
	if _, err := io.WriteString(cl.c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// closedByServer reports whether the server closed the connection (a read
// sees EOF or a reset before the deadline).
func (cl *client) closedByServer() bool {
	_ = cl.c.SetReadDeadline(time.Now().Add(ioWait))
	_, err := cl.br.ReadByte()
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", ioWait, what)
		}
		time.Sleep(5 * time.Millisecond) // polling step
	}
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

func TestIdleConnectionMakesRoom(t *testing.T) {
	l, addr := serve(t, connlimit.Options{MaxConns: 3, MaxHijacked: 1}, ok)
	var idle []*client
	for i := range 3 {
		cl := dial(t, addr)
		if st, err := cl.get("/"); err != nil || st != 200 {
			t.Fatalf("GET = %d %v", st, err)
		}
		idle = append(idle, cl)
		// The server marks a connection idle just after the client has
		// read its response: wait, so idle[0] is the one idle longest.
		eventually(t, "the connection idle", func() bool { return l.Stats().Waiting == i+1 })
	}

	// A fourth client gets in; the connection idle longest (the first) is
	// closed for it, the others stay usable.
	if st, err := dial(t, addr).get("/"); err != nil || st != 200 {
		t.Fatalf("GET at the cap = %d %v, want 200", st, err)
	}
	if !idle[0].closedByServer() {
		t.Fatal("the longest idle connection was not closed")
	}
	if st, err := idle[2].get("/"); err != nil || st != 200 {
		t.Fatalf("the most recently idle connection: %d %v, want 200", st, err)
	}
	st := l.Stats()
	if st.Open > 3 || st.Evicted != 1 || st.Refused != 0 {
		t.Fatalf("stats %+v, want open <= 3, 1 evicted, 0 refused", st)
	}
}

func TestSilentConnectionMakesRoom(t *testing.T) {
	// A client that connects and sends nothing is as evictable as an idle one.
	l, addr := serve(t, connlimit.Options{MaxConns: 2, MaxHijacked: 1}, ok)
	silent := []*client{dial(t, addr)}
	eventually(t, "1 open connection", func() bool { return l.Stats().Waiting == 1 })
	silent = append(silent, dial(t, addr))
	eventually(t, "2 open connections", func() bool { return l.Stats().Waiting == 2 })
	if st, err := dial(t, addr).get("/"); err != nil || st != 200 {
		t.Fatalf("GET past silent connections = %d %v, want 200", st, err)
	}
	if !silent[0].closedByServer() {
		t.Fatal("the oldest silent connection was not closed")
	}
}

func TestRefusedOnlyWhenAllBusy(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-release
		_, _ = io.WriteString(w, "done")
	})
	l, addr := serve(t, connlimit.Options{MaxConns: 2, MaxHijacked: 1}, h)
	var wg sync.WaitGroup
	busy := []*client{dial(t, addr), dial(t, addr)}
	for _, cl := range busy {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = cl.get("/") }() // ends when release is closed
	}
	for range 2 {
		select {
		case <-entered:
		case <-time.After(ioWait):
			t.Fatal("handlers did not start")
		}
	}
	// Both connections are serving a request: a third is closed unanswered.
	if _, err := dial(t, addr).get("/"); err == nil {
		t.Fatal("a connection past the cap was answered while every slot was busy")
	}
	eventually(t, "a refusal counted", func() bool { return l.Stats().Refused == 1 })
	close(release)
	wg.Wait()
	eventually(t, "both idle", func() bool { return l.Stats().Waiting == 2 })
	// Once they are idle again there is room.
	if st, err := dial(t, addr).get("/"); err != nil || st != 200 {
		t.Fatalf("GET after the busy ones finished = %d %v", st, err)
	}
	if st := l.Stats(); st.Evicted != 1 || st.Open > 2 {
		t.Fatalf("stats %+v, want one eviction, open <= 2", st)
	}
}

func TestHijackedCountedApart(t *testing.T) {
	// Handlers hand their hijacked conns to the test, which closes them;
	// the drain below runs after the server is closed (cleanups run last
	// registered first) and after every handler returned.
	held := make(chan net.Conn, 4)
	var handlers sync.WaitGroup
	t.Cleanup(func() {
		handlers.Wait()
		close(held)
		for c := range held {
			_ = c.Close()
		}
	})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hijack" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		handlers.Add(1)
		defer handlers.Done()
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush() // fails if the cap closed it
		held <- c
	})
	l, addr := serve(t, connlimit.Options{MaxConns: 2, MaxHijacked: 1}, h)
	upgrade := func() *client {
		cl := dial(t, addr)
		_ = cl.c.SetDeadline(time.Now().Add(ioWait))
		_, _ = io.WriteString(cl.c, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
		return cl
	}
	first := upgrade()
	if resp, err := http.ReadResponse(first.br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("first hijack answered %v %v", resp, err)
	}
	var firstConn net.Conn
	select {
	case firstConn = <-held:
	case <-time.After(ioWait):
		t.Fatal("the first hijacked conn was not handed over")
	}
	eventually(t, "1 hijacked, 0 open", func() bool { st := l.Stats(); return st.Hijacked == 1 && st.Open == 0 })
	// The hijacked connection does not take an HTTP slot: two idle
	// keep-alive connections fit beside it without an eviction.
	for range 2 {
		if st, err := dial(t, addr).get("/"); err != nil || st != 200 {
			t.Fatalf("GET beside a hijacked connection = %d %v", st, err)
		}
	}
	if st := l.Stats(); st.Evicted != 0 || st.Open != 2 {
		t.Fatalf("stats %+v, want 2 open and no eviction", st)
	}
	// A second hijack is past its cap: closed.
	second := upgrade()
	if !second.closedByServer() {
		t.Fatal("a hijack past MaxHijacked was not closed")
	}
	eventually(t, "the refused hijack counted", func() bool { return l.Stats().HijackRefused == 1 })
	if st := l.Stats(); st.Hijacked != 1 {
		t.Fatalf("stats %+v, want the first hijacked conn still counted", st)
	}
	// When its owner closes the first, the count drops.
	_ = firstConn.Close()
	if !first.closedByServer() {
		t.Fatal("closing the hijacked conn did not close it")
	}
	eventually(t, "no hijacked connection counted", func() bool { return l.Stats().Hijacked == 0 })
}

func TestCountsReturnToZero(t *testing.T) {
	l, addr := serve(t, connlimit.Options{MaxConns: 8, MaxHijacked: 1}, ok)
	var cls []*client
	for range 5 {
		cl := dial(t, addr)
		if _, err := cl.get("/"); err != nil {
			t.Fatal(err)
		}
		cls = append(cls, cl)
	}
	eventually(t, "5 open", func() bool { return l.Stats().Open == 5 })
	for _, cl := range cls {
		_ = cl.c.Close()
	}
	eventually(t, "0 open after the clients left", func() bool { return l.Stats().Open == 0 })
}

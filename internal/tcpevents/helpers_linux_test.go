package tcpevents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test timings.
const (
	// waitLimit bounds every wait for kernel events (go test's default
	// timeout is 10 minutes; loaded 2-core machines need slack).
	waitLimit = 10 * time.Second
)

// openOrSkip opens a Source, skipping the test with Open's reason when
// kernel events are unavailable here for an expected reason: not root (nor
// CAP_BPF and CAP_PERFMON), no BTF, an old kernel. Any other error fails.
func openOrSkip(t testing.TB, cfg Config) *Source {
	t.Helper()
	s, err := Open(slog.New(slog.DiscardHandler), cfg)
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("kernel TCP events unavailable here (uid %d): %v", os.Geteuid(), err)
	}
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// shared is one Source for every test that needs no Config of its own:
// opening costs about 50 ms (0.5 s under -race), mostly parsing the
// kernel's BTF. Tests run one at a time; each sets its own ports and runs
// its own collector. TestMain closes it.
var shared struct {
	once sync.Once
	s    *Source
	err  error
}

// sharedSource returns the shared Source, skipping like openOrSkip.
func sharedSource(t testing.TB) *Source {
	t.Helper()
	shared.once.Do(func() { shared.s, shared.err = Open(slog.New(slog.DiscardHandler), Config{}) })
	if errors.Is(shared.err, ErrUnavailable) {
		t.Skipf("kernel TCP events unavailable here (uid %d): %v", os.Geteuid(), shared.err)
	}
	if shared.err != nil {
		t.Fatalf("Open: %v", shared.err)
	}
	t.Cleanup(func() {
		if err := shared.s.SetPorts(nil); err != nil {
			t.Errorf("clear ports: %v", err)
		}
	})
	return shared.s
}

// collector runs a Source and keeps a copy of every event.
type collector struct {
	s       *Source
	cancel  context.CancelFunc
	done    chan error
	changed chan struct{} // one pending wake-up for waiters

	mu  sync.Mutex
	evs []Event
}

// collect starts s.Run; the test's cleanup stops it and checks it
// returned nil.
func collect(t testing.TB, s *Source) *collector {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{s: s, cancel: cancel, done: make(chan error, 1), changed: make(chan struct{}, 1)}
	go func() { // stopped by c.stop (cancel), which waits for it
		c.done <- s.Run(ctx, func(e *Event) {
			c.mu.Lock()
			c.evs = append(c.evs, *e)
			c.mu.Unlock()
			select {
			case c.changed <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(func() { c.stop(t) })
	return c
}

// stop cancels Run and waits for it; safe to call twice.
func (c *collector) stop(t testing.TB) {
	t.Helper()
	if c.done == nil {
		return
	}
	c.cancel()
	select {
	case err := <-c.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("Run did not return within %v of cancel", waitLimit)
	}
	c.done = nil
}

// waitFor polls cond over the events (under the lock) until it holds.
func (c *collector) waitFor(t testing.TB, what string, cond func(evs []Event) bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok := cond(c.evs)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.changed:
		case <-deadline.C:
			t.Fatalf("no %s within %v; events:\n%s", what, waitLimit, c.dump())
		}
	}
}

// drain waits until every event the kernel matched was delivered or lost.
func (c *collector) drain(t testing.TB) Stats {
	t.Helper()
	var st Stats
	deadline := time.Now().Add(waitLimit)
	for {
		var err error
		if st, err = c.s.Stats(); err != nil {
			t.Fatal(err)
		}
		if st.Delivered+st.Lost == st.Matched {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("events not drained within %v: %+v", waitLimit, st)
		}
		select { // a poll with a deadline: Stats has no change notification
		case <-c.changed:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (c *collector) events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.evs...)
}

func (c *collector) dump() string {
	var b strings.Builder
	for _, e := range c.evs {
		fmt.Fprintf(&b, "  %s\n", describe(&e))
	}
	return b.String()
}

func describe(e *Event) string {
	return fmt.Sprintf("%d cookie=%d %v->%v %s pid=%v/%d/%q reason=%q", e.Mono, e.Cookie, e.Local, e.Remote, step(e), e.PidKnown, e.Pid, e.Comm, e.Reason)
}

// step spells one event for sequence comparisons: "OLD>NEW" for a
// transition, "rst-sent(STATE)" or "rst-recv(STATE)" for resets.
func step(e *Event) string {
	switch e.Kind {
	case ResetSent:
		return "rst-sent(" + e.Old.String() + ")"
	case ResetReceived:
		return "rst-recv(" + e.Old.String() + ")"
	}
	return e.Old.String() + ">" + e.New.String()
}

// cookieOf is the cookie of the socket whose 4-tuple is (local, remote),
// from any of its events; 0 if none yet.
func cookieOf(evs []Event, local, remote netip.AddrPort) uint64 {
	for i := range evs {
		if evs[i].Local == local && evs[i].Remote == remote && evs[i].Cookie != 0 {
			return evs[i].Cookie
		}
	}
	return 0
}

// socketEvents returns the events of the socket (local, remote), joined by
// cookie (so the SYN_SENT event with local port 0 is included).
func socketEvents(evs []Event, local, remote netip.AddrPort) []Event {
	ck := cookieOf(evs, local, remote)
	if ck == 0 {
		return nil
	}
	var out []Event
	for _, e := range evs {
		if e.Cookie == ck {
			out = append(out, e)
		}
	}
	return out
}

// steps is socketEvents spelled with step.
func steps(evs []Event, local, remote netip.AddrPort) []string {
	var out []string
	for _, e := range socketEvents(evs, local, remote) {
		out = append(out, step(&e))
	}
	return out
}

// endsWith reports whether the socket's steps end with last.
func endsWith(evs []Event, local, remote netip.AddrPort, last string) bool {
	s := steps(evs, local, remote)
	return len(s) > 0 && s[len(s)-1] == last
}

func addrPort(a net.Addr) netip.AddrPort {
	ap := a.(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func portOf(ln net.Listener) uint16 { return ln.Addr().(*net.TCPAddr).AddrPort().Port() }

func listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// conn is one loopback connection: its client and the server's accepted
// end, with their addresses as the kernel reports them (unmapped).
type conn struct {
	client, server *net.TCPConn
	cl, sv         netip.AddrPort // client's and server's local ends
}

// dial connects to ln at host (host "" uses ln's own address) and accepts.
func dial(t testing.TB, ln net.Listener, host string) *conn {
	t.Helper()
	addr := ln.Addr().String()
	if host != "" {
		addr = net.JoinHostPort(host, fmt.Sprint(portOf(ln)))
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return &conn{client: c.(*net.TCPConn), server: s.(*net.TCPConn), cl: addrPort(c.LocalAddr()), sv: addrPort(s.LocalAddr())}
}

// lifecycle runs one whole connection: dial, accept, the client closes,
// the server reads EOF and closes.
func lifecycle(t testing.TB, ln net.Listener) *conn {
	t.Helper()
	c := dial(t, ln, "")
	if err := c.client.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, c.server); err != nil {
		t.Fatal(err)
	}
	if err := c.server.Close(); err != nil {
		t.Fatal(err)
	}
	return c
}

// involves reports whether the event's 4-tuple uses port p.
func involves(e *Event, p uint16) bool { return e.Local.Port() == p || e.Remote.Port() == p }

var (
	openClient   = []string{"CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED"}
	openServer   = []string{"LISTEN>SYN_RECV", "SYN_RECV>ESTABLISHED"}
	closesFirst  = []string{"ESTABLISHED>FIN_WAIT1", "FIN_WAIT1>FIN_WAIT2", "FIN_WAIT2>CLOSE"}
	closedByPeer = []string{"ESTABLISHED>CLOSE_WAIT", "CLOSE_WAIT>LAST_ACK", "LAST_ACK>CLOSE"}
)

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

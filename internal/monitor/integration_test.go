package monitor

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// These tests run the monitor on the real samplers against real loopback
// sockets on kernel-picked ports.

// realSampler opens the sampler for mode or skips the test when the mode
// cannot run here (netlink off Linux).
func realSampler(t *testing.T, mode string) sockstat.Sampler {
	t.Helper()
	s, err := sockstat.New(slog.New(slog.DiscardHandler), mode)
	if err != nil {
		t.Skipf("sampler %s unavailable here: %v", mode, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// server is a loopback listener that keeps the connections it accepts.
type server struct {
	ln    net.Listener
	port  uint16
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newServer(t *testing.T) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln, port: uint16(ln.Addr().(*net.TCPAddr).Port)}
	s.wg.Go(func() { // accept loop; stopped by closing ln in cleanup, waited there
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			_ = c.Close()
		}
	})
	return s
}

// accepted waits for the n-th accepted connection (0-based) whose remote
// address is the local address of client.
func (s *server) accepted(t *testing.T, client net.Conn) net.Conn {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for _, c := range s.conns {
			if c.RemoteAddr().String() == client.LocalAddr().String() {
				s.mu.Unlock()
				return c
			}
		}
		s.mu.Unlock()
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
	t.Fatal("connection not accepted")
	return nil
}

func dial(t *testing.T, port uint16) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(int(port))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// closeFirst closes a first and then, once b has read EOF, b: an orderly
// close in which a's side ends in TIME_WAIT.
func closeFirst(t *testing.T, a, b net.Conn) {
	t.Helper()
	_ = a.Close()
	_ = b.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, err := b.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("peer read after close: %v, want EOF", err)
	}
	_ = b.Close()
}

// watcher collects the ticks of one port.
type watcher struct {
	t       *testing.T
	sub     *hub.Sub
	last    wire.Tick
	changes []wire.Change
}

// until reads ticks until cond holds for one, and returns it.
func (w *watcher) until(what string, cond func(wire.Tick) bool) wire.Tick {
	w.t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case msg := <-w.sub.C():
			var tk wire.Tick
			if err := json.Unmarshal(msg, &tk); err != nil {
				w.t.Fatal(err)
			}
			if tk.Type != wire.TypeTick {
				continue
			}
			if w.last.Seq != 0 && tk.Seq != w.last.Seq+1 {
				w.t.Fatalf("tick seq %d after %d", tk.Seq, w.last.Seq)
			}
			w.last = tk
			w.changes = append(w.changes, tk.Changes...)
			if cond(tk) {
				return tk
			}
		case <-w.sub.Done():
			w.t.Fatalf("subscriber dropped: %s", w.sub.Reason())
		case <-deadline:
			w.t.Fatalf("timed out waiting for %s; last tick %+v", what, w.last)
		}
	}
}

// seen reports whether a change of kind for the socket local>remote, ending
// in state (any state when ""), was published.
func (w *watcher) seen(kind, local, remote, state string) *wire.Change {
	for i := range w.changes {
		c := &w.changes[i]
		if c.Kind == kind && c.Socket.Local == local && c.Socket.Remote == remote && (state == "" || c.Socket.State == state) {
			return c
		}
	}
	return nil
}

func TestRealSockets(t *testing.T) {
	for _, mode := range []string{sockstat.ModeNetlink, sockstat.ModeGopsutil} {
		t.Run(mode, func(t *testing.T) { testRealSockets(t, mode) })
	}
}

func testRealSockets(t *testing.T, mode string) {
	smp := realSampler(t, mode)
	h := hub.New(nil)
	defer h.Close()
	m := New(smp, h, Options{Interval: MinInterval}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var run sync.WaitGroup
	run.Go(func() { _ = m.Run(ctx) }) // stopped by cancel, waited below
	defer run.Wait()
	defer cancel()

	srv := newServer(t)
	portsSub := h.Subscribe(100)
	h.Join(portsSub, PortsTopic)
	w := &watcher{t: t, sub: h.Subscribe(10000)}
	h.Join(w.sub, Topic(srv.port))
	if err := m.Add(srv.port); err != nil {
		t.Fatal(err)
	}
	if p := next[wire.Ports](t, portsSub); len(p.Ports) != 1 || p.Ports[0].Port != srv.port || p.Ports[0].Source != mode {
		t.Fatalf("ports message: %+v", p)
	}
	w.until("the listener", func(tk wire.Tick) bool { return tk.Counts.Server["LISTEN"] == 1 })

	// Three connections: three ESTABLISHED on each side.
	var clients, servers []net.Conn
	for range 3 {
		c := dial(t, srv.port)
		clients = append(clients, c)
		servers = append(servers, srv.accepted(t, c))
	}
	w.until("3 ESTABLISHED per side", func(tk wire.Tick) bool {
		return tk.Counts.Server["ESTABLISHED"] == 3 && tk.Counts.Client["ESTABLISHED"] == 3
	})
	for _, c := range clients {
		local, remote := c.LocalAddr().String(), c.RemoteAddr().String()
		if w.seen("opened", local, remote, "ESTABLISHED") == nil {
			t.Errorf("no client-side opened change for %s>%s", local, remote)
		}
		if ch := w.seen("opened", remote, local, ""); ch == nil || ch.Socket.Side != "server" {
			t.Errorf("no server-side opened change for %s>%s: %+v", remote, local, ch)
		}
	}

	// Connection 0: the server closes first -> TIME_WAIT on the server side.
	// Connection 1: the client closes first -> TIME_WAIT on the client side.
	closeFirst(t, servers[0], clients[0])
	closeFirst(t, clients[1], servers[1])
	srvAddr, cli0, cli1 := servers[0].LocalAddr().String(), clients[0].LocalAddr().String(), clients[1].LocalAddr().String()
	// Judged on this test's own 4-tuples, not on totals: a kernel-picked
	// port P may also appear in strangers' TIME_WAITs (an earlier
	// connection of another test whose local or remote port was P, still
	// in its 60 s), so the counts may be higher (seen: 4 on the client
	// side while other suites ran).
	tk := w.until("one TIME_WAIT per side", func(tk wire.Tick) bool {
		// The peers of the TIME_WAIT sockets have finished LAST_ACK.
		return w.seen("changed", srvAddr, cli0, "TIME_WAIT") != nil && w.seen("changed", cli1, srvAddr, "TIME_WAIT") != nil &&
			w.seen("gone", cli0, srvAddr, "") != nil && w.seen("gone", srvAddr, cli1, "") != nil &&
			tk.Counts.Server["ESTABLISHED"] == 1 && tk.Counts.Client["ESTABLISHED"] == 1
	})
	if tk.Counts.Server["LISTEN"] != 1 || tk.Counts.Server["TIME_WAIT"] < 1 || tk.Counts.Client["TIME_WAIT"] < 1 {
		t.Errorf("counts: %v", tk.Counts)
	}
	// The polls may or may not catch FIN_WAIT2 (it lasts as long as the
	// peer takes to close): the TIME_WAIT socket is reported as changed from
	// ESTABLISHED or from a FIN_WAIT state.
	ch := w.seen("changed", srvAddr, cli0, "TIME_WAIT")
	if ch == nil || !slices.Contains([]string{"ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2"}, ch.From) || ch.Socket.Side != "server" || ch.Socket.Process != "kernel" {
		t.Errorf("server-side TIME_WAIT change: %+v", ch)
	}
	if ch := w.seen("changed", cli1, srvAddr, "TIME_WAIT"); ch == nil || ch.Socket.Side != "client" {
		t.Errorf("client-side TIME_WAIT change: %+v", ch)
	}
	// The peers of the TIME_WAIT sockets are gone (LAST_ACK lasts one RTT).
	if ch := w.seen("gone", cli0, srvAddr, ""); ch == nil || ch.Socket.Side != "client" {
		t.Errorf("client socket of the server-closed connection not reported gone: %+v", ch)
	}
	if w.seen("gone", srvAddr, cli1, "") == nil {
		t.Errorf("server socket of the client-closed connection not reported gone")
	}

	// The REST views agree with the last tick.
	st, err := m.Status(srv.port)
	if err != nil || st.Source != mode || st.At == "" || !equalCounts(st.Counts, w.last.Counts) {
		t.Fatalf("Status = %+v, %v; last tick counts %v", st, err, w.last.Counts)
	}
	socks, err := m.Sockets(srv.port)
	if err != nil {
		t.Fatal(err)
	}
	var tw []wire.Socket
	for _, s := range socks {
		if s.State == "TIME_WAIT" && (s.Local == srvAddr && s.Remote == cli0 || s.Local == cli1 && s.Remote == srvAddr) {
			tw = append(tw, s)
		}
	}
	if len(tw) != 2 || tw[0].Side != "server" || tw[1].Side != "client" || tw[0].Process != "kernel" || tw[1].Process != "kernel" {
		t.Fatalf("TIME_WAIT sockets: %+v", tw)
	}
	if mode == sockstat.ModeNetlink {
		for _, s := range tw {
			// TIME_WAIT lasts 60 s on Linux; the countdown has just started.
			if s.Timer != "timewait" || s.TimerMs <= 0 || s.TimerMs > 60000 {
				t.Errorf("TIME_WAIT timer: %+v", s)
			}
		}
	}
	tl, err := m.Timeline(srv.port, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tl.T); n == 0 || tl.Seq < w.last.Seq || int(tl.Seq-tl.Seq0+1) != n {
		t.Fatalf("timeline rows %d, seq %d..%d, last tick %d", n, tl.Seq0, tl.Seq, w.last.Seq)
	}
	if !slices.IsSorted(tl.T) {
		t.Fatal("timeline times not ordered")
	}

	// Remove: the port leaves the set and its ticks stop.
	if err := m.Remove(srv.port); err != nil {
		t.Fatal(err)
	}
	if p := next[wire.Ports](t, portsSub); len(p.Ports) != 0 {
		t.Fatalf("ports after Remove: %+v", p)
	}
	if _, err := m.Status(srv.port); err == nil {
		t.Fatal("removed port still has a status")
	}
}

func TestRealHoldObserver(t *testing.T) {
	smp := realSampler(t, sockstat.ModeAuto)
	h := hub.New(nil)
	defer h.Close()
	m := New(smp, h, Options{Interval: MinInterval}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var run sync.WaitGroup
	run.Go(func() { _ = m.Run(ctx) }) // stopped by cancel, waited below
	defer run.Wait()
	defer cancel()

	srv := newServer(t)
	type obs struct{ server, client int }
	seen := make(chan obs, 1000)
	release, err := m.Hold(srv.port, "exp-7", func(_ time.Time, tl *Tally, socks []sockstat.Socket) {
		for i := range socks {
			if sockstat.SideOf(&socks[i], srv.port) == sockstat.SideNone {
				t.Errorf("observer got a socket of another port: %+v", socks[i])
			}
		}
		select {
		case seen <- obs{tl.Get(sockstat.Server, sockstat.Established), tl.Get(sockstat.Client, sockstat.Established)}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := m.Ports(); len(st) != 1 || st[0].Experiment != "exp-7" {
		t.Fatalf("Ports with a hold: %+v", st)
	}
	if err := m.Remove(srv.port); err == nil {
		t.Fatal("Remove of a held port accepted")
	}
	c := dial(t, srv.port)
	srv.accepted(t, c)
	deadline := time.After(waitTimeout)
	for done := false; !done; {
		select {
		case o := <-seen:
			done = o.server == 1 && o.client == 1
		case <-deadline:
			t.Fatal("observer never saw the connection on both sides")
		}
	}
	release()
	if st := m.Ports(); len(st) != 0 {
		t.Fatalf("Ports after release: %+v", st)
	}
}

// TestRealMemoryFlat: a thousand polls of a churning port on the real
// sampler keep the ring at its capacity and the heap where it was.
func TestRealMemoryFlat(t *testing.T) {
	smp := realSampler(t, sockstat.ModeAuto)
	h := hub.New(nil)
	defer h.Close()
	m := New(smp, h, Options{Interval: MinInterval, History: time.Second}, nil) // 20 rows
	port, stop := resetServer(t)
	defer stop()
	if err := m.Add(port); err != nil {
		t.Fatal(err)
	}
	sub := h.Subscribe(10)
	h.Join(sub, Topic(port))
	conns := make([]*net.TCPConn, 20)
	dialRST := func(j int) { // replaces connection j; the old one ends in RST: no TIME_WAIT piles up
		if conns[j] != nil {
			_ = conns[j].SetLinger(0)
			_ = conns[j].Close()
		}
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(int(port))))
		if err != nil {
			t.Fatal(err)
		}
		conns[j] = c.(*net.TCPConn)
	}
	defer func() {
		for _, c := range conns {
			_ = c.SetLinger(0)
			_ = c.Close()
		}
	}()
	for j := range conns {
		dialRST(j)
	}
	drain := func() {
		for {
			select {
			case <-sub.C():
			default:
				return
			}
		}
	}
	const warm, polls = 200, 1000
	for i := range warm { // buffers reach their steady size
		dialRST(i % len(conns))
		m.poll()
		drain()
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	before := heap()
	for i := range polls {
		dialRST(i % len(conns))
		m.poll()
		drain()
	}
	after := heap()
	tl, _ := m.Timeline(port, 0)
	if len(tl.T) != m.Capacity() || tl.Seq != warm+polls {
		t.Fatalf("ring holds %d rows (capacity %d), seq %d", len(tl.T), m.Capacity(), tl.Seq)
	}
	t.Logf("heap in use: %d KiB before, %d KiB after %d polls with churn", before/1024, after/1024, polls)
	// Generous bound: leaking even 1 KiB per poll would exceed it.
	if after > before+512<<10 {
		t.Fatalf("heap grew from %d to %d bytes over %d polls", before, after, polls)
	}
}

// resetServer is a loopback listener whose connections are closed by the
// server as soon as the client's reset (or EOF) arrives.
func resetServer(t *testing.T) (port uint16, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { // accept loop; stopped by closing ln in stop, waited there
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { // one connection; ends when the client resets it
				_, _ = io.Copy(io.Discard, c)
				_ = c.Close()
			})
		}
	})
	return uint16(ln.Addr().(*net.TCPAddr).Port), func() { _ = ln.Close(); wg.Wait() }
}

// TestRealOwners: with the real owner pass, the socket table names this test
// process for its own connections and the kernel for TIME_WAIT.
func TestRealOwners(t *testing.T) {
	smp := realSampler(t, sockstat.ModeAuto)
	owners := sockstat.NewOwners(slog.New(slog.DiscardHandler), 0)
	ctx, cancel := context.WithCancel(context.Background())
	var run sync.WaitGroup
	run.Go(func() { _ = owners.Run(ctx) }) // stopped by cancel, waited below
	defer run.Wait()
	defer cancel()
	h := hub.New(nil)
	defer h.Close()
	m := New(smp, h, Options{Interval: MinInterval, Owners: owners}, nil)

	srv := newServer(t)
	if err := m.Add(srv.port); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.port)
	closeFirst(t, srv.accepted(t, c), c) // a server-side TIME_WAIT
	deadline := time.Now().Add(2*sockstat.MinOwnersEvery + waitTimeout)
	for {
		m.poll()
		socks, _ := m.Sockets(srv.port)
		var listen, tw *wire.Socket
		for i := range socks {
			switch socks[i].State {
			case "LISTEN":
				listen = &socks[i]
			case "TIME_WAIT":
				tw = &socks[i]
			}
		}
		if listen != nil && listen.PID == int32(os.Getpid()) && listen.Process != "" {
			if tw == nil || tw.Process != "kernel" {
				t.Fatalf("TIME_WAIT socket: %+v", tw)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("owner of the listener never resolved: %+v", socks)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

// TestRealOwnersReachSubscribers: a socket a subscriber first saw without an
// owner (the background pass had not run yet) is reported again, as a
// "changed" with its state unchanged, once the pass names its process.
func TestRealOwnersReachSubscribers(t *testing.T) {
	smp := realSampler(t, sockstat.ModeAuto)
	owners := sockstat.NewOwners(slog.New(slog.DiscardHandler), 0)
	h := hub.New(nil)
	defer h.Close()
	m := New(smp, h, Options{Interval: MinInterval, Owners: owners}, nil)
	srv := newServer(t)
	if err := m.Add(srv.port); err != nil {
		t.Fatal(err)
	}
	sub := h.Subscribe(1024)
	if err := m.Subscribe(srv.port, func() bool { return h.Reserve(sub, Topic(srv.port)) }, func(snap []byte) { h.Fill(sub, Topic(srv.port), snap) }); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv.port)
	srv.accepted(t, c)
	m.poll() // the connection opens, its owner unknown: owners.Run is not running yet

	ctx, cancel := context.WithCancel(context.Background())
	var run sync.WaitGroup
	run.Go(func() { _ = owners.Run(ctx) }) // stopped by cancel, waited below
	defer run.Wait()
	defer cancel()

	deadline := time.Now().Add(2*sockstat.MinOwnersEvery + waitTimeout)
	for {
		m.poll()
		for drained := false; !drained; {
			select {
			case msg := <-sub.C():
				var tick wire.Tick
				if json.Unmarshal(msg, &tick) != nil || tick.Type != wire.TypeTick {
					continue
				}
				for _, ch := range tick.Changes {
					if ch.Kind == "changed" && ch.From == ch.Socket.State && ch.Socket.State == "ESTABLISHED" {
						if ch.Socket.PID != int32(os.Getpid()) || ch.Socket.Process == "" {
							t.Fatalf("owner change names %d %q, want this process %d", ch.Socket.PID, ch.Socket.Process, os.Getpid())
						}
						return
					}
				}
			default:
				drained = true
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no tick named the owner of the connection")
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

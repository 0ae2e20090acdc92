package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait in these tests.
const waitTimeout = 10 * time.Second

// script is a Sampler fixture that reports a settable host population,
// filtered by the asked ports as the real samplers filter it. The kernel
// cannot be scripted; the integration tests use the real sampler.
type script struct {
	mu    sync.Mutex
	socks []sockstat.Socket
	err   error
	calls [][]uint16
}

func (s *script) set(socks ...sockstat.Socket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.socks = socks
}

func (s *script) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *script) Sample(ports []uint16, dst []sockstat.Socket) ([]sockstat.Socket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, slices.Clone(ports))
	if s.err != nil {
		return dst, s.err
	}
	for _, so := range s.socks {
		if slices.Contains(ports, so.Local.Port()) || slices.Contains(ports, so.Remote.Port()) {
			dst = append(dst, so)
		}
	}
	return dst, nil
}

func (s *script) Source() string { return "script" }

// fixture is a monitor on a script sampler with a real hub.
type fixture struct {
	t   *testing.T
	s   *script
	hub *hub.Hub
	m   *Monitor
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{t: t, s: &script{}, hub: hub.New(nil)}
	f.m = New(f.s, f.hub, opts, nil)
	t.Cleanup(f.hub.Close)
	return f
}

// join subscribes to topic with a roomy queue.
func (f *fixture) join(topic string) *hub.Sub {
	s := f.hub.Subscribe(1000)
	f.hub.Join(s, topic)
	return s
}

// next decodes the next message of sub into v and returns its type.
func next[T any](t *testing.T, sub *hub.Sub) T {
	t.Helper()
	var v T
	select {
	case msg := <-sub.C():
		if err := json.Unmarshal(msg, &v); err != nil {
			t.Fatalf("decode %s: %v", msg, err)
		}
	case <-sub.Done():
		t.Fatalf("subscriber dropped: %s", sub.Reason())
	case <-time.After(waitTimeout):
		t.Fatal("no message")
	}
	return v
}

func quiet(t *testing.T, sub *hub.Sub) {
	t.Helper()
	select {
	case msg := <-sub.C():
		t.Fatalf("unexpected message %s", msg)
	default:
	}
}

// always is a Subscribe reserve for tests that read the snapshot only.
func always() bool { return true }

// changes renders a tick's changes as "kind side local>remote state [from]".
func changes(tk wire.Tick) []string {
	out := []string{}
	for _, c := range tk.Changes {
		s := c.Kind + " " + c.Socket.Side + " " + c.Socket.Local + ">" + c.Socket.Remote + " " + c.Socket.State
		if c.From != "" {
			s += " from " + c.From
		}
		out = append(out, s)
	}
	return out
}

func TestOptionsDefaults(t *testing.T) {
	m := New(&script{}, hub.New(nil), Options{}, nil)
	if m.Interval() != DefaultInterval || m.Capacity() != int(DefaultHistory/DefaultInterval) || m.maxPorts != DefaultMaxPorts {
		t.Fatalf("defaults: interval %v capacity %d maxPorts %d", m.Interval(), m.Capacity(), m.maxPorts)
	}
	m = New(&script{}, hub.New(nil), Options{Interval: time.Millisecond, History: time.Second}, nil)
	if m.Interval() != MinInterval || m.Capacity() != 20 {
		t.Fatalf("min interval: %v capacity %d", m.Interval(), m.Capacity())
	}
	m = New(&script{}, hub.New(nil), Options{Interval: time.Minute, History: time.Second}, nil)
	if m.Capacity() != 1 {
		t.Fatalf("capacity floor: %d", m.Capacity())
	}
	if m.Source() != "script" || Topic(8081) != "port:8081" {
		t.Fatalf("Source %q Topic %q", m.Source(), Topic(8081))
	}
}

func TestWatchedSet(t *testing.T) {
	f := newFixture(t, Options{MaxPorts: 2})
	ports := f.join(PortsTopic)

	if err := f.m.Add(0); !errors.Is(err, ErrInvalidPort) {
		t.Fatalf("Add(0) = %v", err)
	}
	if err := f.m.Add(9090); err != nil {
		t.Fatal(err)
	}
	if p := next[wire.Ports](t, ports); p.Type != wire.TypePorts || len(p.Ports) != 1 || p.Ports[0].Port != 9090 {
		t.Fatalf("ports message after Add: %+v", p)
	}
	if err := f.m.Add(8081); err != nil {
		t.Fatal(err)
	}
	if p := next[wire.Ports](t, ports); len(p.Ports) != 2 || p.Ports[0].Port != 8081 || p.Ports[1].Port != 9090 {
		t.Fatalf("ports not sorted: %+v", p)
	}
	if err := f.m.Add(8081); !errors.Is(err, ErrExists) {
		t.Fatalf("second Add = %v", err)
	}
	if err := f.m.Add(7000); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "7000") {
		t.Fatalf("Add past MaxPorts = %v", err)
	}
	quiet(t, ports)

	st, err := f.m.Status(8081)
	if err != nil || st.Port != 8081 || st.Source != "script" || st.At != "" || st.Counts.Server == nil || st.Counts.Client == nil {
		t.Fatalf("Status before first poll = %+v, %v", st, err)
	}
	if _, err := f.m.Status(7000); !errors.Is(err, ErrNotWatched) {
		t.Fatalf("Status(unwatched) = %v", err)
	}
	if _, err := f.m.Sockets(7000); !errors.Is(err, ErrNotWatched) {
		t.Fatalf("Sockets(unwatched) = %v", err)
	}
	if _, err := f.m.Timeline(7000, 0); !errors.Is(err, ErrNotWatched) {
		t.Fatalf("Timeline(unwatched) = %v", err)
	}
	if err := f.m.Subscribe(7000, always, func([]byte) { t.Error("called") }); !errors.Is(err, ErrNotWatched) {
		t.Fatalf("Subscribe(unwatched) = %v", err)
	}
	if err := f.m.Remove(7000); !errors.Is(err, ErrNotWatched) {
		t.Fatalf("Remove(unwatched) = %v", err)
	}

	if err := f.m.Remove(9090); err != nil {
		t.Fatal(err)
	}
	if p := next[wire.Ports](t, ports); len(p.Ports) != 1 || p.Ports[0].Port != 8081 {
		t.Fatalf("ports after Remove: %+v", p)
	}
	if err := f.m.Add(7000); err != nil { // room again
		t.Fatal(err)
	}
	got := []uint16{}
	for _, p := range f.m.Ports() {
		got = append(got, p.Port)
	}
	if !slices.Equal(got, []uint16{7000, 8081}) {
		t.Fatalf("Ports() = %v", got)
	}

	var snap []byte
	if err := f.m.SubscribePorts(func(b []byte) { snap = b }); err != nil {
		t.Fatal(err)
	}
	var p wire.Ports
	if err := json.Unmarshal(snap, &p); err != nil || p.Type != wire.TypePorts || len(p.Ports) != 2 {
		t.Fatalf("SubscribePorts gave %s (%v)", snap, err)
	}
}

func TestPollTicks(t *testing.T) {
	f := newFixture(t, Options{Interval: 100 * time.Millisecond, History: time.Second}) // ring of 10
	if err := f.m.Add(8081); err != nil {
		t.Fatal(err)
	}
	ticks := f.join(Topic(8081))
	const srv = "127.0.0.1:8081"

	// Poll 1: listener, one connection both ways, a socket of another port.
	f.s.set(
		sock("127.0.0.1:8081", "0.0.0.0:0", sockstat.Listen),
		sock(srv, "127.0.0.1:50001", sockstat.Established),
		sock("127.0.0.1:50001", srv, sockstat.Established),
		sock("127.0.0.1:9999", "127.0.0.1:40000", sockstat.Established),
	)
	f.m.poll()
	tk := next[wire.Tick](t, ticks)
	if tk.Type != wire.TypeTick || tk.Port != 8081 || tk.Seq != 1 || tk.At == 0 || tk.Truncated {
		t.Fatalf("tick 1 header: %+v", tk)
	}
	wantCounts := wire.Counts{Server: map[string]int{"LISTEN": 1, "ESTABLISHED": 1}, Client: map[string]int{"ESTABLISHED": 1}}
	if !equalCounts(tk.Counts, wantCounts) {
		t.Fatalf("tick 1 counts %v, want %v", tk.Counts, wantCounts)
	}
	if got := changes(tk); !slices.Equal(got, []string{
		"opened server 127.0.0.1:8081>0.0.0.0:0 LISTEN",
		"opened server 127.0.0.1:8081>127.0.0.1:50001 ESTABLISHED",
		"opened client 127.0.0.1:50001>127.0.0.1:8081 ESTABLISHED",
	}) {
		t.Fatalf("tick 1 changes %q", got)
	}

	// Poll 2: the server closes first: TIME_WAIT on the server side, the
	// client socket is gone (closed after its FIN).
	f.s.set(
		sock("127.0.0.1:8081", "0.0.0.0:0", sockstat.Listen),
		timeWait(srv, "127.0.0.1:50001", 60*time.Second),
	)
	f.m.poll()
	tk = next[wire.Tick](t, ticks)
	if tk.Seq != 2 || !equalCounts(tk.Counts, wire.Counts{Server: map[string]int{"LISTEN": 1, "TIME_WAIT": 1}}) {
		t.Fatalf("tick 2: %+v", tk)
	}
	if got := changes(tk); !slices.Equal(got, []string{
		"changed server 127.0.0.1:8081>127.0.0.1:50001 TIME_WAIT from ESTABLISHED",
		"gone client 127.0.0.1:50001>127.0.0.1:8081 ESTABLISHED from ESTABLISHED",
	}) {
		t.Fatalf("tick 2 changes %q", got)
	}
	if tk.Changes[0].Socket.Process != "kernel" || tk.Changes[0].Socket.Timer != "timewait" || tk.Changes[0].Socket.TimerMs != 60000 {
		t.Fatalf("TIME_WAIT change socket: %+v", tk.Changes[0].Socket)
	}

	// Poll 3: nothing changed: a tick with no changes (an empty list, not null).
	f.m.poll()
	select {
	case msg := <-ticks.C():
		if !strings.Contains(string(msg), `"changes":[]`) {
			t.Fatalf("tick 3 = %s", msg)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no tick 3")
	}

	// The sampler was asked once per poll, for the watched port only.
	f.s.mu.Lock()
	calls := slices.Clone(f.s.calls)
	f.s.mu.Unlock()
	if len(calls) != 3 || !slices.Equal(calls[0], []uint16{8081}) {
		t.Fatalf("sampler calls %v", calls)
	}

	st, _ := f.m.Status(8081)
	if st.At == "" || !equalCounts(st.Counts, wire.Counts{Server: map[string]int{"LISTEN": 1, "TIME_WAIT": 1}}) {
		t.Fatalf("Status after polls: %+v", st)
	}
	socks, _ := f.m.Sockets(8081)
	if len(socks) != 2 || socks[0].State != "TIME_WAIT" || socks[1].State != "LISTEN" || socks[0].Process != "kernel" {
		// Sorted by side then state order: ESTABLISHED... TIME_WAIT before LISTEN.
		t.Fatalf("Sockets = %+v", socks)
	}

	tl, _ := f.m.Timeline(8081, 1)
	if tl.Seq0 != 2 || tl.Seq != 3 || len(tl.T) != 2 || !slices.Equal(tl.Server["TIME_WAIT"], []int32{1, 1}) ||
		!slices.Equal(tl.Client["ESTABLISHED"], []int32{0, 0}) || len(tl.Server) != nStates {
		t.Fatalf("Timeline(since 1) = %+v", tl)
	}
	tl, _ = f.m.Timeline(8081, 3)
	if tl.Seq0 != 4 || tl.Seq != 3 || len(tl.T) != 0 {
		t.Fatalf("Timeline(up to date) = %+v", tl)
	}

	// The ring keeps History/Interval rows: 10.
	for range 20 {
		f.m.poll()
	}
	tl, _ = f.m.Timeline(8081, 0)
	if tl.Seq != 23 || tl.Seq0 != 14 || len(tl.T) != 10 {
		t.Fatalf("full ring: seq0 %d seq %d rows %d", tl.Seq0, tl.Seq, len(tl.T))
	}
}

func equalCounts(a, b wire.Counts) bool {
	norm := func(m map[string]int) map[string]int {
		if m == nil {
			return map[string]int{}
		}
		return m
	}
	return mapsEqual(norm(a.Server), norm(b.Server)) && mapsEqual(norm(a.Client), norm(b.Client))
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestSocketBetweenTwoWatchedPorts(t *testing.T) {
	f := newFixture(t, Options{})
	_ = f.m.Add(8081)
	_ = f.m.Add(5432)
	a, b := f.join(Topic(8081)), f.join(Topic(5432))
	// A proxy on 8081 connected to a database on 5432: the socket's local port
	// is 8081 and its remote port 5432. It counts for both ports.
	f.s.set(sock("127.0.0.1:8081", "127.0.0.1:5432", sockstat.Established))
	f.m.poll()
	ta, tb := next[wire.Tick](t, a), next[wire.Tick](t, b)
	if ta.Counts.Server["ESTABLISHED"] != 1 || len(ta.Counts.Client) != 0 {
		t.Fatalf("8081 counts %v", ta.Counts)
	}
	if tb.Counts.Client["ESTABLISHED"] != 1 || len(tb.Counts.Server) != 0 {
		t.Fatalf("5432 counts %v", tb.Counts)
	}
}

func TestDuplicatesCountedOnce(t *testing.T) {
	f := newFixture(t, Options{})
	_ = f.m.Add(8081)
	s := sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established)
	f.s.set(s, s, sock("[::ffff:127.0.0.1]:8081", "[::ffff:127.0.0.1]:50001", sockstat.Established))
	f.m.poll()
	if st, _ := f.m.Status(8081); st.Counts.Server["ESTABLISHED"] != 1 {
		t.Fatalf("duplicated 4-tuple counted %d times", st.Counts.Server["ESTABLISHED"])
	}
}

func TestChangesTruncated(t *testing.T) {
	f := newFixture(t, Options{})
	_ = f.m.Add(8081)
	ticks := f.join(Topic(8081))
	var many []sockstat.Socket
	for i := range wire.ChangesLimit + 5 {
		many = append(many, timeWait("127.0.0.1:8081", "127.0.0.2:"+itoa(10000+i), time.Minute))
	}
	f.s.set(many...)
	f.m.poll()
	tk := next[wire.Tick](t, ticks)
	if len(tk.Changes) != wire.ChangesLimit || !tk.Truncated || tk.Counts.Server["TIME_WAIT"] != wire.ChangesLimit+5 {
		t.Fatalf("changes %d truncated %v count %d", len(tk.Changes), tk.Truncated, tk.Counts.Server["TIME_WAIT"])
	}
	f.m.poll()
	if tk = next[wire.Tick](t, ticks); tk.Truncated || len(tk.Changes) != 0 {
		t.Fatalf("steady tick: %d changes, truncated %v", len(tk.Changes), tk.Truncated)
	}

	// The snapshot caps its sockets and says how many there are.
	var snap wire.Snapshot
	if err := f.m.Subscribe(8081, always, func(b []byte) { _ = json.Unmarshal(b, &snap) }); err != nil {
		t.Fatal(err)
	}
	if snap.SocketsTotal != wire.ChangesLimit+5 || len(snap.Sockets) != min(wire.SnapshotLimit, wire.ChangesLimit+5) {
		t.Fatalf("snapshot sockets %d of %d", len(snap.Sockets), snap.SocketsTotal)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestSubscribeSnapshot(t *testing.T) {
	f := newFixture(t, Options{})
	_ = f.m.Add(8081)
	var before wire.Snapshot
	if err := f.m.Subscribe(8081, always, func(b []byte) { _ = json.Unmarshal(b, &before) }); err != nil {
		t.Fatal(err)
	}
	if before.Type != wire.TypeSnapshot || before.Seq != 0 || before.At != 0 || before.Sockets == nil ||
		before.Timeline.Seq0 != 1 || before.Timeline.Seq != 0 || before.Source != "script" {
		t.Fatalf("snapshot before the first poll: %+v", before)
	}
	f.s.set(sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established))
	f.m.poll()
	f.m.poll()
	var snap wire.Snapshot
	_ = f.m.Subscribe(8081, always, func(b []byte) { _ = json.Unmarshal(b, &snap) })
	if snap.Seq != 2 || snap.At == 0 || snap.SocketsTotal != 1 || len(snap.Sockets) != 1 ||
		snap.Counts.Server["ESTABLISHED"] != 1 || snap.Timeline.Seq0 != 1 || snap.Timeline.Seq != 2 ||
		!slices.Equal(snap.Timeline.Server["ESTABLISHED"], []int32{1, 1}) {
		t.Fatalf("snapshot: %+v", snap)
	}
}

// TestSubscribeOrdering: subscribers joining while ticks are published get
// their snapshot at N and then exactly N+1, N+2, ... (the property the
// browser's resync logic relies on).
func TestSubscribeOrdering(t *testing.T) {
	f := newFixture(t, Options{Interval: MinInterval})
	_ = f.m.Add(8081)
	const polls = 300
	var wg sync.WaitGroup
	wg.Go(func() { // the poll loop stand-in; owner: this test
		for i := range polls {
			if i%2 == 0 {
				f.s.set(sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established))
			} else {
				f.s.set()
			}
			f.m.poll()
		}
	})
	errs := make(chan string, 100)
	for range 10 {
		wg.Go(func() { // one subscriber; owner: this test
			sub := f.hub.Subscribe(polls + 1)
			defer f.hub.Unsubscribe(sub)
			err := f.m.Subscribe(8081,
				func() bool { return f.hub.Reserve(sub, Topic(8081)) },
				func(snap []byte) { f.hub.Fill(sub, Topic(8081), snap) })
			if err != nil {
				errs <- err.Error()
				return
			}
			var snap wire.Snapshot
			_ = json.Unmarshal(<-sub.C(), &snap)
			if snap.Type != wire.TypeSnapshot {
				errs <- "first message is not a snapshot"
				return
			}
			for want := snap.Seq + 1; want <= polls; want++ {
				var tk wire.Tick
				_ = json.Unmarshal(<-sub.C(), &tk)
				if tk.Seq != want {
					errs <- "after snapshot " + itoa(int(snap.Seq)) + ": tick " + itoa(int(tk.Seq)) + ", want " + itoa(int(want))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestReaddResumesNumbering(t *testing.T) {
	f := newFixture(t, Options{})
	_ = f.m.Add(8081)
	ticks := f.join(Topic(8081))
	f.m.poll()
	f.m.poll()
	if tk := next[wire.Tick](t, ticks); tk.Seq != 1 {
		t.Fatalf("seq %d", tk.Seq)
	}
	_ = next[wire.Tick](t, ticks)
	_ = f.m.Remove(8081)
	_ = f.m.Add(8081)
	var snap wire.Snapshot
	_ = f.m.Subscribe(8081, always, func(b []byte) { _ = json.Unmarshal(b, &snap) })
	if snap.Seq != 3 || len(snap.Timeline.T) != 0 {
		t.Fatalf("re-added snapshot: seq %d rows %d", snap.Seq, len(snap.Timeline.T))
	}
	f.m.poll()
	// A gap after 2: a subscriber still joined resyncs.
	if tk := next[wire.Tick](t, ticks); tk.Seq != 4 {
		t.Fatalf("first tick after re-add: seq %d, want 4", tk.Seq)
	}
	tl, _ := f.m.Timeline(8081, 0)
	if tl.Seq0 != 4 || tl.Seq != 4 || len(tl.T) != 1 {
		t.Fatalf("timeline after re-add: %+v", tl)
	}
	tl, _ = f.m.Timeline(8081, 4)
	if tl.Seq0 != 5 || tl.Seq != 4 {
		t.Fatalf("timeline since last after re-add: %+v", tl)
	}
}

func TestHold(t *testing.T) {
	f := newFixture(t, Options{MaxPorts: 1})
	ports := f.join(PortsTopic)
	_ = f.m.Add(9090) // MaxPorts reached: holds do not count

	type seen struct {
		at          time.Time
		est, socks  int
		firstRemote string
	}
	var (
		mu  sync.Mutex
		got []seen
	)
	obs := func(at time.Time, tl *Tally, socks []sockstat.Socket) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{at, tl.Get(sockstat.Server, sockstat.Established), len(socks), socks[0].Remote.String()})
	}
	release, err := f.m.Hold(8081, "exp-1", obs)
	if err != nil {
		t.Fatal(err)
	}
	_ = next[wire.Ports](t, ports)
	p := next[wire.Ports](t, ports)
	if len(p.Ports) != 2 || p.Ports[0].Port != 8081 || p.Ports[0].Experiment != "exp-1" || p.Ports[1].Experiment != "" {
		t.Fatalf("ports with a hold: %+v", p)
	}
	if up := f.m.UserPorts(); len(up) != 1 || up[0] != 9090 {
		t.Fatalf("UserPorts with a hold = %v, want [9090] (held ports are not the user's)", up)
	}
	if err := f.m.Remove(8081); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "exp-1") {
		t.Fatalf("Remove(held) = %v", err)
	}
	if _, err := f.m.Hold(0, "x", nil); !errors.Is(err, ErrInvalidPort) {
		t.Fatalf("Hold(0) = %v", err)
	}

	f.s.set(sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established))
	f.m.poll()
	f.m.poll()
	mu.Lock()
	if len(got) != 2 || got[0].est != 1 || got[0].socks != 1 || got[0].firstRemote != "127.0.0.1:50001" || got[1].at.Before(got[0].at) {
		t.Fatalf("observed %+v", got)
	}
	mu.Unlock()

	release()
	release() // idempotent
	p = next[wire.Ports](t, ports)
	if len(p.Ports) != 1 || p.Ports[0].Port != 9090 {
		t.Fatalf("ports after release: %+v", p)
	}
	f.m.poll()
	mu.Lock()
	if len(got) != 2 {
		t.Fatalf("observer called after release: %d calls", len(got))
	}
	mu.Unlock()

	// A port the user added stays watched when the hold ends, and Remove
	// works again.
	release, _ = f.m.Hold(9090, "exp-2", nil)
	if err := f.m.Remove(9090); !errors.Is(err, ErrHeld) {
		t.Fatalf("Remove(user+held) = %v", err)
	}
	release()
	if _, err := f.m.Status(9090); err != nil {
		t.Fatalf("user port dropped with the hold: %v", err)
	}
	if err := f.m.Remove(9090); err != nil {
		t.Fatal(err)
	}

	// Adding a held port makes it the user's.
	release, _ = f.m.Hold(7000, "exp-3", nil)
	if err := f.m.Add(7000); err != nil {
		t.Fatalf("Add(held) = %v", err)
	}
	release()
	if _, err := f.m.Status(7000); err != nil {
		t.Fatalf("port added during a hold dropped with it: %v", err)
	}
	if up := f.m.UserPorts(); len(up) != 1 || up[0] != 7000 {
		t.Fatalf("UserPorts = %v, want [7000]", up)
	}

	// Two holds on one port: watched until both end.
	r1, _ := f.m.Hold(6000, "a", nil)
	r2, _ := f.m.Hold(6000, "b", nil)
	r1()
	if st, err := f.m.Status(6000); err != nil || st.Experiment != "b" {
		t.Fatalf("after first release: %+v %v", st, err)
	}
	r2()
	if _, err := f.m.Status(6000); !errors.Is(err, ErrNotWatched) {
		t.Fatalf("after both releases: %v", err)
	}
}

// TestReleaseWaitsForObserver: once release returns, the observer is not
// running and never runs again.
func TestReleaseWaitsForObserver(t *testing.T) {
	f := newFixture(t, Options{})
	entered, proceed := make(chan struct{}), make(chan struct{})
	var first sync.Once
	var calls, after sync.WaitGroup
	var released atomic.Bool
	release, _ := f.m.Hold(8081, "exp", func(time.Time, *Tally, []sockstat.Socket) {
		if released.Load() {
			t.Error("observer ran after release returned")
		}
		first.Do(func() { // the first call blocks until the test lets it go
			close(entered)
			<-proceed
		})
	})
	calls.Go(f.m.poll) // blocks inside the observer; owner: this test
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		close(proceed)
		t.Fatal("the observer was not called")
	}
	started := make(chan struct{})
	after.Go(func() { // owner: this test
		close(started)
		release()
		released.Store(true)
	})
	<-started
	// release must wait for the observer: watch it stay blocked for a while.
	// This is the one assertion of absence here; the window only bounds how
	// long a wrong release has to show itself.
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
		if released.Load() {
			close(proceed)
			t.Fatal("release returned while the observer was running")
		}
		time.Sleep(time.Millisecond) // polling, bounded by the window
	}
	close(proceed)
	calls.Wait()
	after.Wait()
	f.m.poll()
}

// TestObserverMayCallMonitor: observers run without the monitor's lock.
func TestObserverMayCallMonitor(t *testing.T) {
	f := newFixture(t, Options{})
	var st wire.PortStatus
	release, _ := f.m.Hold(8081, "exp", func(time.Time, *Tally, []sockstat.Socket) {
		st, _ = f.m.Status(8081)
	})
	defer release()
	f.m.poll()
	if st.Port != 8081 || st.At == "" {
		t.Fatalf("Status from the observer: %+v", st)
	}
}

// logs is a slog handler that keeps records, for asserting on logging.
type logs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }

func (l *logs) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

func TestSampleErrors(t *testing.T) {
	lg := &logs{}
	s := &script{}
	h := hub.New(nil)
	defer h.Close()
	m := New(s, h, Options{}, slog.New(lg))
	_ = m.Add(8081)
	ticks := h.Subscribe(100)
	h.Join(ticks, Topic(8081))

	s.fail(errors.New("netlink: permission denied"))
	for range 50 {
		m.poll()
	}
	if n := lg.count("monitor: sample failed"); n != 1 {
		t.Fatalf("50 failures within %v logged %d times, want 1", errLogEvery, n)
	}
	quiet(t, ticks) // no tick for a failed poll

	s.fail(nil)
	s.set(sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established))
	m.poll()
	if tk := next[wire.Tick](t, ticks); tk.Seq != 1 || tk.Counts.Server["ESTABLISHED"] != 1 {
		t.Fatalf("tick after recovery: %+v", tk)
	}
	if lg.count("monitor: sampling recovered") != 1 {
		t.Fatal("recovery not logged")
	}
	s.fail(errors.New("again"))
	m.poll()
	if n := lg.count("monitor: sample failed"); n != 2 {
		t.Fatalf("a new run of failures logged %d times in total, want 2", n)
	}
}

// TestRun: the loop polls at start, promptly after Add, and stops with ctx.
func TestRun(t *testing.T) {
	f := newFixture(t, Options{Interval: time.Hour}) // only start-up and Add polls happen
	f.s.set(sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.m.Run(ctx) }() // stopped by cancel below; waited on done

	ticks := f.join(Topic(8081))
	start := time.Now()
	if err := f.m.Add(8081); err != nil {
		t.Fatal(err)
	}
	tk := next[wire.Tick](t, ticks)
	if tk.Counts.Server["ESTABLISHED"] != 1 {
		t.Fatalf("tick: %+v", tk)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("first tick after Add took %v with a 1h interval", waited)
	}
	if err := f.m.Run(ctx); err == nil {
		t.Fatal("second concurrent Run accepted")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not stop")
	}
}

// TestSteadyAllocs: a poll with no changes allocates a bounded amount that
// does not depend on how many sockets the port has.
func TestSteadyAllocs(t *testing.T) {
	allocs := func(n int) float64 {
		f := newFixture(t, Options{})
		_ = f.m.Add(8081)
		_ = f.m.Add(9090)
		var socks []sockstat.Socket
		for i := range n {
			socks = append(socks, sock("127.0.0.1:8081", "127.0.0.2:"+itoa(10000+i), sockstat.Established))
			socks = append(socks, timeWait("127.0.0.3:"+itoa(10000+i), "127.0.0.1:9090", time.Minute))
		}
		f.s.set(socks...)
		f.m.poll()
		f.m.poll()
		return testing.AllocsPerRun(50, f.m.poll)
	}
	small, large := allocs(10), allocs(2000)
	t.Logf("allocations per poll of 2 ports: %v with 20 sockets, %v with 4000", small, large)
	if large > small+2 || large > 40 {
		t.Fatalf("allocations per poll grow with sockets: %v (20 sockets) vs %v (4000)", small, large)
	}
}

// BenchmarkPoll: one poll of 2 ports holding 4000 sockets, nothing changing
// (the fixture sampler's copy included).
func BenchmarkPoll(b *testing.B) {
	s := &script{}
	h := hub.New(nil)
	defer h.Close()
	m := New(s, h, Options{}, nil)
	_ = m.Add(8081)
	_ = m.Add(9090)
	var socks []sockstat.Socket
	for i := range 2000 {
		socks = append(socks, sock("127.0.0.1:8081", "127.0.0.2:"+itoa(10000+i), sockstat.Established))
		socks = append(socks, timeWait("127.0.0.3:"+itoa(10000+i), "127.0.0.1:9090", time.Minute))
	}
	s.set(socks...)
	m.poll()
	b.ReportAllocs()
	for b.Loop() {
		m.poll()
		s.mu.Lock()
		s.calls = s.calls[:0]
		s.mu.Unlock()
	}
}

// BenchmarkPollChurn: every poll replaces all 2000 connections of a port, the
// worst case for diffing and encoding. With nobody subscribed the tick is
// neither diffed nor encoded (see audience).
func BenchmarkPollChurn(b *testing.B) {
	for _, listening := range []bool{false, true} {
		name := "nobody-listening"
		if listening {
			name = "one-subscriber"
		}
		b.Run(name, func(b *testing.B) {
			s := &script{}
			h := hub.New(nil)
			defer h.Close()
			m := New(s, h, Options{}, nil)
			_ = m.Add(8081)
			if listening {
				sub := h.Subscribe(4)
				_ = m.Subscribe(8081, func() bool { h.Join(sub, Topic(8081)); return true }, func([]byte) {})
				go func() { // drains the queue; ends at h.Close
					for {
						select {
						case <-sub.C():
						case <-sub.Done():
							return
						}
					}
				}()
			}
			gens := make([][]sockstat.Socket, 2)
			for g := range gens {
				for i := range 2000 {
					gens[g] = append(gens[g], sock("127.0.0.1:8081", "127.0.0.2:"+itoa(10000+g*2000+i), sockstat.Established))
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.set(gens[i%2]...)
				m.poll()
				i++
			}
		})
	}
}

// TestSubscribeTwice: a subscriber already joined gets no second snapshot.
func TestSubscribeTwice(t *testing.T) {
	f := newFixture(t, Options{})
	_ = f.m.Add(8081)
	sub := f.hub.Subscribe(10)
	subscribe := func() error {
		return f.m.Subscribe(8081,
			func() bool { return f.hub.Reserve(sub, Topic(8081)) },
			func(snap []byte) { f.hub.Fill(sub, Topic(8081), snap) })
	}
	if err := subscribe(); err != nil {
		t.Fatal(err)
	}
	if err := subscribe(); err != nil {
		t.Fatal(err)
	}
	if snap := next[wire.Snapshot](t, sub); snap.Type != wire.TypeSnapshot {
		t.Fatalf("first message %+v", snap)
	}
	quiet(t, sub)
}

// TestSnapshotEncodedOutsideLock: the snapshot is rendered and handed over
// without the monitor's lock (the poll loop never waits for it), so fill may
// call the Monitor. With the lock held this test would deadlock.
func TestSnapshotEncodedOutsideLock(t *testing.T) {
	f := newFixture(t, Options{})
	_ = f.m.Add(8081)
	done := make(chan error, 1)
	go func() { // owner: this test; it ends by itself or the test fails at the deadline
		done <- f.m.Subscribe(8081, always, func([]byte) { _ = f.m.Ports() })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Subscribe held the monitor's lock while handing over the snapshot")
	}
}

// TestOnPoll: the hook hears every sample, its error included, and nothing
// while no port is watched (no sample is taken).
func TestOnPoll(t *testing.T) {
	type call struct {
		took time.Duration
		err  error
	}
	var calls []call // appended on this goroutine: m.poll runs here
	s := &script{}
	m := New(s, hub.New(nil), Options{OnPoll: func(took time.Duration, err error) { calls = append(calls, call{took, err}) }}, nil)
	m.poll()
	if len(calls) != 0 {
		t.Fatalf("%d calls with no port watched", len(calls))
	}
	_ = m.Add(8081)
	m.poll()
	failed := errors.New("netlink: permission denied")
	s.fail(failed)
	m.poll()
	if len(calls) != 2 || calls[0].err != nil || !errors.Is(calls[1].err, failed) {
		t.Fatalf("calls %+v, want one success then the sample's error", calls)
	}
	for _, c := range calls {
		if c.took < 0 {
			t.Fatalf("negative sample time %v", c.took)
		}
	}
}

// TestSnapshotSharedUntilNextPoll: subscribers joining between two polls
// share one encoded snapshot; after a poll the next one is encoded anew.
func TestSnapshotSharedUntilNextPoll(t *testing.T) {
	f := newFixture(t, Options{})
	_ = f.m.Add(8081)
	f.s.set(sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established))
	f.m.poll()
	var got [][]byte
	take := func(b []byte) { got = append(got, b) }
	for range 3 {
		if err := f.m.Subscribe(8081, always, take); err != nil {
			t.Fatal(err)
		}
	}
	if &got[0][0] != &got[1][0] || &got[1][0] != &got[2][0] {
		t.Fatal("subscribers between two polls got separate encodings")
	}
	f.m.poll()
	_ = f.m.Subscribe(8081, always, take)
	var a, b wire.Snapshot
	_ = json.Unmarshal(got[0], &a)
	_ = json.Unmarshal(got[3], &b)
	if &got[3][0] == &got[0][0] || b.Seq != a.Seq+1 {
		t.Fatalf("after a poll: same bytes %v, seq %d after %d", &got[3][0] == &got[0][0], b.Seq, a.Seq)
	}
	release, _ := f.m.Hold(8081, "exp", nil)
	defer release()
	_ = f.m.Subscribe(8081, always, take)
	var c wire.Snapshot
	_ = json.Unmarshal(got[4], &c)
	if c.Experiment != "exp" {
		t.Fatalf("snapshot after a hold names experiment %q", c.Experiment)
	}
}

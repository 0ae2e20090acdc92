package tcpevents

import (
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
)

// filterConns is how many connections each phase of TestFilter runs per port.
const filterConns = 4

// complete reports whether both sockets of c have their whole client-first
// lifecycle in evs.
func complete(evs []Event, c *conn) bool {
	return slices.Equal(steps(evs, c.cl, c.sv), join(openClient, closesFirst)) &&
		slices.Equal(steps(evs, c.sv, c.cl), join(openServer, closedByPeer))
}

// churn runs n lifecycles on each listener in parallel and returns them per
// listener.
func churn(t *testing.T, n int, lns ...net.Listener) [][]*conn {
	t.Helper()
	out := make([][]*conn, len(lns))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, ln := range lns {
		wg.Add(1)
		go func() { // one per listener; churn waits for all
			defer wg.Done()
			for range n {
				c := lifecycle(t, ln)
				mu.Lock()
				out[i] = append(out[i], c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// TestFilter: only watched ports reach user space; unwatching a port stops
// its events and watching it again brings them back. A socket matches by
// its local or its remote port, so one watched server port sees both ends.
func TestFilter(t *testing.T) {
	s := sharedSource(t)
	a, b, c := listen(t, "127.0.0.1:0"), listen(t, "127.0.0.1:0"), listen(t, "127.0.0.1:0")
	pa, pb, pc := portOf(a), portOf(b), portOf(c)
	col := collect(t, s)

	// Phase 1: A watched; B, unwatched, churns at the same time.
	if err := s.SetPorts([]uint16{pa, pa, 0}); err != nil {
		t.Fatal(err)
	}
	if got := s.Ports(); !slices.Equal(got, []uint16{pa}) {
		t.Fatalf("Ports() = %v, want [%d] (duplicates and 0 ignored)", got, pa)
	}
	p1 := churn(t, filterConns, a, b)
	col.waitFor(t, "phase 1 lifecycles on the watched port", func(evs []Event) bool {
		for _, cn := range p1[0] {
			if !complete(evs, cn) {
				return false
			}
		}
		return true
	})

	// Phase 2: A unwatched, C watched; A churns, then C. C's events prove
	// the probe still runs while A's stay filtered out.
	if err := s.SetPorts([]uint16{pc}); err != nil {
		t.Fatal(err)
	}
	unwatched := churn(t, filterConns, a)[0]
	p2 := churn(t, filterConns, c)[0]
	col.waitFor(t, "phase 2 lifecycles on C", func(evs []Event) bool {
		for _, cn := range p2 {
			if !complete(evs, cn) {
				return false
			}
		}
		return true
	})

	// Phase 3: A watched again, next to C.
	if err := s.SetPorts([]uint16{pc, pa}); err != nil {
		t.Fatal(err)
	}
	if got := s.Ports(); !slices.Equal(got, slices.Sorted(slices.Values([]uint16{pa, pc}))) {
		t.Fatalf("Ports() = %v, want %d and %d", got, pa, pc)
	}
	p3 := churn(t, filterConns, a)[0]
	col.waitFor(t, "phase 3 lifecycles on the re-watched port", func(evs []Event) bool {
		for _, cn := range p3 {
			if !complete(evs, cn) {
				return false
			}
		}
		return true
	})

	// Every event the kernel matched is in hand now (none lost); B's and
	// phase 2 A's sockets finished long before: none of theirs may be there.
	st := col.drain(t)
	if st.Lost != 0 || st.Malformed != 0 {
		t.Errorf("stats %+v: want nothing lost or malformed", st)
	}
	excluded := map[netip.AddrPort]bool{}
	for _, cn := range unwatched {
		excluded[cn.cl] = true
	}
	for _, e := range col.events() {
		if involves(&e, pb) {
			t.Errorf("event on unwatched port %d: %s", pb, describe(&e))
		}
		if excluded[e.Local] || excluded[e.Remote] {
			t.Errorf("event of a connection made while port %d was unwatched: %s", pa, describe(&e))
		}
	}
}

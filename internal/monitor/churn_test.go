package monitor

import (
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// churnEvery paces churn: about 500 connections a second, enough for every
// poll to see sockets open, change state and go, without filling the host
// with TIME_WAIT (which would slow the gopsutil sampler's polls).
const churnEvery = 2 * time.Millisecond

// churn dials port and closes each connection at once, over and over, until
// ctx is done. The returned wait joins the goroutine (its owner is the caller).
func churn(ctx context.Context, port uint16) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		addr := net.JoinHostPort("127.0.0.1", itoa(int(port)))
		tick := time.NewTicker(churnEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if c, err := net.Dial("tcp", addr); err == nil {
				_ = c.Close()
			}
		}
	})
	return wg.Wait
}

// ticksUntil reads sub's messages until a tick of port with at least one
// change arrives, or fails the test at the deadline.
func ticksUntil(t *testing.T, sub *hub.Sub, port uint16) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case msg := <-sub.C():
			var tk wire.Tick
			if err := json.Unmarshal(msg, &tk); err != nil {
				t.Fatal(err)
			}
			if tk.Type == wire.TypeTick && tk.Port == port && len(tk.Changes) > 0 {
				return
			}
		case <-sub.Done():
			t.Fatalf("subscriber dropped: %s", sub.Reason())
		case <-deadline:
			t.Fatalf("no tick with changes on port %d", port)
		}
	}
}

// pollsPass waits until port's timeline has grown by n rows: the poll loop
// went on polling (a panic on the poll goroutine kills the test binary).
func pollsPass(t *testing.T, m *Monitor, port uint16, n uint64) {
	t.Helper()
	tl, err := m.Timeline(port, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := tl.Seq + n
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		tl, err := m.Timeline(port, want-1)
		if err != nil {
			t.Fatal(err)
		}
		if tl.Seq >= want {
			return
		}
		time.Sleep(m.Interval() / 2) // polling a condition, bounded by deadline
	}
	t.Fatalf("port %d: fewer than %d polls within %s", port, n, waitTimeout)
}

// TestChurnSubscribeLifecycle is the regression test of the crash in issue
// #6: a port with connection churn, a subscriber that leaves (unsubscribe,
// disconnect, switch to another port), and polls that go on after it left.
// Before the fix the first unlistened poll after a tick with changes walked
// a cleared change list and dereferenced nil sockets.
//
// The sampler is the default one (netlink on Linux): the crash was in the
// monitor, whatever the sampler, and the portable path slows down with the
// TIME_WAIT that the rest of the suite leaves on the host.
func TestChurnSubscribeLifecycle(t *testing.T) {
	s := realSampler(t, sockstat.ModeAuto)
	busy, quietSrv := newServer(t), newServer(t)
	h := hub.New(nil)
	t.Cleanup(h.Close)
	m := New(s, h, Options{Interval: MinInterval}, nil)
	for _, p := range []uint16{busy.port, quietSrv.port} {
		if err := m.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = m.Run(ctx) }) // stopped by cancel, joined below
	stopChurn := churn(ctx, busy.port)
	t.Cleanup(func() { cancel(); stopChurn(); wg.Wait() })

	subscribe := func(sub *hub.Sub, port uint16) {
		t.Helper()
		err := m.Subscribe(port,
			func() bool { return h.Reserve(sub, Topic(port)) },
			func(snap []byte) { h.Fill(sub, Topic(port), snap) })
		if err != nil {
			t.Fatal(err)
		}
	}

	// Unsubscribe (leave the topic), then let polls run with nobody listening.
	sub := h.Subscribe(4096)
	subscribe(sub, busy.port)
	ticksUntil(t, sub, busy.port)
	h.Leave(sub, Topic(busy.port))
	pollsPass(t, m, busy.port, 5)

	// Disconnect (the whole subscriber goes) right after a tick with changes.
	subscribe(sub, busy.port)
	ticksUntil(t, sub, busy.port)
	h.Unsubscribe(sub)
	pollsPass(t, m, busy.port, 5)

	// Switch between the churning port and a quiet one, several times.
	sub = h.Subscribe(4096)
	for range 5 {
		subscribe(sub, busy.port)
		ticksUntil(t, sub, busy.port)
		h.Leave(sub, Topic(busy.port))
		subscribe(sub, quietSrv.port)
		pollsPass(t, m, busy.port, 2)
		h.Leave(sub, Topic(quietSrv.port))
	}
	h.Unsubscribe(sub)
	pollsPass(t, m, busy.port, 5)

	// Still serving: a new subscriber gets a snapshot and live ticks.
	sub = h.Subscribe(4096)
	subscribe(sub, busy.port)
	ticksUntil(t, sub, busy.port)
	h.Unsubscribe(sub)
}

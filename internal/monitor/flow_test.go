package monitor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/flow"
	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/sockstat"
)

// TestFlowFromPolls: without kernel transitions, the port's flow counts
// closes from the TIME_WAIT sockets polls find, on the side that holds them
// (each lasts 60 s: no poll can miss one), whether or not anyone listens.
func TestFlowFromPolls(t *testing.T) {
	s := realSampler(t, sockstat.ModeAuto)
	srv := newServer(t)
	m := New(s, hub.New(nil), Options{Interval: MinInterval, PortRange: 28232}, nil)
	if err := m.Add(srv.port); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = m.Run(ctx) }) // stopped by cancel, joined below
	defer func() { cancel(); wg.Wait() }()
	pollsPass(t, m, srv.port, 2) // the baseline poll is behind us

	const serverFirst, clientFirst = 5, 3
	for i := range serverFirst + clientFirst {
		c := dial(t, srv.port)
		a := srv.accepted(t, c)
		if i < serverFirst {
			closeFirst(t, a, c)
		} else {
			closeFirst(t, c, a)
		}
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		st, err := m.Status(srv.port)
		if err != nil {
			t.Fatal(err)
		}
		f := st.Flow
		if f == nil || f.Source != flow.SourcePolls || !f.LowerBound || f.Missing == "" {
			t.Fatalf("flow %+v: want polls, lower bounds, what is missing", f)
		}
		tot := f.Total
		if tot.ClosedFirst.Server == serverFirst && tot.ClosedFirst.Client == clientFirst &&
			tot.TimeWait.Server == serverFirst && tot.TimeWait.Client == clientFirst {
			// Openings are seen only when a connection outlives a poll.
			if tot.Opened > serverFirst+clientFirst || tot.ClosedFirst.Simultaneous != 0 || f.LifetimeMs.P50 != nil {
				t.Fatalf("flow total %+v lifetime %+v", tot, f.LifetimeMs)
			}
			// Each side opens at most one socket per connection, and a
			// connection counts as opened only with one of its sockets.
			n := serverFirst + clientFirst
			if tot.OpenedBy.Server > n || tot.OpenedBy.Client > n || tot.Opened > tot.OpenedBy.Server+tot.OpenedBy.Client {
				t.Fatalf("opened %d, by side %+v (of %d connections)", tot.Opened, tot.OpenedBy, n)
			}
			if f.Forecast.TimeWaitSteady.Server <= 0 || f.Last60s.ClosedFirst.Server != serverFirst {
				t.Fatalf("last 60 s %+v forecast %+v", f.Last60s, f.Forecast)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("flow total %+v, want %d closed first by the server and %d by the client", tot, serverFirst, clientFirst)
		}
		time.Sleep(MinInterval) // polling a condition, bounded by deadline
	}
}

package monitor

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/flow"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// scriptEvents is an Events fixture: the test pushes transitions, as the
// kernel source would deliver them (the real source is tested in
// internal/tcpevents and end to end as root).
type scriptEvents struct {
	c    chan flow.Transition
	fail chan error

	mu   sync.Mutex
	sets [][]uint16
}

func newScriptEvents() *scriptEvents {
	return &scriptEvents{c: make(chan flow.Transition, 100), fail: make(chan error, 1)}
}

func (s *scriptEvents) SetPorts(ports []uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets = append(s.sets, slices.Clone(ports))
	return nil
}

func (s *scriptEvents) lastSet() []uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sets) == 0 {
		return nil
	}
	return s.sets[len(s.sets)-1]
}

func (s *scriptEvents) Run(ctx context.Context, fn func(*flow.Transition)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-s.fail:
			return err
		case t := <-s.c:
			fn(&t)
		}
	}
}

func (s *scriptEvents) Lost() uint64 { return 0 }

func TestEventsFeedFlowAndSubscribers(t *testing.T) {
	f := newFixture(t, Options{Interval: MinInterval})
	ev := newScriptEvents()
	f.m = New(f.s, f.hub, Options{Interval: MinInterval, Events: ev}, nil)
	_ = f.m.Add(8081)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = f.m.Run(ctx) }) // stopped by cancel, joined below
	defer func() { cancel(); wg.Wait() }()

	deadline := time.Now().Add(waitTimeout)
	for !slices.Equal(ev.lastSet(), []uint16{8081}) {
		if time.Now().After(deadline) {
			t.Fatalf("SetPorts got %v, want [8081]", ev.lastSet())
		}
		time.Sleep(time.Millisecond) // polling a condition, bounded by deadline
	}
	sub := f.join(Topic(8081))
	srv, cli := netip.MustParseAddrPort("127.0.0.1:8081"), netip.MustParseAddrPort("127.0.0.1:50000")
	now := time.Now()
	for _, tr := range []flow.Transition{
		{Local: cli, Remote: srv, Old: sockstat.SynSent, New: sockstat.Established, Pid: 42, Comm: "curl"},
		{Local: srv, Remote: cli, Old: sockstat.SynRecv, New: sockstat.Established},
		{Local: srv, Remote: cli, Old: sockstat.Established, New: sockstat.FinWait1, Pid: 7, Comm: "server"},
		{Local: cli, Remote: srv, Old: sockstat.Established, New: sockstat.CloseWait},
		{Local: netip.MustParseAddrPort("127.0.0.1:9999"), Remote: cli, Old: sockstat.Established, New: sockstat.FinWait1}, // not watched
	} {
		tr.At = now
		ev.c <- tr
	}
	var msg wire.Transitions
	for msg.Type != wire.TypeTransitions {
		msg = next[wire.Transitions](t, sub)
	}
	if msg.Port != 8081 || len(msg.Events) < 1 || msg.Flow == nil || msg.Flow.Source != flow.SourceEBPF {
		t.Fatalf("transitions message %+v", msg)
	}
	first := msg.Events[0]
	if first.Side != "client" || first.From != "SYN_SENT" || first.To != "ESTABLISHED" || first.PID != 42 || first.Process != "curl" {
		t.Fatalf("first event %+v", first)
	}
	for {
		st, _ := f.m.Status(8081)
		if st.Flow.Total.ClosedFirst.Server == 1 {
			if st.Flow.Total.Opened != 1 || st.Flow.LowerBound {
				t.Fatalf("flow %+v", st.Flow)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("flow %+v: the server's FIN_WAIT1 not counted", st.Flow)
		}
		time.Sleep(time.Millisecond) // polling a condition, bounded by deadline
	}

	// The source fails: flows count from polls from then on, and say so.
	ev.fail <- errors.New("ring buffer gone")
	for {
		st, _ := f.m.Status(8081)
		if st.Flow.Source == flow.SourcePolls && st.Flow.LowerBound && st.Flow.Missing != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("flow source %s after the source failed, want polls", st.Flow.Source)
		}
		time.Sleep(time.Millisecond) // polling a condition, bounded by deadline
	}
	if err := f.m.Remove(8081); err != nil {
		t.Fatal(err)
	}
}

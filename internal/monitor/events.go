package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/connlab/connlab/internal/flow"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// Events delivers the kernel's TCP transitions of the watched ports (an
// adapter over tcpevents.Source satisfies it). The monitor calls SetPorts
// from its poll goroutine and Run once, from Run.
type Events interface {
	// SetPorts makes the kernel deliver the events of exactly these ports.
	SetPorts(ports []uint16) error
	// Run calls fn for every event until ctx is done (then it returns nil)
	// or the source fails. fn must not retain t.
	Run(ctx context.Context, fn func(t *flow.Transition)) error
	// Lost is how many events the kernel dropped (its buffer was full).
	Lost() uint64
}

// events is the monitor's side of an Events source: transitions queued by
// the reader and applied, every eventFlush, by the flusher.
type events struct {
	src   Events
	ready chan struct{} // buffered (1): events were queued since the last flush

	mu      sync.Mutex // guards the fields below
	pending []flow.Transition
	spare   []flow.Transition
	dropped int  // events not queued since the last flush (queue full)
	down    bool // the source failed: flows fall back to polls

	set []uint16 // poll goroutine only: the ports last given to SetPorts
}

// queue is the reader's callback: it copies t for the flusher.
func (e *events) queue(t *flow.Transition) {
	e.mu.Lock()
	first := len(e.pending) == 0 && e.dropped == 0
	if len(e.pending) < maxPendingEvents {
		e.pending = append(e.pending, *t)
	} else {
		e.dropped++
	}
	e.mu.Unlock()
	if first {
		select { // wake the flusher; it is already awake if the signal is pending
		case e.ready <- struct{}{}:
		default:
		}
	}
}

// take swaps out the queued events.
func (e *events) take() ([]flow.Transition, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	batch, dropped := e.pending, e.dropped
	e.pending, e.spare, e.dropped = e.spare[:0], batch, 0
	return batch, dropped
}

// up reports whether the source delivers.
func (e *events) up() bool {
	if e == nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return !e.down
}

// flowSource is the source a new port's flow counts from.
func (m *Monitor) flowSource() string {
	if m.ev.up() {
		return flow.SourceEBPF
	}
	return flow.SourcePolls
}

// runEvents reads and applies kernel events until ctx is done; Run owns the
// two goroutines it starts and waits for them.
func (m *Monitor) runEvents(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { // the reader; stopped by ctx
		err := m.ev.src.Run(ctx, m.ev.queue)
		if err == nil || errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return
		}
		m.log.Error("monitor: kernel transitions stopped; counting from polls", "err", err)
		m.eventsFailed()
	})
	wg.Go(func() { // the flusher; stopped by ctx
		// It sleeps until events arrive, then lets eventFlush gather more
		// before applying them: an idle port costs no wake-ups.
		t := time.NewTimer(eventFlush)
		t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-m.ev.ready:
			}
			t.Reset(eventFlush)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			m.applyEvents()
		}
	})
	wg.Wait()
}

// eventsFailed switches every port to counting from polls, from now on.
func (m *Monitor) eventsFailed() {
	m.ev.mu.Lock()
	m.ev.down = true
	m.ev.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for _, p := range m.ports {
		p.flow = flow.New(p.num, flow.SourcePolls, now)
	}
}

// setEventPorts gives the source the watched set when it changed; called
// by the poll goroutine with the ports of this poll.
func (m *Monitor) setEventPorts(nums []uint16) {
	if !m.ev.up() || slices.Equal(nums, m.ev.set) {
		return
	}
	if err := m.ev.src.SetPorts(nums); err != nil {
		m.log.Error("monitor: set the ports of kernel transitions", "err", err)
		return
	}
	m.ev.set = append(m.ev.set[:0], nums...)
}

// applyEvents folds the queued transitions into their ports' flows and
// tells the ports' subscribers, one message per port.
func (m *Monitor) applyEvents() {
	batch, dropped := m.ev.take()
	if len(batch) == 0 && dropped == 0 {
		return
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[*port]*wire.Transitions{}
	for i := range batch {
		t := &batch[i]
		for _, num := range [2]uint16{t.Local.Port(), t.Remote.Port()} {
			p := m.ports[num]
			if p == nil || p.flow.Source() != flow.SourceEBPF {
				continue
			}
			p.flow.Transition(t)
			if m.aud != nil && m.aud.Subscribers(p.topic) == 0 {
				break
			}
			msg := out[p]
			if msg == nil {
				msg = &wire.Transitions{Type: wire.TypeTransitions, Port: p.num, Events: []wire.TransitionEvent{}}
				out[p] = msg
			}
			if len(msg.Events) < wire.TransitionsLimit {
				msg.Events = append(msg.Events, transitionEvent(t, p.num))
			} else {
				msg.Dropped++
			}
			break // a socket between two watched ports counts for the first
		}
	}
	if dropped > 0 {
		m.log.Warn("monitor: kernel transitions dropped (queue full)", "n", dropped)
	}
	for p, msg := range out {
		msg.Flow = m.flowOf(p, now)
		b, err := json.Marshal(msg)
		if err != nil {
			m.log.Error("monitor: encode transitions", "port", p.num, "err", err)
			continue
		}
		m.pub.Publish(p.topic, b)
	}
}

// transitionEvent renders t for the browser.
func transitionEvent(t *flow.Transition, port uint16) wire.TransitionEvent {
	side := sockstat.Server
	if t.Local.Port() != port {
		side = sockstat.Client
	}
	ev := wire.TransitionEvent{
		At:     float64(t.At.UnixNano()) / 1e6,
		Side:   side.String(),
		Local:  t.Local.String(),
		Remote: t.Remote.String(),
		PID:    t.Pid,
	}
	if t.Pid != 0 {
		ev.Process = t.Comm
	}
	switch t.Reset {
	case flow.ResetSent:
		ev.Reset = "sent"
	case flow.ResetReceived:
		ev.Reset = "received"
	default:
		ev.From, ev.To = t.Old.Canonical().String(), t.New.Canonical().String()
	}
	return ev
}

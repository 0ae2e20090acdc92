package monitor

import (
	"time"

	"github.com/connlab/connlab/internal/flow"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/verdict"
	"github.com/connlab/connlab/internal/wire"
)

// Verdict is the live Watch verdict of a watched port: its flow figures and
// current TIME_WAIT counts through verdict.Watch. Error: ErrNotWatched.
func (m *Monitor) Verdict(port uint16) ([]wire.Finding, error) {
	m.mu.Lock()
	p := m.ports[port]
	if p == nil {
		m.mu.Unlock()
		return nil, errPort("verdict of", port, ErrNotWatched)
	}
	f := p.flow.Figures(time.Now(), m.ephemeral(p))
	ev := verdict.WatchEvidence{
		Port:                 port,
		Source:               f.Source,
		IntervalMs:           float64(m.interval) / float64(time.Millisecond),
		WindowSec:            f.WindowSec,
		Opened:               f.Last60s.Opened,
		ClosedServer:         f.Last60s.ClosedFirst[flow.Server],
		ClosedClient:         f.Last60s.ClosedFirst[flow.Client],
		ClosedBoth:           f.Last60s.ClosedFirst[flow.Simultaneous],
		Resets:               f.Last60s.Reset,
		PerSec:               f.PerSec,
		TotalOpened:          f.Total.Opened,
		TotalCloses:          f.Total.Closes(),
		LifetimeP50Ms:        durMs(f.LifetimeP50),
		LifetimeP99Ms:        durMs(f.LifetimeP99),
		Lifetimes:            f.Lifetimes,
		TimeWaitNowServer:    p.tally.Get(sockstat.Server, sockstat.TimeWait),
		TimeWaitNowClient:    p.tally.Get(sockstat.Client, sockstat.TimeWait),
		TimeWaitSteadyServer: f.TimeWaitSteady[sockstat.Server],
		TimeWaitSteadyClient: f.TimeWaitSteady[sockstat.Client],
		ExhaustSec:           f.ExhaustSec,
		PortRange:            m.portRange,
	}
	if f.Source == flow.SourceEBPF && m.ev != nil {
		ev.LostEvents = m.ev.src.Lost()
	}
	m.mu.Unlock()
	fs := verdict.Watch(ev)
	out := make([]wire.Finding, len(fs))
	for i, f := range fs {
		out[i] = wire.Finding{ID: f.ID, Level: f.Level, Text: f.Text, Evidence: f.Evidence, Why: f.Why, Change: f.Change, Lab: f.Lab}
	}
	return out, nil
}

func durMs(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return float64(d) / float64(time.Millisecond)
}

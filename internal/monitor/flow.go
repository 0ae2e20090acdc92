package monitor

import (
	"math"
	"net/netip"
	"time"

	"github.com/connlab/connlab/internal/flow"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// pollsMissing is what the polling source cannot see.
const pollsMissing = "connections shorter than a poll, closes by RST and lifetimes: counts from polls are lower bounds"

var flowChange = [...]flow.Change{Opened: flow.Opened, Changed: flow.Changed, Gone: flow.Gone}

// feedFlow hands a poll's changes to the port's flow, when polls are its
// source (with kernel transitions the flow is fed by them instead). m.mu
// must be held.
func (p *port) feedFlow(at time.Time) {
	if p.flow == nil || p.flow.Source() != flow.SourcePolls {
		return
	}
	for _, c := range p.changes {
		p.flow.Poll(at, flowChange[c.Kind], c.Socket)
	}
	p.flow.EndPoll(at)
}

// flowOf renders p's flow figures now; m.mu must be held.
func (m *Monitor) flowOf(p *port, now time.Time) *wire.Flow {
	if p.flow == nil {
		return nil
	}
	f := p.flow.Figures(now, m.ephemeral(p))
	out := &wire.Flow{
		Source:     f.Source,
		LowerBound: f.LowerBound,
		Since:      f.Since.UTC().Format(time.RFC3339),
		Total:      flowCounts(&f.Total),
		Last60s:    wire.FlowWindow{FlowCounts: flowCounts(&f.Last60s), PerSec: round2(f.PerSec), WindowSec: f.WindowSec},
		LifetimeMs: wire.FlowLifetime{P50: msPtr(f.LifetimeP50), P99: msPtr(f.LifetimeP99), N: f.Lifetimes},
		Forecast: wire.FlowForecast{TimeWaitSteady: wire.SideFloat{
			Server: round2(f.TimeWaitSteady[sockstat.Server]), Client: round2(f.TimeWaitSteady[sockstat.Client]),
		}},
		Untracked: f.Untracked,
	}
	if f.Source == flow.SourcePolls {
		out.Missing = pollsMissing
	} else if m.ev != nil {
		out.LostEvents = m.ev.src.Lost()
	}
	if f.ExhaustSec >= 0 {
		s := round2(f.ExhaustSec)
		out.Forecast.EphemeralExhaustSec = &s
	}
	return out
}

// ephemeral counts p's client-side sockets toward their busiest
// destination at the last poll; m.mu must be held.
func (m *Monitor) ephemeral(p *port) flow.Ephemeral {
	e := flow.Ephemeral{Range: m.portRange}
	var busiest netip.Addr
	var inUse, open map[netip.Addr]int
	for i := range p.cur.list {
		s := &p.cur.list[i]
		if sockstat.SideOf(s, p.num) != sockstat.Client {
			continue
		}
		if inUse == nil {
			inUse, open = map[netip.Addr]int{}, map[netip.Addr]int{}
		}
		a := s.Remote.Addr().Unmap()
		inUse[a]++
		if s.State.Canonical() != sockstat.TimeWait {
			open[a]++
		}
		if inUse[a] > inUse[busiest] {
			busiest = a
		}
	}
	e.InUse, e.Open = inUse[busiest], open[busiest]
	return e
}

func flowCounts(c *flow.Counts) wire.FlowCounts {
	return wire.FlowCounts{
		Opened:   c.Opened,
		OpenedBy: wire.SidePair{Server: c.OpenedBy[sockstat.Server], Client: c.OpenedBy[sockstat.Client]},
		ClosedFirst: wire.ClosedFirst{
			Server: c.ClosedFirst[flow.Server], Client: c.ClosedFirst[flow.Client], Simultaneous: c.ClosedFirst[flow.Simultaneous],
		},
		Reset:    c.Reset,
		TimeWait: wire.SidePair{Server: c.TimeWait[sockstat.Server], Client: c.TimeWait[sockstat.Client]},
	}
}

func msPtr(d time.Duration) *float64 {
	if d < 0 {
		return nil
	}
	v := round2(float64(d) / float64(time.Millisecond))
	return &v
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Connections lists the most recent connections of a watched port that
// ended, oldest first. Error: ErrNotWatched.
func (m *Monitor) Connections(port uint16) (wire.FlowConns, error) {
	m.mu.Lock()
	p := m.ports[port]
	if p == nil {
		m.mu.Unlock()
		return wire.FlowConns{}, errPort("connections of", port, ErrNotWatched)
	}
	ended, source := p.flow.Ended(), p.flow.Source()
	m.mu.Unlock()
	out := wire.FlowConns{Port: port, Source: source, Connections: make([]wire.FlowConn, 0, len(ended))}
	for i := range ended {
		c := &ended[i]
		fc := wire.FlowConn{
			Client: c.Client.String(), Server: c.Server.String(), EndedMs: msOf(c.Ended),
			ClosedFirst: c.Closer.String(), Reset: c.Reset, Here: []string{},
		}
		if !c.Opened.IsZero() {
			v := msOf(c.Opened)
			fc.OpenedMs = &v
		}
		for _, s := range []sockstat.Side{sockstat.Server, sockstat.Client} {
			if c.Here(s) {
				fc.Here = append(fc.Here, s.String())
			}
		}
		out.Connections = append(out.Connections, fc)
	}
	return out, nil
}

func msOf(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }

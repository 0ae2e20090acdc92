package flow

import (
	"math"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Ephemeral is what the ephemeral-port forecast needs from the caller.
type Ephemeral struct {
	// Range is the number of ports in ip_local_port_range (0: unknown).
	Range int
	// InUse is the client-side sockets of the port toward its busiest
	// destination right now (each holds a local port), Open those of them
	// not in TIME_WAIT.
	InUse, Open int
}

// Figures are a port's live figures at one moment.
type Figures struct {
	Source string
	// LowerBound: from polls, which miss connections shorter than a poll
	// and closes by RST; the counts are at least these.
	LowerBound bool
	Since      time.Time
	Total      Counts
	// Last60s covers WindowSec seconds: the last 60 s, or less just after
	// watching began.
	Last60s   Counts
	WindowSec float64
	// PerSec is connections opened per second over the window.
	PerSec float64
	// LifetimeP50 and LifetimeP99 of the connections that ended in the
	// window (-1 when none ended or the source cannot tell).
	LifetimeP50, LifetimeP99 time.Duration
	Lifetimes                int
	// TimeWaitSteady by sockstat.Side: the TIME_WAIT sockets this host
	// holds in steady state if closes go on at the window's rate (each
	// lasts 60 s).
	TimeWaitSteady [3]float64
	// ExhaustSec: seconds until the client side has no ephemeral port left
	// toward its busiest destination at the window's rate; -1 when that
	// rate never exhausts the range (or there is no client side).
	ExhaustSec float64
	// Untracked: connections beyond the follow limit (counted as opened,
	// their closes unseen).
	Untracked int
}

// Figures renders the port's figures at now.
func (p *Port) Figures(now time.Time, eph Ephemeral) Figures {
	win, life := p.counts.win.sum(now)
	span := min(now.Sub(p.since), Window).Seconds()
	f := Figures{
		Source:      p.source,
		LowerBound:  p.source != SourceEBPF,
		Since:       p.since,
		Total:       p.counts.total,
		Last60s:     win,
		WindowSec:   math.Round(span*10) / 10,
		LifetimeP50: -1,
		LifetimeP99: -1,
		ExhaustSec:  -1,
		Untracked:   p.untracked,
	}
	if span <= 0 {
		return f
	}
	f.PerSec = float64(win.Opened) / span
	if p.source == SourceEBPF {
		f.LifetimeP50, f.LifetimeP99, f.Lifetimes = life.quantile(0.5), life.quantile(0.99), int(life.n)
	}
	for _, s := range []sockstat.Side{sockstat.Server, sockstat.Client} {
		f.TimeWaitSteady[s] = float64(win.TimeWait[s]) / span * timeWaitLen.Seconds()
	}
	f.ExhaustSec = exhaust(float64(win.TimeWait[sockstat.Client])/span, eph)
	return f
}

// exhaust is the time until the client side runs out of ephemeral ports
// toward one destination, when client-side sockets enter TIME_WAIT at rate
// per second and each holds its port 60 s. In steady state the destination
// holds the open connections plus rate x 60 s in TIME_WAIT: -1 when that
// fits in the range; else the ports left divided by the rate.
func exhaust(rate float64, e Ephemeral) float64 {
	if e.Range <= 0 || rate <= 0 {
		return -1
	}
	if float64(e.Open)+rate*timeWaitLen.Seconds() < float64(e.Range) {
		return -1
	}
	return math.Max(0, float64(e.Range-e.InUse)/rate)
}

package flow

import (
	"net/netip"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Port follows the connections of one watched port.
type Port struct {
	num       uint16
	source    string
	since     time.Time
	conns     map[key]*conn
	counts    counter
	untracked int
	lastSweep time.Time
	ended     recent
	done      *ring // the most recent connections that ended, for display

	polls int // polls ended (poll path): the first one is the baseline
}

// New follows port num from now on, fed by source (SourceEBPF or
// SourcePolls).
func New(num uint16, source string, now time.Time) *Port {
	return &Port{num: num, source: source, since: now, conns: make(map[key]*conn), lastSweep: now, ended: newRecent(), done: newRing(keepDone)}
}

// Num is the port followed.
func (p *Port) Num() uint16 { return p.num }

// Source is the source feeding the figures.
func (p *Port) Source() string { return p.source }

// sideOf classifies a socket of this host against the port, and the
// connection's key. ok is false when the socket is not the port's or its
// 4-tuple is not complete yet.
func (p *Port) sideOf(local, remote netip.AddrPort) (sockstat.Side, key, bool) {
	switch {
	case local.Port() == p.num:
		return sockstat.Server, key{client: unmap(remote), server: unmap(local)}, remote.Port() != 0
	case remote.Port() == p.num:
		return sockstat.Client, key{client: unmap(local), server: unmap(remote)}, local.Port() != 0
	}
	return sockstat.SideNone, key{}, false
}

// Transition applies one kernel event (SourceEBPF).
func (p *Port) Transition(t *Transition) {
	side, k, ok := p.sideOf(t.Local, t.Remote)
	if !ok {
		return
	}
	c := p.conns[k]
	late := false
	if c == nil {
		c = p.ended.get(k, t.At) // a late event of a connection that just ended
		late = c != nil
	}
	if t.Reset != NoReset {
		// Only for a connection followed: an RST answering a segment of no
		// connection (a refused dial, a stray) opened nothing and closed
		// nothing.
		if c != nil {
			p.sawReset(c, side, t)
		}
		return
	}
	switch {
	case t.New == sockstat.Established && (t.Old == sockstat.SynSent || t.Old == sockstat.SynRecv || t.Old == sockstat.NewSynRecv):
		if c == nil || late { // late: a new connection on the same 4-tuple
			c = p.follow(k, t.At, true)
		}
		p.counts.openedBy(t.At, side)
		c.live |= bit(side)
		c.seen |= bit(side)
		c.last = t.At
	case t.Old == sockstat.Established && t.New == sockstat.FinWait1:
		c = p.ensure(c, k, side, t.At)
		c.active |= bit(side)
		switch {
		case c.closer == None:
			p.decide(c, closerOf(side), t.At)
		case c.active == bit(sockstat.Server)|bit(sockstat.Client):
			// Both ends closed actively: their FINs crossed (loopback).
			p.decide(c, Simultaneous, t.At)
		}
	case t.Old == sockstat.Established && t.New == sockstat.CloseWait:
		c = p.ensure(c, k, side, t.At)
		if c.closer == None {
			p.decide(c, closerOf(other(side)), t.At)
		}
	case t.Old == sockstat.FinWait1 && t.New == sockstat.Closing:
		// Our FIN crossed the peer's: a simultaneous close.
		c = p.ensure(c, k, side, t.At)
		p.decide(c, Simultaneous, t.At)
	case t.New == sockstat.Close:
		if c == nil {
			return // not followed (opened before watching, or dropped)
		}
		c.last = t.At
		switch t.Old {
		case sockstat.FinWait2, sockstat.Closing:
			// Replaced by a mini-socket that holds TIME_WAIT (from
			// FIN_WAIT2: once the peer's FIN arrives, which a peer that
			// never closes does not send), unless reset first.
			if !c.reset {
				p.counts.timeWait(t.At, side)
			}
		case sockstat.Established, sockstat.CloseWait, sockstat.FinWait1, sockstat.SynRecv:
			// Torn down without finishing the FIN handshake: an abort
			// (an RST sent or received).
			p.markReset(c, t.At)
		}
		c.live &^= bit(side)
		if c.live == 0 {
			p.end(k, c, t.At)
		}
	}
	p.sweep(t.At)
}

// ensure returns c, following the connection if it was not yet (it opened
// before watching began: its opening was not seen).
func (p *Port) ensure(c *conn, k key, side sockstat.Side, at time.Time) *conn {
	if c == nil {
		c = p.follow(k, at, false)
	}
	c.live |= bit(side)
	c.seen |= bit(side)
	c.last = at
	return c
}

// follow starts following k; opened says its opening was seen now.
func (p *Port) follow(k key, at time.Time, opened bool) *conn {
	if opened {
		p.counts.opened(at)
	}
	c := &conn{last: at}
	if opened {
		c.opened = at
	}
	if len(p.conns) >= maxConns {
		p.untracked++
		return c // counted, not kept
	}
	p.conns[k] = c
	return c
}

// decide records who closed first; a change from one end to simultaneous
// moves the connection from one count to the other.
func (p *Port) decide(c *conn, by Closer, at time.Time) {
	if c.closer == by {
		return
	}
	if c.closer != None {
		p.counts.closed(c.counted, c.closer, -1)
	} else {
		c.counted = at
	}
	c.closer = by
	p.counts.closed(c.counted, by, 1)
}

// sawReset applies a reset event: an RST before any FIN makes its sender
// the first closer.
func (p *Port) sawReset(c *conn, side sockstat.Side, t *Transition) {
	c.last = t.At
	if c.closer == None {
		sender := side
		if t.Reset == ResetReceived {
			sender = other(side)
		}
		p.decide(c, closerOf(sender), t.At)
	}
	p.markReset(c, t.At)
}

func (p *Port) markReset(c *conn, at time.Time) {
	if !c.reset {
		c.reset = true
		p.counts.reset(at)
	}
}

// end stops following a connection whose sockets here are all closed; it
// stays at hand a moment for the events that come after (an RST's sender
// learns it left after its peer has closed).
func (p *Port) end(k key, c *conn, at time.Time) {
	if !c.opened.IsZero() {
		p.counts.lifetime(at, at.Sub(c.opened))
	}
	p.done.add(Conn{Client: k.client, Server: k.server, Opened: c.opened, Ended: at, Closer: c.closer, Reset: c.reset, Local: c.seen})
	if p.conns[k] == c {
		delete(p.conns, k)
		p.ended.add(k, c, at)
	}
}

// sweep forgets, at most once a minute, connections silent for staleAfter.
func (p *Port) sweep(now time.Time) {
	if now.Sub(p.lastSweep) < time.Minute {
		return
	}
	p.lastSweep = now
	for k, c := range p.conns {
		if now.Sub(c.last) > staleAfter && c.closer != None {
			delete(p.conns, k)
		}
	}
}

// Followed is the number of connections followed now.
func (p *Port) Followed() int { return len(p.conns) }

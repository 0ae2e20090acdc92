package flow

import (
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Change is what a poll found different for one socket (SourcePolls).
type Change uint8

// Changes between two polls.
const (
	Opened  Change = iota + 1 // a 4-tuple not seen at the previous poll
	Changed                   // same 4-tuple, another state
	Gone                      // no longer reported
)

// Poll applies one socket's change between two polls (SourcePolls). The
// first poll's changes (everything is new) are the baseline and count
// nothing: call EndPoll after each poll's changes.
func (p *Port) Poll(at time.Time, ch Change, s *sockstat.Socket) {
	if p.polls == 0 {
		return
	}
	side, k, ok := p.sideOf(s.Local, s.Remote)
	if !ok || s.State == sockstat.Listen {
		return
	}
	c := p.conns[k]
	if ch == Gone {
		if c != nil {
			c.live &^= bit(side)
			if c.live == 0 {
				if !c.listed {
					p.done.add(Conn{Client: k.client, Server: k.server, Opened: c.opened, Ended: at, Closer: c.closer, Local: c.seen})
				}
				delete(p.conns, k)
			}
		}
		return
	}
	// A new 4-tuple opened since the previous poll, unless it is already
	// in TIME_WAIT (its opening was not seen).
	opened := ch == Opened && s.State != sockstat.TimeWait
	if c == nil {
		c = p.follow(k, at, opened)
	}
	if opened {
		p.counts.openedBy(at, side)
	}
	c.live |= bit(side)
	c.seen |= bit(side)
	c.last = at
	if s.State.Canonical() != sockstat.TimeWait {
		return
	}
	// Newly in TIME_WAIT: this side closed first, or both did.
	p.counts.timeWait(at, side)
	switch {
	case c.closer == None:
		p.decide(c, closerOf(side), at)
	case c.closer == closerOf(other(side)):
		p.decide(c, Simultaneous, at)
	}
	// Closed: listed now (its TIME_WAIT lasts a minute more). Both ends
	// in TIME_WAIT in the same poll make one entry.
	if !c.listed {
		c.listed = true
		p.done.add(Conn{Client: k.client, Server: k.server, Opened: c.opened, Ended: at, Closer: c.closer, Local: c.seen})
	} else if c.closer == Simultaneous {
		p.done.setLast(k, Simultaneous)
	}
}

// EndPoll ends one poll's changes.
func (p *Port) EndPoll(at time.Time) {
	p.polls++
	p.sweep(at)
}

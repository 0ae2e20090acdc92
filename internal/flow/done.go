package flow

import (
	"net/netip"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Conn is one connection that ended, as the flow saw it.
type Conn struct {
	Client, Server netip.AddrPort
	// Opened is zero when the opening was not seen (it opened before
	// watching began, or between two polls).
	Opened, Ended time.Time
	Closer        Closer
	Reset         bool
	// Local has a bit (1 << sockstat.Side) per end that is a socket of
	// this host.
	Local uint8
}

// Here reports whether the connection's side s is a socket of this host.
func (c *Conn) Here(s sockstat.Side) bool { return c.Local&bit(s) != 0 }

// ring keeps the last n ended connections.
type ring struct {
	buf  []Conn
	next int
	full bool
}

func newRing(n int) *ring { return &ring{buf: make([]Conn, n)} }

func (r *ring) add(c Conn) {
	r.buf[r.next] = c
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// setLast updates the closer of k's entry when it is the last one added
// (polls: the other end's TIME_WAIT seen a poll later).
func (r *ring) setLast(k key, by Closer) {
	i := (r.next - 1 + len(r.buf)) % len(r.buf)
	if e := &r.buf[i]; e.Client == k.client && e.Server == k.server {
		e.Closer = by
	}
}

// Ended lists the most recent connections that ended (at most 200),
// oldest first.
func (p *Port) Ended() []Conn {
	r := p.done
	if !r.full {
		return append([]Conn(nil), r.buf[:r.next]...)
	}
	out := make([]Conn, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

package flow

import (
	"math/bits"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Counts is what a span of time adds up to.
type Counts struct {
	// Opened: connections seen opening (a connection with both ends on
	// this host counts once).
	Opened int
	// OpenedBy by sockstat.Side: this host's sockets of that side seen
	// opening (a connection with both ends here counts once on each side).
	OpenedBy [3]int
	// ClosedFirst by Closer (index None unused).
	ClosedFirst [4]int
	// Reset: connections that ended with an RST (sent or received here).
	Reset int
	// TimeWait by sockstat.Side: this host's sockets that entered TIME_WAIT.
	TimeWait [3]int
}

func (c *Counts) add(o *Counts) {
	c.Opened += o.Opened
	c.Reset += o.Reset
	for i := range c.ClosedFirst {
		c.ClosedFirst[i] += o.ClosedFirst[i]
	}
	for i := range c.TimeWait {
		c.TimeWait[i] += o.TimeWait[i]
		c.OpenedBy[i] += o.OpenedBy[i]
	}
}

// Closes is the number of connections whose first closer is known.
func (c *Counts) Closes() int {
	return c.ClosedFirst[Server] + c.ClosedFirst[Client] + c.ClosedFirst[Simultaneous]
}

// lifeHist is a log histogram of lifetimes: 8 buckets per power of two of
// microseconds (about 9 % wide), from 1 µs to about 4.7 hours.
type lifeHist struct {
	n      uint32
	counts [lifeBuckets]uint32
}

const (
	lifeSub     = 8
	lifeBuckets = lifeSub * 34
)

func lifeIndex(d time.Duration) int {
	us := uint64(max(d, 0) / time.Microsecond)
	if us < lifeSub {
		return int(us)
	}
	l := bits.Len64(us) // us in [2^(l-1), 2^l)
	frac := (us >> uint(l-4)) & (lifeSub - 1)
	i := (l-3)*lifeSub + int(frac)
	return min(i, lifeBuckets-1)
}

// lifeMid is a representative duration of bucket i.
func lifeMid(i int) time.Duration {
	if i < lifeSub {
		return time.Duration(i) * time.Microsecond
	}
	l := i/lifeSub + 3
	frac := uint64(i % lifeSub)
	lo := (lifeSub + frac) << uint(l-4)
	hi := (lifeSub + frac + 1) << uint(l-4)
	return time.Duration((lo+hi)/2) * time.Microsecond
}

func (h *lifeHist) add(d time.Duration) {
	h.counts[lifeIndex(d)]++
	h.n++
}

func (h *lifeHist) merge(o *lifeHist) {
	if o.n == 0 {
		return
	}
	h.n += o.n
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// quantile is the q-quantile (0 < q <= 1); -1 when empty.
func (h *lifeHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return -1
	}
	rank := uint32(q * float64(h.n))
	rank = max(rank, 1)
	var seen uint32
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return lifeMid(i)
		}
	}
	return lifeMid(lifeBuckets - 1)
}

// bucket is one second of the window.
type bucket struct {
	sec  int64 // the Unix second it holds; 0: empty
	c    Counts
	life lifeHist
}

// window is the last 60 seconds, one bucket per second.
type window struct {
	b [60]bucket
}

// at is the bucket of t's second, or nil when t is older than the window
// holds (a late correction to a second already forgotten).
func (w *window) at(t time.Time) *bucket {
	s := t.Unix()
	b := &w.b[s%int64(len(w.b))]
	switch {
	case b.sec == s:
	case b.sec < s:
		*b = bucket{sec: s}
	default:
		return nil
	}
	return b
}

// sum adds up the buckets of the last len(b) seconds up to now.
func (w *window) sum(now time.Time) (Counts, lifeHist) {
	var c Counts
	var h lifeHist
	from := now.Unix() - int64(len(w.b))
	for i := range w.b {
		b := &w.b[i]
		if b.sec > from && b.sec <= now.Unix() {
			c.add(&b.c)
			h.merge(&b.life)
		}
	}
	return c, h
}

// counter applies one change to the total and to the second it happened in.
type counter struct {
	total Counts
	win   window
}

func (k *counter) apply(at time.Time, f func(c *Counts)) {
	f(&k.total)
	if b := k.win.at(at); b != nil {
		f(&b.c)
	}
}

func (k *counter) opened(at time.Time) { k.apply(at, func(c *Counts) { c.Opened++ }) }
func (k *counter) openedBy(at time.Time, s sockstat.Side) {
	k.apply(at, func(c *Counts) { c.OpenedBy[s]++ })
}
func (k *counter) reset(at time.Time) { k.apply(at, func(c *Counts) { c.Reset++ }) }
func (k *counter) closed(at time.Time, by Closer, delta int) {
	k.apply(at, func(c *Counts) { c.ClosedFirst[by] += delta })
}
func (k *counter) timeWait(at time.Time, s sockstat.Side) {
	k.apply(at, func(c *Counts) { c.TimeWait[s]++ })
}
func (k *counter) lifetime(at time.Time, d time.Duration) {
	if b := k.win.at(at); b != nil {
		b.life.add(d)
	}
}

package flow

import "time"

// lateEvents is how long an ended connection still takes events: on
// loopback an RST's sender reports it after the peer has closed.
const lateEvents = time.Second

// maxRecent bounds the ended connections kept for late events.
const maxRecent = 1 << 16

// recent holds connections that ended within lateEvents, oldest first.
type recent struct {
	byKey map[key]*conn
	fifo  []endedConn
}

type endedConn struct {
	k  key
	c  *conn
	at time.Time
}

func newRecent() recent { return recent{byKey: make(map[key]*conn)} }

// add keeps c for late events, forgetting what ended before lateEvents.
func (r *recent) add(k key, c *conn, at time.Time) {
	r.prune(at)
	if len(r.fifo) >= maxRecent {
		r.drop()
	}
	r.byKey[k] = c
	r.fifo = append(r.fifo, endedConn{k, c, at})
}

// get is the connection of k that ended within lateEvents of now, or nil.
func (r *recent) get(k key, now time.Time) *conn {
	r.prune(now)
	return r.byKey[k]
}

func (r *recent) prune(now time.Time) {
	for len(r.fifo) > 0 && now.Sub(r.fifo[0].at) > lateEvents {
		r.drop()
	}
}

func (r *recent) drop() {
	e := r.fifo[0]
	if r.byKey[e.k] == e.c {
		delete(r.byKey, e.k)
	}
	r.fifo[0] = endedConn{}
	r.fifo = r.fifo[1:]
	if len(r.fifo) == 0 {
		r.fifo = r.fifo[:0:0] // let the array go once drained
	}
}

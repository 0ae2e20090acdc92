// Package connlimit caps the connections an HTTP server holds open without
// letting idle clients lock new ones out.
//
// A plain counting listener (netutil.LimitListener) blocks Accept once the
// cap is reached, so a crowd of idle keep-alive clients keeps every new
// visitor, and /healthz, waiting behind them. Listener instead tracks each
// connection's http.ConnState (install Listener.ConnState as the server's
// ConnState hook): when a new connection arrives at the cap it closes the
// connection that has waited longest without a request in flight (idle
// between requests, or new and silent) and admits the newcomer. Only when
// every connection is busy serving a request is the newcomer refused, closed
// at once. Connections a handler takes over (http.StateHijacked: websockets)
// leave that pool and are counted against their own cap; a hijack past it is
// closed.
//
// The package also reads and raises the process's open-file limit, from
// which a server sizes its caps.
package connlimit

import (
	"container/list"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// warnEvery spaces the warnings logged while the caps are hit.
const warnEvery = time.Minute

// Options are the caps of a Listener.
type Options struct {
	// MaxConns caps the connections served as HTTP (new, active or idle).
	MaxConns int
	// MaxHijacked caps the connections handlers took over (websockets).
	MaxHijacked int
	// Log receives a warning, at most once a minute, while the caps are hit.
	Log *slog.Logger
}

// Stats counts what a Listener did.
type Stats struct {
	Open     int    // HTTP connections held now (new, active or idle)
	Waiting  int    // of Open, those new or idle: no request in flight
	Hijacked int    // hijacked connections held now
	Evicted  uint64 // idle or silent connections closed to make room
	Refused  uint64 // new connections closed because every one was busy
	// HijackRefused counts hijacked connections closed past MaxHijacked.
	HijackRefused uint64
}

// Listener wraps a net.Listener with the caps. Its ConnState method must be
// the http.Server's ConnState hook. Safe for concurrent use.
type Listener struct {
	net.Listener
	opts Options

	mu        sync.Mutex
	stats     Stats
	evictable list.List // *conn, new or idle, longest waiting first
	warned    time.Time // last warning
	sinceWarn Stats     // counters at the last warning
}

// New wraps ln. MaxConns and MaxHijacked below 1 are taken as 1.
func New(ln net.Listener, opts Options) *Listener {
	opts.MaxConns = max(opts.MaxConns, 1)
	opts.MaxHijacked = max(opts.MaxHijacked, 1)
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Listener{Listener: ln, opts: opts}
}

// conn is an accepted connection. Its fields but Conn are guarded by the
// Listener's mu.
type conn struct {
	net.Conn
	l        *Listener
	hijacked bool
	elem     *list.Element // in l.evictable while new or idle
	gone     bool          // no longer counted
}

// Close closes the connection and stops counting it.
func (c *conn) Close() error {
	c.l.mu.Lock()
	c.l.forget(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// Accept returns the next connection, making room for it if the cap is
// reached; a connection that finds every slot busy is closed and Accept
// waits for the next one. When the process is out of file descriptors
// (EMFILE, ENFILE) the connection waiting longest is closed, so the retry
// the http.Server makes after its back-off can succeed.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				l.mu.Lock()
				victim := l.evictOldest()
				l.mu.Unlock()
				if victim != nil {
					_ = victim.Conn.Close()
				}
				l.warn("out of file descriptors")
			}
			return nil, err
		}
		c := &conn{Conn: nc, l: l}
		l.mu.Lock()
		victim, ok := l.admit(c)
		l.mu.Unlock()
		if victim != nil {
			// Its server goroutine sees the read fail and cleans up.
			_ = victim.Conn.Close()
		}
		if victim != nil || !ok {
			l.warn("connection cap reached")
		}
		if !ok {
			_ = nc.Close()
			continue
		}
		return c, nil
	}
}

// admit counts c in, evicting the connection waiting longest if the cap is
// reached; false when every connection is busy.
func (l *Listener) admit(c *conn) (victim *conn, ok bool) {
	if l.stats.Open >= l.opts.MaxConns {
		victim = l.evictOldest()
		if victim == nil {
			l.stats.Refused++
			return nil, false
		}
	}
	l.stats.Open++
	c.elem = l.evictable.PushBack(c) // new and silent until it sends a request
	return victim, true
}

// evictOldest stops counting the connection waiting longest and returns it
// for the caller to close outside the lock; nil if every one is busy.
func (l *Listener) evictOldest() *conn {
	front := l.evictable.Front()
	if front == nil {
		return nil
	}
	v := front.Value.(*conn)
	l.forget(v)
	l.stats.Evicted++
	return v
}

// forget stops counting c (idempotent).
func (l *Listener) forget(c *conn) {
	if c.gone {
		return
	}
	c.gone = true
	if c.elem != nil {
		l.evictable.Remove(c.elem)
		c.elem = nil
	}
	if c.hijacked {
		l.stats.Hijacked--
	} else {
		l.stats.Open--
	}
}

// ConnState is the http.Server's ConnState hook: it moves a connection
// between busy (active) and evictable (new, idle), and hijacked
// connections to their own count.
func (l *Listener) ConnState(nc net.Conn, st http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	l.mu.Lock()
	if c.gone {
		l.mu.Unlock()
		return
	}
	refuse := false
	switch st {
	case http.StateNew, http.StateIdle:
		if c.elem != nil {
			l.evictable.MoveToBack(c.elem)
		} else {
			c.elem = l.evictable.PushBack(c)
		}
	case http.StateActive:
		if c.elem != nil {
			l.evictable.Remove(c.elem)
			c.elem = nil
		}
	case http.StateHijacked:
		if c.elem != nil {
			l.evictable.Remove(c.elem)
			c.elem = nil
		}
		c.hijacked = true
		l.stats.Open--
		l.stats.Hijacked++
		if l.stats.Hijacked > l.opts.MaxHijacked {
			l.forget(c)
			l.stats.HijackRefused++
			refuse = true
		}
	case http.StateClosed:
		l.forget(c)
	}
	l.mu.Unlock()
	if refuse {
		_ = c.Conn.Close()
		l.warn("hijacked connection cap reached")
	}
}

// Stats returns the counters.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.stats
	st.Waiting = l.evictable.Len()
	return st
}

// warn logs what the caps did since the last warning, at most once per
// warnEvery.
func (l *Listener) warn(what string) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.warned) < warnEvery {
		l.mu.Unlock()
		return
	}
	l.warned = now
	st, prev := l.stats, l.sinceWarn
	l.sinceWarn = st
	l.mu.Unlock()
	l.opts.Log.Warn(what, "open", st.Open, "maxConns", l.opts.MaxConns, "hijacked", st.Hijacked, "maxHijacked", l.opts.MaxHijacked,
		"evicted", st.Evicted-prev.Evicted, "refused", st.Refused-prev.Refused, "hijackRefused", st.HijackRefused-prev.HijackRefused,
		"note", "idle connections are closed to make room; refused only when every connection is busy")
}

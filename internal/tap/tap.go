// Package tap instruments both ends of every connection of one Lab
// experiment, on loopback, from inside the process: a Listener and a Dialer
// wrap every conn they hand out, and a Tracker pairs the two ends of each
// connection by the client's port. It records, with exact times, who dialed
// and who accepted, the first error each end's reads and writes hit, and
// each end's first Close, probing the kernel's TCP state and unread bytes
// just before it (probe_linux.go): so it knows which side sent the first
// FIN, and whether the connection ended with an RST. The kernel polls add
// where TIME_WAIT went (Tracker.AttributeTimeWait). Polling alone misses
// those transitions: on loopback FIN_WAIT and CLOSE_WAIT last microseconds.
//
// It is to the Lab what net/http/httptrace is to net/http: apart from the
// client and the server it instruments, testable on a loopback pair alone.
//
// Locks: Tracker.mu guards the connection records and the aggregates; it is
// a leaf (nothing else is locked while it is held). Requests touch only
// atomics. A Conn's own state is atomics.
package tap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// saw is the first error a side's reads or writes hit.
type saw uint8

const (
	sawNone saw = iota
	sawEOF
	sawReset
	sawOther
)

var sawNames = [...]string{"", "eof", "reset", "other"}

// classify names an I/O error. ok is false for what the side did to
// itself: its own Close (net.ErrClosed) and deadlines (net/http's server
// aborts its background read with a past deadline on every request; an
// IdleTimeout shows as ConnState idle at the close instead).
func classify(err error) (s saw, ok bool) {
	switch {
	case err == io.EOF:
		return sawEOF, true
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, net.ErrClosed):
		return sawNone, false
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return sawReset, true
	}
	return sawOther, true
}

// Conn wraps one end of a connection: it reports the first error its
// reads and writes hit and its first Close (or CloseWrite), probing the
// kernel state just before it. Reads and writes pass through untouched
// unless they fail.
type Conn struct {
	net.Conn
	rec    *conn
	tr     *Tracker
	side   sockstat.Side
	raw    syscall.RawConn
	closed atomic.Bool // the first Close/CloseWrite was recorded
	sawSet atomic.Bool // the first error was recorded
}

func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.saw(err)
	}
	return n, err
}

func (c *Conn) Write(b []byte) (int, error) {
	// Looked at before the write: only a peer whose close(2) had returned
	// before these bytes left certainly never reads them. A peer still
	// inside Close may yet read them (net/http's background reader does:
	// a request racing a server restart was read, and the close was a
	// FIN on the wire), so that window counts for nothing here.
	late := c.rec.closed.Load()&sideBit(peerOf(c.side)) != 0
	n, err := c.Conn.Write(b)
	if err != nil {
		c.saw(err)
	}
	if n > 0 && late {
		// The peer's application had begun to close before these bytes
		// left: they reach a socket nobody reads, whose kernel answers
		// with an RST.
		c.tr.lateWrite(c)
	}
	return n, err
}

func (c *Conn) saw(err error) {
	if s, ok := classify(err); ok && c.sawSet.CompareAndSwap(false, true) {
		c.tr.saw(c, s)
	}
}

// Close records the close (state, unread bytes) and closes.
func (c *Conn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.tr.closing(c)
	}
	err := c.Conn.Close()
	c.rec.closed.Or(sideBit(c.side)) // after close(2): see Write
	return err
}

// CloseWrite sends a FIN (shutdown(SHUT_WR)); net/http's server uses it
// when it must close after an unread request body. It counts as the close.
func (c *Conn) CloseWrite() error {
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok {
		return c.Close()
	}
	if c.closed.CompareAndSwap(false, true) {
		c.tr.closing(c)
	}
	return cw.CloseWrite()
}

func rawConnOf(c net.Conn) syscall.RawConn {
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			return rc
		}
	}
	return nil
}

// PortOf is the port of a TCP address, 0 for any other.
func PortOf(a net.Addr) uint16 {
	if t, ok := a.(*net.TCPAddr); ok {
		return uint16(t.Port)
	}
	return 0
}

// Listener wraps the server's listener: every accepted conn is tapped.
type Listener struct {
	net.Listener
	tr *Tracker
}

// NewListener taps every conn ln accepts into tr.
func NewListener(ln net.Listener, tr *Tracker) *Listener { return &Listener{Listener: ln, tr: tr} }

// Accept accepts and taps one conn.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.tr.Accepted(c), nil
}

// Dialer is the client's only way out: it dials the experiment's server
// address and nothing else, and taps every conn it makes.
type Dialer struct {
	d        net.Dialer
	addr     string
	tr       *Tracker
	inflight atomic.Int64 // dials under way (the teardown waits for them)
}

// NewDialer dials addr only, tapping into tr, with TCP keepalive ka
// (ka.Enable false turns it off).
func NewDialer(addr string, tr *Tracker, ka net.KeepAliveConfig) *Dialer {
	d := &Dialer{addr: addr, tr: tr}
	if ka.Enable {
		d.d.KeepAliveConfig = ka
	} else {
		d.d.KeepAlive = -1
	}
	return d
}

// Inflight is the number of dials under way.
func (d *Dialer) Inflight() int64 { return d.inflight.Load() }

// DialContext dials the server; any other address is refused.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr != d.addr {
		return nil, fmt.Errorf("dial %s: refused, an experiment only dials its own server %s", addr, d.addr)
	}
	d.inflight.Add(1)
	defer d.inflight.Add(-1)
	t0 := time.Now()
	c, err := d.d.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, err
	}
	return d.tr.Dialed(c, time.Since(t0)), nil
}

// connKey carries the server's *Conn in request contexts.
type connKey struct{}

// ConnContext is the server's http.Server.ConnContext hook: it puts the
// tapped conn in every request's context (see ConnFrom).
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnFrom is the tapped conn a request arrived on, nil when none.
func ConnFrom(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// ConnState is the server's http.Server.ConnState hook.
func (t *Tracker) ConnState(c net.Conn, st http.ConnState) {
	tc, ok := c.(*Conn)
	if !ok {
		return
	}
	tc.rec.connState.Store(uint32(st) + 1)
	switch st {
	case http.StateNew:
		t.srvLive.Add(1)
	case http.StateClosed, http.StateHijacked:
		t.srvLive.Add(-1)
	}
}

// Served counts one request the server handled on c, at atNs since the
// experiment's start.
func (c *Conn) Served(atNs int64) {
	if c.rec.served(atNs) {
		c.tr.carried.Add(1)
	} else {
		c.tr.reusedN.Add(1)
	}
}

// ID is the connection's lane id.
func (c *Conn) ID() uint64 { return c.rec.id }

// ClientPort is the client's port, which pairs the two ends.
func (c *Conn) ClientPort() uint16 { return c.rec.port }

// ConnectNs is how long the dial took, in ns (0 for an accepted conn not
// dialed by the experiment's client).
func (c *Conn) ConnectNs() int64 { return c.rec.connectNs }

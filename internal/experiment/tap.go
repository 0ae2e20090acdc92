package experiment

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
)

// side is one end of a connection.
type side uint8

const (
	sideServer side = iota
	sideClient
)

func (s side) String() string {
	if s == sideServer {
		return "server"
	}
	return "client"
}

// tcpState is a Linux TCP state number (as sockstat.State numbers them).
type tcpState uint8

const (
	tcpEstablished tcpState = 1
	tcpClose       tcpState = 7
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

// tapConn wraps one end of a connection: it reports the first error its
// reads and writes hit and its first Close (or CloseWrite), probing the
// kernel state just before it. Reads and writes pass through untouched
// unless they fail.
type tapConn struct {
	net.Conn
	rec    *conn
	tr     *tracker
	side   side
	raw    syscall.RawConn
	closed atomic.Bool // the first Close/CloseWrite was recorded
	sawSet atomic.Bool // the first error was recorded
}

func (c *tapConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.saw(err)
	}
	return n, err
}

func (c *tapConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if err != nil {
		c.saw(err)
	}
	return n, err
}

func (c *tapConn) saw(err error) {
	if s, ok := classify(err); ok && c.sawSet.CompareAndSwap(false, true) {
		c.tr.saw(c, s)
	}
}

// Close records the close (state, unread bytes) and closes.
func (c *tapConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.tr.closing(c)
	}
	return c.Conn.Close()
}

// CloseWrite sends a FIN (shutdown(SHUT_WR)); net/http's server uses it
// when it must close after an unread request body. It counts as the close.
func (c *tapConn) CloseWrite() error {
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

func portOf(a net.Addr) uint16 {
	if t, ok := a.(*net.TCPAddr); ok {
		return uint16(t.Port)
	}
	return 0
}

// tapListener wraps the server's listener: every accepted conn is tapped.
type tapListener struct {
	net.Listener
	tr *tracker
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.tr.accepted(c), nil
}

// dialer is the client's only way out: it dials the experiment's server
// address and nothing else, and taps every conn it makes.
type dialer struct {
	d        net.Dialer
	addr     string
	tr       *tracker
	inflight atomic.Int64 // dials under way (the teardown waits for them)
}

func newDialer(addr string, tr *tracker, ka TCPKeepAlive) *dialer {
	d := &dialer{addr: addr, tr: tr}
	if ka.Enable {
		d.d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: ka.Idle.D(), Interval: ka.Interval.D(), Count: ka.Count}
	} else {
		d.d.KeepAlive = -1
	}
	return d
}

// DialContext dials the server; any other address is refused.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
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
	return d.tr.dialed(c, time.Since(t0)), nil
}

// connKey carries the server's *tapConn in request contexts.
type connKey struct{}

func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

func connFrom(ctx context.Context) *tapConn {
	c, _ := ctx.Value(connKey{}).(*tapConn)
	return c
}

// connState is the server's http.Server.ConnState hook.
func (t *tracker) connState(c net.Conn, st http.ConnState) {
	tc, ok := c.(*tapConn)
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

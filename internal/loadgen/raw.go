package loadgen

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/tap"
)

// The raw HTTP/1.0 client: what an old client, a load balancer health
// check or a hand-written tool does over a bare net.Conn. One connection
// per worker at a time; no pool, no retry.

// rawConn is one connection of the raw client.
type rawConn struct {
	tc        *tap.Conn
	br        *bufio.Reader
	stop      func() bool // unregisters the deadline-on-cancel hook
	idleSince time.Time
}

func (c *rawConn) close() {
	c.stop()
	_ = c.tc.Close()
}

// rawState is a worker's raw connections: the one it reuses, and those it
// left open ("read-no-close" on a connection the server will close).
type rawState struct {
	cur    *rawConn
	leaked []*rawConn
}

// closeAll closes every connection the worker still holds.
func (s *rawState) closeAll() {
	if s.cur != nil {
		s.cur.close()
		s.cur = nil
	}
	for _, c := range s.leaked {
		c.close()
	}
	s.leaked = nil
}

func (s *rawState) leak(c *rawConn) {
	if len(s.leaked) >= maxLeaked {
		s.leaked[0].close()
		s.leaked = s.leaked[1:]
	}
	s.leaked = append(s.leaked, c)
}

// rawRequest is the bytes of one HTTP/1.0 request.
func rawRequest(method, host string, keepAlive bool) []byte {
	b := []byte(method + " / HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: connlab\r\n")
	if keepAlive {
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	if method == http.MethodPost {
		b = append(b, "Content-Type: application/octet-stream\r\nContent-Length: "+strconv.Itoa(postBodyBytes)+"\r\n"...)
	}
	b = append(b, "\r\n"...)
	if method == http.MethodPost {
		b = append(b, postBody...)
	}
	return b
}

// longAgo is a deadline in the past: it fails pending I/O at once.
var longAgo = time.Unix(1, 0)

// doRaw sends one HTTP/1.0 request on the worker's connection (dialing one
// if it has none) and measures it.
func (w *worker) doRaw(ctx context.Context, seq uint64, o *outcome) {
	c := w.c
	l := &o.line
	t0 := time.Now()
	startNs := c.cfg.Tracker.SinceNs()
	l.Seq, l.AtMs, l.Worker, l.Method, l.Attempts = seq, tap.Ms(startNs), w.id, c.cfg.Method, 1
	defer func() {
		o.latency = time.Since(t0)
		l.TotalMs = float64(o.latency) / 1e6
		if o.line.Error != "" && ctx.Err() != nil {
			o.canceled, l.Error = true, "canceled by stop"
		}
	}()

	rc := w.raw.cur
	if rc != nil {
		l.Reused, l.WasIdle = true, true
		l.IdleMs = float64(time.Since(rc.idleSince)) / 1e6
	} else {
		nc, err := c.cfg.Dialer.DialContext(ctx, "tcp", c.cfg.Addr)
		if err != nil {
			l.Error = stripPorts(err.Error())
			return
		}
		tc := nc.(*tap.Conn)
		rc = &rawConn{tc: tc, br: bufio.NewReaderSize(tc, 4096)}
		rc.stop = context.AfterFunc(ctx, func() { _ = tc.SetDeadline(longAgo) })
		l.ConnectMs = tap.Ms(tc.ConnectNs())
		w.raw.cur = rc
	}
	l.Conn, l.ClientPort = rc.tc.ID(), rc.tc.ClientPort()

	drop := func() {
		rc.close()
		w.raw.cur = nil
	}
	if _, err := rc.tc.Write(c.rawReq); err != nil {
		l.Error = stripPorts("write request: " + err.Error())
		drop()
		return
	}
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		l.Error = stripPorts("read response: " + err.Error())
		drop()
		return
	}
	l.TTFBMs = float64(time.Since(t0)) / 1e6
	l.Status, l.RespClose = resp.StatusCode, resp.Close
	o.framing = framingOf(resp)
	l.Framing = framingNames[o.framing]
	fillSaw(l, resp.Header)

	keep := !resp.Close
	switch c.cfg.Client.Body {
	case experiment.BodyCloseUnread:
		o.unread = resp.ContentLength != 0
		drop()
		return
	case experiment.BodyPartialClose:
		n, _ := io.ReadFull(resp.Body, w.partial)
		o.unread = int64(n) != resp.ContentLength
		drop()
		return
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		l.Error = stripPorts("read body: " + err.Error())
		drop()
		return
	}
	rc.idleSince = time.Now()
	switch {
	case keep:
		// reuse it for the next request
	case c.cfg.Client.Body == experiment.BodyReadNoClose:
		w.raw.cur = nil
		w.raw.leak(rc) // never closed: CLOSE_WAIT on our side once the server closes
	default:
		drop()
	}
}

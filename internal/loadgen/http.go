package loadgen

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/tap"
	"github.com/connlab/connlab/internal/target"
	"github.com/connlab/connlab/internal/wire"
)

// postBody is the body of every POST.
var postBody = bytes.Repeat([]byte("p"), postBodyBytes)

// newTransport builds the client's http.Transport: only our dialer, never
// a proxy, no compression (bodies stay the size asked).
func newTransport(c *experiment.ClientSpec, d *tap.Dialer) *http.Transport {
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		DisableKeepAlives:   c.DisableKeepAlives,
		DisableCompression:  true,
		MaxIdleConnsPerHost: c.MaxIdleConnsPerHost,
		MaxConnsPerHost:     c.MaxConnsPerHost,
		IdleConnTimeout:     c.IdleConnTimeout.D(),
	}
	if c.Protocol == experiment.ProtoH2C {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		t.Protocols = &p
	}
	return t
}

// initHTTP prepares the worker's trace and base request (once).
func (w *worker) initHTTP(ctx context.Context, url string) error {
	w.trace = &httptrace.ClientTrace{GotConn: w.gotConn, GotFirstResponseByte: w.gotFirstByte}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, w.trace), w.c.cfg.Method, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "connlab")
	w.base = req
	w.partial = make([]byte, partialReadBytes)
	return nil
}

// doHTTP sends one request through the Go Transport and measures it.
func (w *worker) doHTTP(ctx context.Context, seq uint64, o *outcome) {
	c := w.c
	w.gotConns.Store(0)
	w.reused.Store(false)
	w.wasIdle.Store(false)
	w.idleNs.Store(0)
	w.conn.Store(nil)
	w.firstNs.Store(0)

	req := new(http.Request)
	*req = *w.base
	if req.Method == http.MethodPost {
		req.Body = io.NopCloser(bytes.NewReader(postBody))
		req.ContentLength = postBodyBytes
	}
	t0 := time.Now()
	startNs := c.cfg.Tracker.SinceNs()
	resp, err := c.transport.RoundTrip(req)
	l := &o.line
	l.Seq, l.AtMs, l.Worker, l.Method = seq, tap.Ms(startNs), w.id, req.Method
	if err == nil {
		w.readBody(resp, o)
		if o.line.Error != "" && ctx.Err() != nil {
			o.canceled = true
		}
	} else if ctx.Err() != nil {
		o.canceled = true
		l.Error = "canceled by stop"
	} else {
		l.Error = stripPorts(err.Error())
	}
	o.latency = time.Since(t0)
	l.TotalMs = float64(o.latency) / 1e6
	l.Attempts = int(w.gotConns.Load())
	l.Reused, l.WasIdle = w.reused.Load(), w.wasIdle.Load()
	l.IdleMs = float64(w.idleNs.Load()) / 1e6
	if f := w.firstNs.Load(); f > 0 {
		l.TTFBMs = tap.Ms(f - startNs)
	}
	if tc := w.conn.Load(); tc != nil {
		l.Conn, l.ClientPort = tc.ID(), tc.ClientPort()
		if !l.Reused {
			l.ConnectMs = tap.Ms(tc.ConnectNs())
		}
	}
}

// readBody handles the body as the spec says and records the response.
func (w *worker) readBody(resp *http.Response, o *outcome) {
	l := &o.line
	l.Status = resp.StatusCode
	l.RespClose = resp.Close
	o.framing = framingOf(resp)
	l.Framing = framingNames[o.framing]
	fillSaw(l, resp.Header)
	var err error
	switch w.c.cfg.Client.Body {
	case experiment.BodyReadClose:
		_, err = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	case experiment.BodyCloseUnread:
		_ = resp.Body.Close()
		o.unread = resp.ContentLength != 0
	case experiment.BodyReadNoClose:
		_, err = io.Copy(io.Discard, resp.Body)
	case experiment.BodyPartialClose:
		var n int
		n, err = io.ReadFull(resp.Body, w.partial)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil // the body was shorter than the part: read to EOF
		} else if err == nil && int64(n) != resp.ContentLength {
			o.unread = true
		}
		_ = resp.Body.Close()
	}
	if err != nil {
		l.Error = stripPorts("read body: " + err.Error())
	}
}

// framingOf names how the response body was delimited.
func framingOf(resp *http.Response) int {
	switch {
	case resp.ContentLength >= 0:
		return framingLength
	case resp.ProtoMajor == 2:
		return framingH2
	case len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked":
		return framingChunked
	}
	return framingEOF
}

// fillSaw copies what the server said it saw into l.
func fillSaw(l *wire.RequestLine, h http.Header) {
	if proto, conn, ok := target.ParseSaw(h); ok {
		l.Proto, l.Connection = proto, conn
	}
}

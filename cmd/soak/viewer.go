package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// wsURL is the websocket URL of a connlab served at base (http://host:port).
func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/ws" }

// dialWS opens a websocket to connlab with the Origin its page would send.
func dialWS(ctx context.Context, base string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: wsHandshake}
	conn, resp, err := d.DialContext(ctx, wsURL(base), http.Header{"Origin": {base}})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("websocket dial: %w", err)
	}
	return conn, nil
}

// request is a websocket request to connlab (wire.Request).
type request struct {
	Type       string `json:"type"`
	Port       int    `json:"port,omitempty"`
	Experiment string `json:"experiment,omitempty"`
}

func send(conn *websocket.Conn, r request) error {
	_ = conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return conn.WriteJSON(r)
}

// kind is the "type" of a message from connlab, read from its first bytes
// (json.Marshal writes the type field first) so that a 400 KB snapshot is
// not decoded for it.
func kind(msg []byte) string {
	const p = `{"type":"`
	if !bytes.HasPrefix(msg, []byte(p)) {
		return ""
	}
	rest := msg[len(p):]
	if i := bytes.IndexByte(rest, '"'); i >= 0 && i < 32 {
		return string(rest[:i])
	}
	return ""
}

// viewer is one simulated browser tab: it connects, subscribes, switches,
// follows experiments, leaves, and comes back.
type viewer struct {
	base      string
	readDelay time.Duration // per message; 0 reads promptly
	pace      float64
	ports     []int
	exps      func() []string // running experiments
	cnt       *counters
}

// Run runs sessions until ctx is done.
func (v *viewer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		v.session(ctx)
		_ = sleep(ctx, jitter(viewerReconnect, v.pace))
	}
	return nil
}

// session is one websocket connection, from dial to close.
func (v *viewer) session(ctx context.Context) {
	conn, err := dialWS(ctx, v.base)
	if err != nil {
		if ctx.Err() == nil {
			v.cnt.errors.add("viewer", err)
		}
		return
	}
	v.cnt.sessions.Add(1)
	readc := make(chan error, 1)
	// The reader ends when the connection fails or is closed (by the server,
	// or by the end of this function); this function waits for it.
	go func() { readc <- v.read(conn) }()
	defer func() {
		_ = conn.Close()
		if readc != nil {
			<-readc
		}
	}()

	ports := map[int]bool{}
	exps := map[string]bool{}
	_ = v.subscribe(conn, ports) // a tab subscribes at once
	life := time.NewTimer(jitter(viewerSession, v.pace))
	defer life.Stop()
	act := time.NewTimer(jitter(viewerAction, v.pace))
	defer act.Stop()
	for {
		select {
		case <-ctx.Done():
			v.leave(conn, readc, 0)
			readc = nil
			return
		case <-life.C:
			v.leave(conn, readc, rand.IntN(3))
			readc = nil
			return
		case err := <-readc:
			readc = nil
			v.serverClosed(err)
			return
		case <-act.C:
			if err := v.act(conn, ports, exps); err != nil {
				// A write fails once connlab has closed the connection; the
				// reader says why when it reaches the end of the backlog.
				_ = conn.SetReadDeadline(time.Now().Add(wsWriteWait))
				rerr := <-readc
				readc = nil
				if ctx.Err() == nil {
					v.serverClosed(rerr)
				}
				return
			}
			act.Reset(jitter(viewerAction, v.pace))
		}
	}
}

// act does one random thing a user does in the Watch or Lab view.
func (v *viewer) act(conn *websocket.Conn, ports map[int]bool, exps map[string]bool) error {
	switch n := rand.IntN(10); {
	case n < 3:
		return v.subscribe(conn, ports)
	case n < 5:
		return v.unsubscribe(conn, ports)
	case n < 8: // switch ports
		if err := v.unsubscribe(conn, ports); err != nil {
			return err
		}
		return v.subscribe(conn, ports)
	case n < 9:
		running := v.exps()
		if len(running) == 0 {
			return nil
		}
		id := running[rand.IntN(len(running))]
		exps[id] = true
		return send(conn, request{Type: "subscribe", Experiment: id})
	default:
		for id := range exps {
			delete(exps, id)
			return send(conn, request{Type: "unsubscribe", Experiment: id})
		}
		return nil
	}
}

func (v *viewer) subscribe(conn *websocket.Conn, ports map[int]bool) error {
	p := v.ports[rand.IntN(len(v.ports))]
	ports[p] = true
	return send(conn, request{Type: "subscribe", Port: p})
}

func (v *viewer) unsubscribe(conn *websocket.Conn, ports map[int]bool) error {
	for p := range ports {
		delete(ports, p)
		return send(conn, request{Type: "unsubscribe", Port: p})
	}
	return nil
}

// leave ends the session one of three ways: 0 a close handshake (the tab
// navigates away), 1 a plain TCP close (the tab is killed), 2 an RST. It
// waits for the reader, which readc reports.
func (v *viewer) leave(conn *websocket.Conn, readc <-chan error, how int) {
	switch how {
	case 0:
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(wsWriteWait))
		// The reader sees connlab's answering close frame, or the deadline.
		_ = conn.SetReadDeadline(time.Now().Add(wsWriteWait))
		err := <-readc
		if !websocket.IsCloseError(err, websocket.CloseNormalClosure) && !isTimeout(err) {
			// A slow reader may still be behind its backlog; that is no fault.
			if v.readDelay == 0 {
				v.cnt.errors.add("viewer close handshake", err)
			}
		}
		_ = conn.Close()
		return
	case 2:
		if tc, ok := conn.NetConn().(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
	_ = conn.Close()
	<-readc
}

// serverClosed counts a session the server ended, from the reader's error.
// A slow reader may be closed with 1013 (over its budget), or cut without a
// close frame when connlab's write to it was blocked at that moment, or
// still be behind its backlog when the reader gives up: all expected. For
// a prompt reader each is an error.
func (v *viewer) serverClosed(err error) {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code == websocket.CloseTryAgainLater:
		v.cnt.dropped.Add(1)
	case v.readDelay > 0:
		v.cnt.cut.Add(1)
		return
	}
	if v.readDelay == 0 {
		v.cnt.errors.add("prompt viewer closed by connlab", err)
	}
}

// read counts messages until the connection fails.
func (v *viewer) read(conn *websocket.Conn) error {
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		switch kind(msg) {
		case "tick":
			v.cnt.ticks.Add(1)
		case "snapshot", "exp-snapshot":
			v.cnt.snapshots.Add(1)
		case "error":
			v.refused(msg)
		}
		if v.readDelay > 0 {
			time.Sleep(v.readDelay) // the slow reader's pace, not a wait for an event
		}
	}
}

// refused counts an error message. not_watched (a port away during a
// flap) and not_found (an experiment forgotten) are expected; others are
// errors.
func (v *viewer) refused(msg []byte) {
	v.cnt.refused.Add(1)
	var m struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(msg, &m)
	switch m.Error.Code {
	case "not_watched", "not_found":
		return
	}
	v.cnt.errors.add("viewer refused", fmt.Errorf("%s: %s", m.Error.Code, m.Error.Message))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/wire"
)

// upgrader keeps gorilla's default CheckOrigin: an upgrade whose Origin is not
// the Host it was sent to is refused with 403, so another site cannot read
// this dashboard through the visitor's browser.
var upgrader = websocket.Upgrader{
	HandshakeTimeout: wsHandshake,
	ReadBufferSize:   1024,
	WriteBufferSize:  16 << 10,
	Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
		writeError(w, status, "websocket_refused", reason.Error(), "Origin")
	},
}

// ws upgrades the request and runs the two pumps of one browser connection.
// The write pump runs on this request's goroutine and owns the connection;
// the read pump is started here and stopped by closing the connection; both
// are waited for before ws returns, and Server.Wait waits for ws. The hub
// ends the session by dropping the subscriber (stalled browser or shutdown).
func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	if !s.wsEnter() {
		writeError(w, http.StatusServiceUnavailable, "shutting_down", "connlab is shutting down", "")
		return
	}
	defer s.wsActive.Done()
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	sub := s.cfg.Hub.SubscribeBounded(s.cfg.WSQueue, s.cfg.WSQueueBytes)
	c := &wsClient{srv: s, conn: conn, sub: sub, topics: map[string]bool{}}
	defer s.cfg.Hub.Unsubscribe(sub)

	hello, _ := json.Marshal(wire.Hello{
		Type: wire.TypeHello, Source: s.cfg.Monitor.Source(), Version: s.cfg.Version,
		Go: runtime.Version(), IntervalMs: s.cfg.Monitor.Interval().Milliseconds(),
	})
	sub.Send(hello)
	_ = s.cfg.Monitor.SubscribePorts(func(ports []byte) {
		s.cfg.Hub.Join(sub, monitor.PortsTopic) // under the monitor's lock: no change is missed
		sub.Send(ports)
	})

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // stopped by conn.Close below (read error), waited for by wg.Wait
		defer wg.Done()
		c.readPump()
	}()
	c.writePump()
	_ = conn.Close()
	wg.Wait()
}

type wsClient struct {
	srv  *Server
	conn *websocket.Conn
	sub  *hub.Sub

	mu     sync.Mutex // guards topics
	topics map[string]bool
}

// writePump sends queued messages and pings until the subscriber is dropped,
// a write fails, or the read pump ends (it unsubscribes, which closes Done).
func (c *wsClient) writePump() {
	ping := time.NewTicker(wsPingEvery)
	defer ping.Stop()
	for {
		select {
		case msg := <-c.sub.C():
			c.sub.Took(msg)
			_ = c.conn.SetWriteDeadline(time.Now().Add(c.srv.cfg.WSWriteWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				// A browser that stopped reading fills its socket: the hub
				// drops it meanwhile, and no close frame can reach it.
				if code, reason := closeFor(c.sub.Reason()); code == websocket.CloseTryAgainLater {
					c.srv.log.Warn("websocket closed: the browser does not keep up (its socket is full: no close frame)", "remote", c.conn.RemoteAddr().String(), "reason", reason)
				}
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.srv.cfg.WSWriteWait)); err != nil {
				return
			}
		case <-c.sub.Done():
			code, reason := closeFor(c.sub.Reason())
			if code == websocket.CloseTryAgainLater {
				c.srv.log.Warn("websocket closed: the browser does not keep up", "remote", c.conn.RemoteAddr().String(), "reason", reason)
			}
			_ = c.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(code, reason), time.Now().Add(c.srv.cfg.WSWriteWait))
			return
		}
	}
}

// closeFor is the websocket close code and reason for why the hub dropped a
// subscriber: 1001 going away at shutdown, 1013 try again later for a
// browser that does not keep up (its queue or byte budget is full), 1000
// otherwise. The reason fits a control frame (at most 123 bytes).
func closeFor(why string) (int, string) {
	code := websocket.CloseNormalClosure
	switch why {
	case hub.ReasonClosed:
		code, why = websocket.CloseGoingAway, "going away: "+why
	case hub.ReasonSlow, hub.ReasonOverBudget:
		code = websocket.CloseTryAgainLater
	case "":
		why = "closing"
	}
	if len(why) > 120 {
		why = why[:120]
	}
	return code, why
}

// readPump handles subscribe/unsubscribe requests until the connection fails.
func (c *wsClient) readPump() {
	defer c.srv.cfg.Hub.Unsubscribe(c.sub) // ends the write pump
	c.conn.SetReadLimit(wsMaxRequest)
	_ = c.conn.SetReadDeadline(time.Now().Add(wsPongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(wsPongWait))
	})
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(wsPongWait))
		var req wire.Request
		if err := json.Unmarshal(data, &req); err != nil {
			c.sendError("invalid_json", "a websocket request must be a JSON object like {\"type\":\"subscribe\",\"port\":8081}", "")
			continue
		}
		c.handle(req)
	}
}

func (c *wsClient) handle(req wire.Request) {
	switch req.Type {
	case wire.TypeSubscribe:
		if req.Experiment != "" {
			c.subscribeExperiment(req.Experiment)
			return
		}
		c.subscribePort(req.Port)
	case wire.TypeUnsubscribe:
		topic := monitor.Topic(req.Port)
		if req.Experiment != "" {
			topic = lab.Topic(req.Experiment)
		}
		c.mu.Lock()
		delete(c.topics, topic)
		c.mu.Unlock()
		c.srv.cfg.Hub.Leave(c.sub, topic)
	default:
		c.sendError("invalid_type", "unknown request type "+quote(req.Type)+": use subscribe or unsubscribe", "type")
	}
}

func (c *wsClient) subscribePort(port uint16) {
	if port == 0 {
		c.sendError("invalid_port", "port must be from 1 to 65535", "port")
		return
	}
	topic := monitor.Topic(port)
	if !c.addTopic(topic) {
		return
	}
	h := c.srv.cfg.Hub
	err := c.srv.cfg.Monitor.Subscribe(port,
		// Under the monitor's publish lock: every tick after the snapshot's
		// is held for us until Fill queues the snapshot ahead of them.
		func() bool { return h.Reserve(c.sub, topic) },
		func(snap []byte) { h.Fill(c.sub, topic, snap) })
	if err != nil {
		h.Leave(c.sub, topic)
		c.dropTopic(topic)
		var fe *fieldError
		if errors.As(monitorError(err, port), &fe) {
			c.sendError(fe.code, fe.message, fe.field)
			return
		}
		c.sendError("internal", err.Error(), "")
	}
}

// addTopic records a new subscription. It reports false when there is
// nothing to do: the topic is already subscribed (a repeated subscribe
// queues no second snapshot; to resync, unsubscribe first), or the
// connection has wsMaxTopics subscriptions (an error is sent).
func (c *wsClient) addTopic(topic string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.topics[topic] {
		return false
	}
	if len(c.topics) >= wsMaxTopics {
		c.sendError("too_many_subscriptions", fmt.Sprintf("at most %d subscriptions per connection: unsubscribe from one first", wsMaxTopics), "port")
		return false
	}
	c.topics[topic] = true
	return true
}

func (c *wsClient) dropTopic(topic string) {
	c.mu.Lock()
	delete(c.topics, topic)
	c.mu.Unlock()
}

func (c *wsClient) sendError(code, message, field string) {
	if len(message) > wsMaxMessage {
		message = strings.ToValidUTF8(message[:wsMaxMessage], "") + "…"
	}
	b, _ := json.Marshal(wire.ErrorMessage{Type: wire.TypeError, Error: wire.Error{Code: code, Message: message, Field: field}})
	c.sub.Send(b)
}

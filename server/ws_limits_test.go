package server_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/server"
)

// readUntilError reads messages until an error message arrives and counts
// them by type.
func readUntilError(t *testing.T, c *websocket.Conn) (map[string]int, map[string]any) {
	t.Helper()
	counts := map[string]int{}
	for {
		m := readType(t, c, "")
		counts[m["type"].(string)]++
		if m["type"] == wire.TypeError {
			return counts, m
		}
	}
}

// TestWebsocketRepeatedSubscribe: subscribing again to a port already
// subscribed queues no second snapshot (issue #6: 500 subscribes queued 500
// snapshots of up to 475 KB each).
func TestWebsocketRepeatedSubscribe(t *testing.T) {
	e := newEnv(t)
	port, _ := listen(t)
	if err := e.mon.Add(port); err != nil {
		t.Fatal(err)
	}
	c, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 100 {
		if err := c.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Port: port}); err != nil {
			t.Fatal(err)
		}
	}
	// A request answered with an error marks the end of the subscribes'
	// answers: requests are handled in order.
	if err := c.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Port: 0}); err != nil {
		t.Fatal(err)
	}
	counts, _ := readUntilError(t, c)
	if counts[wire.TypeSnapshot] != 1 {
		t.Fatalf("%d snapshots for 100 subscribes to one port, want 1 (%v)", counts[wire.TypeSnapshot], counts)
	}
	// Unsubscribe then subscribe (the page's resync) does send a new one.
	_ = c.WriteJSON(wire.Request{Type: wire.TypeUnsubscribe, Port: port})
	_ = c.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Port: port})
	readType(t, c, wire.TypeSnapshot)
}

// TestWebsocketSubscriptionLimit: at most 64 subscriptions per connection,
// with an error naming the limit beyond.
func TestWebsocketSubscriptionLimit(t *testing.T) {
	e := newEnv(t)
	var ports []uint16
	for i := range 65 {
		port, _ := listen(t)
		ports = append(ports, port)
		if i < 64 {
			if err := e.mon.Add(port); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// A Lab hold does not count against the 64 watched ports.
		release, err := e.mon.Hold(port, "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(release)
	}
	c, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range ports {
		if err := c.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Port: p}); err != nil {
			t.Fatal(err)
		}
	}
	counts, em := readUntilError(t, c)
	if counts[wire.TypeSnapshot] != 64 {
		t.Errorf("%d snapshots, want 64", counts[wire.TypeSnapshot])
	}
	if code := em["error"].(map[string]any)["code"]; code != "too_many_subscriptions" {
		t.Fatalf("error %v, want too_many_subscriptions", em)
	}
	// Room again after an unsubscribe.
	_ = c.WriteJSON(wire.Request{Type: wire.TypeUnsubscribe, Port: ports[0]})
	_ = c.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Port: ports[64]})
	if snap := readType(t, c, wire.TypeSnapshot); uint16(snap["port"].(float64)) != ports[64] {
		t.Fatalf("snapshot of port %v, want %d", snap["port"], ports[64])
	}
}

// closeCode reads c until the connection ends and returns its close error.
func closeCode(t *testing.T, c *websocket.Conn) *websocket.CloseError {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("connection ended without a close frame: %v", err)
			}
			return ce
		}
	}
}

// TestWebsocketByteBudget: a browser that does not read is closed with 1013
// once its queue holds more than its byte budget, whatever the message count.
func TestWebsocketByteBudget(t *testing.T) {
	const budget = 256 << 10
	e := newEnv(t, func(c *server.Config) {
		c.WSQueue = 100_000             // never the message count
		c.WSQueueBytes = budget         // the bytes
		c.WSWriteWait = 2 * time.Minute // never the write deadline
	})
	c, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	eventually(t, waitLong, "the subscriber", func() bool { return e.hub.Len() == 1 })
	// The socket buffers absorb a few MB before the queue grows: publish
	// until the subscriber is dropped, at most 256 MB.
	msg := []byte(`{"type":"ports","pad":"` + strings.Repeat("x", 64<<10) + `"}`)
	for i := 0; e.hub.Len() > 0; i++ {
		if i == 4096 {
			t.Fatal("not dropped after 256 MB published")
		}
		e.hub.Publish(monitor.PortsTopic, msg)
	}
	ce := closeCode(t, c)
	if ce.Code != websocket.CloseTryAgainLater || !strings.Contains(ce.Text, "bytes") {
		t.Fatalf("close %d %q, want 1013 about bytes queued", ce.Code, ce.Text)
	}
}

// TestWebsocketShutdownGoingAway: at shutdown browsers get 1001.
func TestWebsocketShutdownGoingAway(t *testing.T) {
	e := newEnv(t)
	c, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readType(t, c, wire.TypeHello)
	e.hub.Close()
	if ce := closeCode(t, c); ce.Code != websocket.CloseGoingAway {
		t.Fatalf("close %d %q, want 1001", ce.Code, ce.Text)
	}
}

// TestWebsocketTotalBudget: browsers that do not read cannot hold more than
// the shared budget between them: past it they are closed, while a reading
// browser keeps its session.
func TestWebsocketTotalBudget(t *testing.T) {
	const total = 512 << 10
	e := newEnv(t, func(c *server.Config) {
		c.WSQueue = 100_000
		c.WSQueueBytes = 64 << 20 // never the per-browser budget
		c.WSQueueTotal = total
		c.WSWriteWait = 2 * time.Minute
	})
	var stalled []*websocket.Conn
	for range 4 {
		c, _, err := dialWS(t, e, e.url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stalled = append(stalled, c)
	}
	eventually(t, waitLong, "the subscribers", func() bool { return e.hub.Len() == 4 })
	msg := []byte(`{"type":"ports","pad":"` + strings.Repeat("x", 64<<10) + `"}`)
	for i := 0; e.hub.Len() > 0; i++ {
		if i == 4096 {
			t.Fatal("none dropped after 256 MB published")
		}
		e.hub.Publish(monitor.PortsTopic, msg)
		if q := e.hub.Queued(); q > total+int64(len(msg)) {
			t.Fatalf("%d bytes queued for all browsers, budget %d", q, total)
		}
	}
	for _, c := range stalled {
		if ce := closeCode(t, c); ce.Code != websocket.CloseTryAgainLater {
			t.Fatalf("close %d %q, want 1013", ce.Code, ce.Text)
		}
	}
}

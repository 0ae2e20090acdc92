package server_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/server"
)

func dialWS(t *testing.T, e *env, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws", h)
}

// readType reads messages until one of the given type arrives.
func readType(t *testing.T, c *websocket.Conn, typ string) map[string]any {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("decode %q: %v", data, err)
		}
		if typ == "" || m["type"] == typ { // "": any message
			return m
		}
	}
}

func TestWebsocketCrossOriginRefused(t *testing.T) {
	e := newEnv(t)
	_, resp, err := dialWS(t, e, "http://evil.example")
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("cross-origin upgrade: err %v status %d, want 403", err, code)
	}
	c, _, err := dialWS(t, e, e.url) // same origin works
	if err != nil {
		t.Fatalf("same-origin upgrade: %v", err)
	}
	c.Close()
}

func TestWebsocketSnapshotThenDeltas(t *testing.T) {
	e := newEnv(t)
	port, accepted := listen(t)
	if err := e.mon.Add(port); err != nil {
		t.Fatal(err)
	}
	c, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hello := readType(t, c, wire.TypeHello)
	if hello["source"] == "" || !strings.HasPrefix(hello["go"].(string), "go") {
		t.Fatalf("hello = %v", hello)
	}
	if err := c.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Port: port}); err != nil {
		t.Fatal(err)
	}
	snap := readType(t, c, wire.TypeSnapshot)
	seq := uint64(snap["seq"].(float64))
	if uint16(snap["port"].(float64)) != port {
		t.Fatalf("snapshot for port %v, want %d", snap["port"], port)
	}

	// A connection opened after the snapshot must show up in the deltas as
	// an "opened" change, with every tick's seq one more than the last.
	conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(int(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	<-accepted
	last := seq
	sawOpened := false
	deadline := time.Now().Add(5 * time.Second)
	for !sawOpened {
		if time.Now().After(deadline) {
			t.Fatal("no tick reported the new connection")
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var tick wire.Tick
		if err := c.ReadJSON(&tick); err != nil {
			t.Fatal(err)
		}
		if tick.Type != wire.TypeTick {
			continue
		}
		if tick.Seq != last+1 {
			t.Fatalf("tick seq %d after %d: deltas must follow the snapshot without gaps", tick.Seq, last)
		}
		last = tick.Seq
		for _, ch := range tick.Changes {
			if ch.Kind == "opened" && ch.Socket.State == "ESTABLISHED" {
				sawOpened = true
			}
		}
	}

	// Unknown port: an error message, the connection stays usable.
	if err := c.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Port: 1}); err != nil {
		t.Fatal(err)
	}
	em := readType(t, c, wire.TypeError)
	if em["error"].(map[string]any)["code"] != "not_watched" {
		t.Fatalf("error = %v", em)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	if em := readType(t, c, wire.TypeError); em["error"].(map[string]any)["code"] != "invalid_json" {
		t.Fatalf("error = %v", em)
	}
}

// A browser that stops reading must be evicted without slowing the others.
func TestWebsocketStalledReaderEvicted(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.WSQueue = 8
		c.WSWriteWait = 300 * time.Millisecond
	})
	fast, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	stalled, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	readType(t, fast, wire.TypeHello)
	eventually(t, waitLong, "two subscribers", func() bool { return e.hub.Len() == 2 })

	// Large messages on the topic every browser joins: the stalled one's
	// socket buffers fill (a few MB on loopback), then its writes time out or
	// its queue overflows. The publisher waits for the fast reader to keep
	// within half its queue, so only the stalled one can fall behind.
	const n = 400
	payload := strings.Repeat("x", 64<<10)
	var count atomic.Int64
	done := make(chan struct{})
	go func() { // ends when n messages are read or the connection fails
		defer close(done)
		for count.Load() < n {
			_ = fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := fast.ReadMessage()
			if err != nil {
				return
			}
			if strings.Contains(string(data), `"seq":`+strconv.FormatInt(count.Load(), 10)+`,`) {
				count.Add(1)
			}
		}
	}()
	for i := range n {
		msg := `{"type":"ports","seq":` + strconv.Itoa(i) + `,"pad":"` + payload + `"}`
		e.hub.Publish(monitor.PortsTopic, []byte(msg))
		eventually(t, 10*time.Second, "fast reader to keep up", func() bool { return count.Load() >= int64(i-3) })
	}
	<-done
	if got := count.Load(); got != n {
		t.Fatalf("fast reader got %d of %d messages in order", got, n)
	}
	eventually(t, waitLong, "stalled subscriber evicted", func() bool { return e.hub.Len() == 1 })
}

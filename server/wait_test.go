package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// TestWaitJoinsWebsockets: Wait returns only once every websocket handler
// has returned (the hub's Close ends them), and refuses upgrades after.
func TestWaitJoinsWebsockets(t *testing.T) {
	e := newEnv(t)
	c, _, err := dialWS(t, e, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readType(t, c, wire.TypeHello)

	waited := make(chan struct{})
	go func() { // ends when the handler returns (hub.Close below)
		e.server.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		t.Fatal("Wait returned while a websocket handler was running")
	case <-time.After(100 * time.Millisecond): // Wait must still be blocked: a bounded look, not a wait for an outcome
	}
	e.hub.Close() // drops the subscriber: the write pump sends a close frame and the handler returns
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after the hub closed")
	}
	_, resp, err := dialWS(t, e, "")
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("upgrade after Wait: %v (%v), want 503", err, resp)
	}
	resp.Body.Close()
}

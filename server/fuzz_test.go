package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/connlab/connlab/internal/wire"
)

// maxQuoted bounds how much of a request an error message may quote
// (issue #6: messages echoed up to 60 KB of the input).
const maxQuoted = 400

// checkError asserts an error answer is the one JSON shape, naming a code,
// with a message of bounded length.
func checkError(t *testing.T, body []byte) {
	t.Helper()
	var e struct {
		Error *wire.Error `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Code == "" {
		t.Fatalf("error body %.200q is not {\"error\":{\"code\",...}}: %v", body, err)
	}
	if len(e.Error.Message) > maxQuoted {
		t.Fatalf("error message of %d bytes quotes too much of the input: %.200q", len(e.Error.Message), e.Error.Message)
	}
}

// FuzzAddPortBody posts arbitrary bodies to POST /api/ports on a real
// server: every answer is 201 with a port status or a JSON error with a
// 4xx status, never a 5xx, and the server keeps answering.
func FuzzAddPortBody(f *testing.F) {
	for _, s := range []string{`{"port":8081}`, `{"port":"8081"}`, `{"port":-1}`, `{"port":65536}`,
		`{"port":1e3}`, `{"port":null}`, `{}`, `[]`, `{"port":8081,"port":8082}`, `{"port":8081} {"x":1}`,
		`{"port":` + strings.Repeat("9", 200) + `}`, `{"port":0x1F}`, "\x00", `{"port":80.5}`} {
		f.Add(s)
	}
	e := newEnv(f)
	client := &http.Client{Timeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := http.NewRequest("POST", e.url+"/api/ports", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %.100q: %v", body, err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case resp.StatusCode == http.StatusCreated:
			var st wire.PortStatus
			if err := json.Unmarshal(data, &st); err != nil || st.Port == 0 {
				t.Fatalf("201 with %q: %v", data, err)
			}
			// Leave room for the next inputs.
			if err := e.mon.Remove(st.Port); err != nil {
				t.Fatal(err)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			checkError(t, data)
		default:
			t.Fatalf("POST %.100q: status %d %q", body, resp.StatusCode, data)
		}
	})
}

// FuzzWebsocketRequest sends arbitrary messages over one real websocket:
// whatever they are, the connection stays open and the server goes on
// answering (a barrier request after each message must get its error), and
// every error it sends has the one shape.
func FuzzWebsocketRequest(f *testing.F) {
	for _, s := range []string{`{"type":"subscribe","port":8081}`, `{"type":"unsubscribe","port":8081}`,
		`{"type":"subscribe","experiment":"nope"}`, `{"type":"subscribe","port":70000}`, `{"type":"x"}`,
		`{"type":"subscribe","experiment":"` + strings.Repeat("a", 3000) + `"}`, `null`, `[]`, `{`, ""} {
		f.Add(s)
	}
	e := newEnv(f)
	port, _ := listen(f)
	if err := e.mon.Add(port); err != nil {
		f.Fatal(err)
	}
	h := http.Header{"Origin": {e.url}}
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws", h)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = c.Close() })
	n := 0
	f.Fuzz(func(t *testing.T, msg string) {
		n++
		mark := "barrier-" + strconv.Itoa(n) // an unknown type: answered with an error naming it
		barrier, _ := json.Marshal(wire.Request{Type: mark})
		if len(msg) > 4<<10 {
			return // past the read limit the server closes the connection, by design
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := c.WriteMessage(websocket.TextMessage, barrier); err != nil {
			t.Fatalf("write barrier: %v", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("after %.100q: %v", msg, err)
			}
			var m struct {
				Type  string      `json:"type"`
				Error *wire.Error `json:"error"`
			}
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("server sent non-JSON %.100q", data)
			}
			if m.Type != wire.TypeError {
				continue
			}
			checkError(t, data)
			if strings.Contains(m.Error.Message, `"`+mark+`"`) {
				return // the barrier's answer: everything before it was handled
			}
		}
	})
}

package server_test

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

func TestPortLifecycle(t *testing.T) {
	e := newEnv(t)
	port, accepted := listen(t)
	p := strconv.Itoa(int(port))

	var st wire.PortStatus
	resp := e.do("POST", "/api/ports", "application/json", `{"port":`+p+`}`, &st)
	if resp.StatusCode != http.StatusCreated || st.Port != port {
		t.Fatalf("POST /api/ports = %d %+v, want 201 for port %d", resp.StatusCode, st, port)
	}
	if got := resp.Header.Get("Location"); got != "/api/ports/"+p {
		t.Errorf("Location = %q", got)
	}

	// Three real connections: the kernel shows 3 ESTABLISHED on each side
	// and the listener.
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", "127.0.0.1:"+p)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		<-accepted
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			var socks []wire.Socket
			e.do("GET", "/api/ports/"+p+"/sockets", "", "", &socks)
			t.Logf("last counts %+v; sockets %+v", st.Counts, socks)
		}
	})
	eventually(t, waitLong, "3 ESTABLISHED per side and a LISTEN", func() bool {
		st = wire.PortStatus{}
		e.do("GET", "/api/ports/"+p, "", "", &st)
		return st.Counts.Server["ESTABLISHED"] == 3 && st.Counts.Client["ESTABLISHED"] == 3 && st.Counts.Server["LISTEN"] == 1
	})
	if st.Source == "" || st.At == "" {
		t.Errorf("status lacks source or time: %+v", st)
	}
	if _, err := time.Parse(time.RFC3339Nano, st.At); err != nil {
		t.Errorf("at %q is not RFC3339: %v", st.At, err)
	}

	var list []wire.PortStatus
	e.do("GET", "/api/ports", "", "", &list)
	if len(list) != 1 || list[0].Port != port {
		t.Fatalf("GET /api/ports = %+v", list)
	}

	var socks []wire.Socket
	e.do("GET", "/api/ports/"+p+"/sockets", "", "", &socks)
	sides := map[string]int{}
	for _, s := range socks {
		sides[s.Side+" "+s.State]++
	}
	if sides["server ESTABLISHED"] != 3 || sides["client ESTABLISHED"] != 3 || sides["server LISTEN"] != 1 {
		t.Errorf("sockets by side/state = %v", sides)
	}

	var tl wire.Timeline
	e.do("GET", "/api/ports/"+p+"/timeline?since=0", "", "", &tl)
	if len(tl.T) == 0 || tl.Seq < tl.Seq0 || len(tl.Server["ESTABLISHED"]) != len(tl.T) {
		t.Fatalf("timeline = seq0 %d seq %d, %d rows, %d ESTABLISHED cells", tl.Seq0, tl.Seq, len(tl.T), len(tl.Server["ESTABLISHED"]))
	}
	var later wire.Timeline
	e.do("GET", fmt.Sprintf("/api/ports/%s/timeline?since=%d", p, tl.Seq), "", "", &later)
	if len(later.T) > 0 && later.Seq0 <= tl.Seq {
		t.Errorf("since=%d returned rows from seq %d", tl.Seq, later.Seq0)
	}

	if resp := e.do("DELETE", "/api/ports/"+p, "", "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE = %d, want 204", resp.StatusCode)
	}
	var eb wire.ErrorBody
	if resp := e.do("DELETE", "/api/ports/"+p, "", "", &eb); resp.StatusCode != http.StatusNotFound || eb.Error.Field != "port" {
		t.Fatalf("second DELETE = %d %+v, want 404 naming port", resp.StatusCode, eb)
	}
}

func TestAPIErrors(t *testing.T) {
	e := newEnv(t)
	port, _ := listen(t)
	p := strconv.Itoa(int(port))
	e.do("POST", "/api/ports", "application/json", `{"port":`+p+`}`, nil)

	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		code, field                     string
	}{
		{"port zero", "POST", "/api/ports", "application/json", `{"port":0}`, 400, "invalid_port", "port"},
		{"port too big", "POST", "/api/ports", "application/json", `{"port":65536}`, 400, "invalid_port", "port"},
		{"port negative", "POST", "/api/ports", "application/json", `{"port":-1}`, 400, "invalid_port", "port"},
		{"port not a number", "POST", "/api/ports", "application/json", `{"port":"http"}`, 400, "invalid_json", "port"},
		{"port fraction", "POST", "/api/ports", "application/json", `{"port":80.5}`, 400, "invalid_port", "port"},
		{"port missing", "POST", "/api/ports", "application/json", `{}`, 400, "invalid_port", "port"},
		{"unknown field", "POST", "/api/ports", "application/json", `{"port":1,"x":2}`, 400, "unknown_field", "x"},
		{"malformed", "POST", "/api/ports", "application/json", `{"port":`, 400, "invalid_json", "body"},
		{"empty body", "POST", "/api/ports", "application/json", ``, 400, "invalid_json", "body"},
		{"two objects", "POST", "/api/ports", "application/json", `{"port":1}{"port":2}`, 400, "invalid_json", "body"},
		{"form post", "POST", "/api/ports", "application/x-www-form-urlencoded", `port=1`, 415, "unsupported_media_type", "Content-Type"},
		{"no content type", "POST", "/api/ports", "", `{"port":1}`, 415, "unsupported_media_type", "Content-Type"},
		{"duplicate", "POST", "/api/ports", "application/json", `{"port":` + p + `}`, 409, "already_watched", "port"},
		{"get not a number", "GET", "/api/ports/abc", "", "", 400, "invalid_port", "port"},
		{"get not watched", "GET", "/api/ports/1", "", "", 404, "not_watched", "port"},
		{"delete not watched", "DELETE", "/api/ports/1", "", "", 404, "not_watched", "port"},
		{"delete out of range", "DELETE", "/api/ports/70000", "", "", 400, "invalid_port", "port"},
		{"bad since", "GET", "/api/ports/" + p + "/timeline?since=-1", "", "", 400, "invalid_since", "since"},
		{"unknown api route", "GET", "/api/nope", "", "", 404, "not_found", ""},
		{"wrong method", "PUT", "/api/ports", "application/json", `{}`, 405, "method_not_allowed", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var eb wire.ErrorBody
			resp := e.do(c.method, c.path, c.ctype, c.body, &eb)
			if resp.StatusCode != c.status || eb.Error.Code != c.code || eb.Error.Field != c.field || eb.Error.Message == "" {
				t.Fatalf("%s %s = %d %+v, want %d code %q field %q", c.method, c.path, resp.StatusCode, eb.Error, c.status, c.code, c.field)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestPortLimit(t *testing.T) {
	e := newEnv(t)
	// Ports nobody listens on are fine to watch: the monitor just reports zeros.
	added := 0
	for p := 40000; added < 64; p++ {
		resp := e.do("POST", "/api/ports", "application/json", fmt.Sprintf(`{"port":%d}`, p), nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("port %d: %d", p, resp.StatusCode)
		}
		added++
	}
	var eb wire.ErrorBody
	resp := e.do("POST", "/api/ports", "application/json", `{"port":50000}`, &eb)
	if resp.StatusCode != http.StatusUnprocessableEntity || eb.Error.Code != "too_many_ports" || eb.Error.Field != "port" {
		t.Fatalf("65th port = %d %+v", resp.StatusCode, eb)
	}
}

func TestHealthzAndSystem(t *testing.T) {
	e := newEnv(t)
	var h map[string]any
	if resp := e.do("GET", "/healthz", "", "", &h); resp.StatusCode != 200 || h["status"] != "ok" || h["goroutines"] == nil {
		t.Fatalf("healthz = %d %v", resp.StatusCode, h)
	}
	var sys wire.System
	if resp := e.do("GET", "/api/system", "", "", &sys); resp.StatusCode != 200 || sys.Source == "" {
		t.Fatalf("system = %d %+v", resp.StatusCode, sys)
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	var eb wire.ErrorBody
	body := `{"port":1` + strings.Repeat(" ", 70<<10) + `}`
	resp := e.do("POST", "/api/ports", "application/json", body, &eb)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || eb.Error.Code != "body_too_large" || eb.Error.Field != "body" {
		t.Fatalf("oversized body = %d %+v", resp.StatusCode, eb)
	}
}

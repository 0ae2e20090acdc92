package server_test

import (
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// TestFlowAndVerdict: a port whose server closes first shows it in its flow
// (GET /api/ports/{port}) and in its live verdict, the answer first.
func TestFlowAndVerdict(t *testing.T) {
	e := newEnv(t)
	port, accepted := listen(t)
	if err := e.mon.Add(port); err != nil {
		t.Fatal(err)
	}
	// Let the baseline poll pass: what exists then counts nothing.
	eventually(t, waitLong, "a first poll", func() bool {
		var st wire.PortStatus
		e.do("GET", "/api/ports/"+strconv.Itoa(int(port)), "", "", &st)
		return st.At != ""
	})
	const n = 6
	for range n {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(int(port)))
		if err != nil {
			t.Fatal(err)
		}
		s := <-accepted
		_ = s.Close() // the server closes first
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("client read after the server's close: %v", err)
		}
		_ = c.Close()
	}
	var st wire.PortStatus
	eventually(t, 10*time.Second, "the closes in the flow", func() bool {
		e.do("GET", "/api/ports/"+strconv.Itoa(int(port)), "", "", &st)
		return st.Flow != nil && st.Flow.Total.ClosedFirst.Server == n
	})
	f := st.Flow
	// WindowSec is the time since watching began (at most 60), to 0.1 s: 0
	// when the six connections and the poll that saw them all fit in 50 ms.
	if f.Total.ClosedFirst.Client != 0 || f.Total.TimeWait.Server != n || f.Since == "" || f.Last60s.WindowSec < 0 || f.Last60s.WindowSec > 60 {
		t.Fatalf("flow %+v", f)
	}
	var v struct {
		Port     uint16         `json:"port"`
		Findings []wire.Finding `json:"findings"`
	}
	if resp := e.do("GET", "/api/ports/"+strconv.Itoa(int(port))+"/verdict", "", "", &v); resp.StatusCode != 200 {
		t.Fatalf("verdict: %d", resp.StatusCode)
	}
	if len(v.Findings) == 0 || v.Findings[0].ID != "watch-closed-first" || !strings.Contains(v.Findings[0].Text, "The server closes first on 100% of connections (6 of 6") {
		t.Fatalf("verdict %+v", v.Findings)
	}
	var cs wire.FlowConns
	e.do("GET", "/api/ports/"+strconv.Itoa(int(port))+"/connections", "", "", &cs)
	if len(cs.Connections) != n {
		t.Fatalf("%d connections listed, want %d: %+v", len(cs.Connections), n, cs)
	}
	for _, c := range cs.Connections {
		if c.ClosedFirst != "server" || c.Reset || !strings.HasSuffix(c.Server, ":"+strconv.Itoa(int(port))) || !slices.Contains(c.Here, "server") {
			t.Fatalf("connection %+v, want closed first by the server, its server end here", c)
		}
	}
	if resp := e.do("GET", "/api/ports/1/verdict", "", "", nil); resp.StatusCode != 404 {
		t.Fatalf("verdict of a port not watched: %d, want 404", resp.StatusCode)
	}
}

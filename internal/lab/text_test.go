package lab_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/wire"
)

// TestTextCounts: `connlab run` prints the connection counts under the
// names every view uses (opened, carried requests, never used, closed by
// teardown: the JSON's opened, carried, unused, teardown), and reuse as the
// server's count over the requests the server served, httptrace's figure
// beside it. The figures are pool-churn's as the issue saw them: the old
// text printed "opened 620 ... unused 242" and "reused 1784" (httptrace, of
// the client's 2000), the verdict "378 connections" and 81%.
func TestTextCounts(t *testing.T) {
	r := &lab.Result{Preset: "pool-churn", Status: wire.ExpCompleted}
	r.Requests = wire.ExpRequests{Total: 2000, OK: 2000, Reused: 1784}
	r.Connections = wire.ExpConnections{Opened: 620, Dialed: 620, Carried: 378, Unused: 242, Teardown: 2,
		ReusedRequests: 1622, ServedRequests: 2000, ClosedFirst: wire.ClosedFirst{Client: 618}}
	var buf bytes.Buffer
	if err := lab.WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"CONNECTIONS  connections opened 620: carried requests 378, never used 242; closed by teardown 2\n",
		"  reuse      1622 of 2000 requests served went over an already-used connection (81%, the server's count); httptrace GotConn said reused on 1784 of 2000\n",
		"closed first: server 0, client 618, simultaneous 0 (before the teardown)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	for _, old := range []string{"reused 1784", "unused 242", "left open for the teardown"} {
		if strings.Contains(out, old) {
			t.Errorf("text still says %q", old)
		}
	}
	if t.Failed() {
		t.Log(out)
	}

	// httptrace agreeing with the server: one figure.
	r.Requests.Reused = 1622
	buf.Reset()
	if err := lab.WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "httptrace") {
		t.Errorf("httptrace's figure shown though it is the server's:\n%s", buf.String())
	}
}

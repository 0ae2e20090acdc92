package target

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/tap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConnIndex(t *testing.T) {
	for _, tc := range []struct {
		vals []string
		want int
	}{
		{nil, connAbsent},
		{[]string{"close"}, connClose},
		{[]string{"Keep-Alive"}, connKeepAlive},
		{[]string{"keep-alive, Upgrade"}, connKeepAlive},
		{[]string{"Upgrade", "CLOSE"}, connClose},
		{[]string{"upgrade"}, connOther},
	} {
		if got := connIndex(tc.vals); got != tc.want {
			t.Errorf("connIndex(%q) = %d, want %d", tc.vals, got, tc.want)
		}
	}
}

// TestServeAndSaw: the server answers on a real loopback listener with the
// body size asked and tells, in its header, what it saw; its conns are
// tapped; Close ends it.
func TestServeAndSaw(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := tap.NewTracker(time.Now(), 10)
	spec := experiment.Default().Server
	s := New(spec, 100, tr, slog.New(slog.DiscardHandler))
	s.Serve(ln)
	defer s.Close()

	tp := &http.Transport{DisableKeepAlives: true}
	defer tp.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tp}).Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(body) != 100 || resp.ContentLength != 100 {
		t.Fatalf("body %d bytes (Content-Length %d), %v; want 100", len(body), resp.ContentLength, err)
	}
	proto, conn, ok := ParseSaw(resp.Header)
	if !ok || proto != "HTTP/1.1" || conn != "close" {
		t.Fatalf("saw %q %q %v, want HTTP/1.1 close", proto, conn, ok)
	}
	byConn, byProto := s.SawCounts()
	if byConn["close"] != 1 || byProto["HTTP/1.1"] != 1 {
		t.Fatalf("counts %v %v", byConn, byProto)
	}
	if c := tr.Connections(); c.Opened != 1 {
		t.Fatalf("tracker saw %d accepted conns, want 1", c.Opened)
	}
	if _, _, ok := ParseSaw(http.Header{}); ok {
		t.Fatal("ParseSaw read a header that is not there")
	}
}

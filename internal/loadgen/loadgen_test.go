package loadgen

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/tap"
	"github.com/connlab/connlab/internal/target"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStripPorts(t *testing.T) {
	got := stripPorts(`read tcp 127.0.0.1:54722->127.0.0.1:40123: read: connection reset by peer`)
	if want := `read tcp 127.0.0.1:P->127.0.0.1:P: read: connection reset by peer`; got != want {
		t.Errorf("stripPorts = %q", got)
	}
}

// TestClient runs the client against a real target on loopback, with each
// client protocol: every request is counted and logged once, and keep-alive
// reuses one connection per worker.
func TestClient(t *testing.T) {
	for _, proto := range []string{experiment.ProtoHTTP1, experiment.ProtoHTTP10KeepAlive} {
		t.Run(proto, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			tr := tap.NewTracker(time.Now(), 100)
			srv := target.New(experiment.Default().Server, 10, tr, slog.New(slog.DiscardHandler))
			srv.Serve(ln)
			defer srv.Close()

			spec := experiment.Default().Client
			spec.Protocol = proto
			addr := ln.Addr().String()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := New(ctx, Config{Addr: addr, Dialer: tap.NewDialer(addr, tr, net.KeepAliveConfig{}), Tracker: tr,
				Method: experiment.MethodGet, Requests: 10, Concurrency: 2, Interval: 5 * time.Millisecond, Client: spec})
			if err != nil {
				t.Fatal(err)
			}
			c.Run(ctx, time.Now().Add(30*time.Second))
			c.CloseIdle()

			tally := c.Tally()
			byConn, byProto := srv.SawCounts()
			q := tally.Requests(byConn, byProto)
			if q.Total != 10 || q.OK != 10 || q.Errors != 0 {
				t.Fatalf("requests %+v, want 10 ok", q)
			}
			lines, dropped := c.Drain(nil)
			if len(lines) != 10 || dropped != 0 {
				t.Fatalf("drained %d lines (%d dropped), want 10", len(lines), dropped)
			}
			if more, _ := c.Drain(nil); len(more) != 0 {
				t.Fatalf("a second drain gave %d lines", len(more))
			}
			// Every request names the connection it went out on, and no
			// request used a connection the dialer did not make.
			conns := map[uint64]bool{}
			for _, l := range lines {
				if l.Conn == 0 || l.ClientPort == 0 {
					t.Fatalf("request %d names no connection: %+v", l.Seq, l)
				}
				conns[l.Conn] = true
			}
			dialed := tr.Connections().Dialed
			if len(conns) > dialed {
				t.Errorf("requests went out on %d connections, the dialer made %d", len(conns), dialed)
			}
			switch proto {
			case experiment.ProtoHTTP10KeepAlive:
				// The raw client keeps one connection per worker (a worker
				// that starts late may send none), and the server keeps it
				// alive (Content-Length framing): every other request reuses.
				if dialed < 1 || dialed > 2 || q.Reused != 10-dialed {
					t.Errorf("raw keep-alive client: %d connections, %d reused; want 1 or 2, and the rest reused", dialed, q.Reused)
				}
			default:
				// Go's Transport may dial a spare connection when two
				// requests overlap (a pool race), so only reuse is asserted:
				// with a pause between a worker's requests its connection
				// is back in the idle pool before the next one.
				if q.Reused == 0 {
					t.Errorf("keep-alive Transport reused no connection (%d dialed for 10 requests)", dialed)
				}
			}
			if lat := tally.Latency(1000); lat.P50Ms <= 0 || lat.RequestsPerSec != 10 {
				t.Errorf("latency %+v", lat)
			}
		})
	}
}

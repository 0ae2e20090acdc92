package lab_test

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/internal/wirecap"
	"github.com/connlab/connlab/internal/wirecap/wiretest"
)

// Every preset runs against the real kernel monitor and asserts what it
// measured against the physics it demonstrates. Runs are short; up to
// lab.MaxRunning of them go in parallel (Start is retried while busy).

func testLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startWhenFree starts spec, waiting while lab.MaxRunning experiments run.
func startWhenFree(t *testing.T, ctx context.Context, m *lab.Manager, spec experiment.Spec) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		id, err := m.Start(ctx, spec)
		if err == nil {
			return id
		}
		if !errors.Is(err, lab.ErrBusy) || time.Now().After(deadline) {
			t.Fatalf("start %s: %v", spec.Preset, err)
		}
		time.Sleep(20 * time.Millisecond) // poll for a free slot
	}
}

// runPreset runs a preset with -set overrides to its end and returns the
// result, which must be completed. Where this process may capture packets
// (root), the run is captured on the wire from before its first connection
// and a subtest "wire" compares its lanes and reuse with the wire
// (checkWire); elsewhere that subtest is skipped, saying why.
func runPreset(t *testing.T, m *lab.Manager, name string, sets ...string) *lab.Result {
	t.Helper()
	spec, err := experiment.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	// Long enough for a few polls (testPoll) after the last close.
	spec.Observe = experiment.Duration(400 * time.Millisecond)
	for _, kv := range sets {
		if err := experiment.SetPair(&spec, kv); err != nil {
			t.Fatal(err)
		}
	}
	var (
		capture *wirecap.Capture
		capErr  error
	)
	start := context.Background()
	if wiretest.Unavailable() == nil {
		// Called by Start in this goroutine, before the workload begins.
		start = lab.WithListening(start, func(ap netip.AddrPort) {
			capture, capErr = wiretest.StartCapture(ap)
		})
	}
	id := startWhenFree(t, start, m, spec)
	t.Cleanup(func() {
		if capture != nil {
			_, _ = capture.Stop()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := m.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait %s: %v", name, err)
	}
	if r.Status != "completed" {
		t.Fatalf("%s: status %s (%s)", name, r.Status, r.Error)
	}
	if r.Kernel.Polls == 0 {
		t.Fatalf("%s: no kernel polls", name)
	}
	if r.Connections.Open != 0 {
		t.Errorf("%s: %d connections not ended after the teardown", name, r.Connections.Open)
	}
	// One set of connection counts: every accepted connection, once ended,
	// carried requests or was never used.
	if c := r.Connections; c.Opened != c.Carried+c.Unused || c.ServedRequests != c.Carried+c.ReusedRequests {
		t.Errorf("%s: opened %d != carried %d + never used %d, or served %d != carried + reused %d",
			name, c.Opened, c.Carried, c.Unused, c.ServedRequests, c.ReusedRequests)
	}
	t.Logf("%s: %d requests (%d errors, %d reused, %d retried), %d conns (closed first s/c/sim %d/%d/%d, reset %d, teardown %d), TIME_WAIT peak s/c %d/%d",
		name, r.Requests.Total, r.Requests.Errors, r.Requests.Reused, r.Requests.Retried, r.Connections.Opened,
		r.Connections.ClosedFirst.Server, r.Connections.ClosedFirst.Client, r.Connections.ClosedFirst.Simultaneous,
		r.Connections.Reset, r.Connections.Teardown, r.Kernel.TimeWaitPeak.Server, r.Kernel.TimeWaitPeak.Client)
	t.Run("wire", func(t *testing.T) {
		wiretest.Skip(t)
		if capErr != nil {
			t.Fatal(capErr)
		}
		res := wiretest.Stop(t, capture)
		killed := map[uint16]bool{}
		for _, w := range res.Conns {
			if w.ResetAfterEnd {
				killed[w.Client.Port()] = true
			}
		}
		timeWaitKilled.Store(r.ID, killed)
		checkWire(t, r, res)
	})
	return r
}

// closedFirst is how many connections ended before the teardown.
func closedFirst(c wire.ExpConnections) int {
	return c.ClosedFirst.Server + c.ClosedFirst.Client + c.ClosedFirst.Simultaneous
}

func within(t *testing.T, what string, got, lo, hi int) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %d, want %d..%d", what, got, lo, hi)
	}
}

// timeWaitKilled maps a run's ID to the client ports of its connections
// whose TIME_WAIT a stray RST killed after both FINs, as the wire saw
// (wirecap.Conn.ResetAfterEnd); set by runPreset's wire subtest.
var timeWaitKilled sync.Map

// checkTimeWait: the kernel's TIME_WAIT matches who closed first. Every
// connection that ended with a FIN (not in the teardown, whose TIME_WAIT
// may come after the last poll) leaves one TIME_WAIT socket on the side
// that closed first, two when the close was simultaneous, none after an
// RST; all are still there at the end (they last 60 s). Per lane, the
// TIME_WAIT the kernel showed for its 4-tuple is on the side that closed
// first.
// timeWaitLanes counts the lanes whose kernel TIME_WAIT was seen on side
// (alone or on both ends).
func timeWaitLanes(r *lab.Result, side string) int {
	n := 0
	for _, l := range r.Lanes {
		if l.TimeWait == side || l.TimeWait == "both" {
			n++
		}
	}
	return n
}

func checkTimeWait(t *testing.T, r *lab.Result) {
	t.Helper()
	tw := map[string]int{}
	killedPorts := map[uint16]bool{}
	if k, ok := timeWaitKilled.Load(r.ID); ok {
		killedPorts = k.(map[uint16]bool)
	}
	for _, l := range r.Lanes {
		if l.Teardown || l.End != "fin" || l.PortReused {
			// A reused port's TIME_WAIT may have been taken over before
			// any poll (tcp_tw_reuse on loopback).
			continue
		}
		want := l.ClosedBy
		if want == "simultaneous" {
			want = "both"
		}
		if l.TimeWait == "" && killedPorts[l.ClientPort] {
			// On loopback under load a delayed ACK can arrive after the FIN
			// sent after it: the TIME_WAIT acknowledges it again, to a
			// socket gone, whose listener answers with an RST that kills
			// the TIME_WAIT (Linux's default, tcp_rfc1337 = 0). The wire
			// saw it; without a capture this lane fails the check.
			t.Logf("lane %d (port %d): closed by %s, its TIME_WAIT killed by a stray RST after the FINs (on the wire)", l.ID, l.ClientPort, l.ClosedBy)
			continue
		}
		if l.TimeWait != want {
			tw["mismatch"]++
			t.Logf("lane %d (port %d): closed by %s, kernel TIME_WAIT on %q: %+v", l.ID, l.ClientPort, l.ClosedBy, l.TimeWait, l)
		}
		switch l.TimeWait {
		case "server":
			tw["server"]++
		case "client":
			tw["client"]++
		case "both":
			tw["server"]++
			tw["client"]++
		}
	}
	if tw["mismatch"] > 0 {
		t.Errorf("%d lanes whose kernel TIME_WAIT is not on the side that closed first", tw["mismatch"])
	}
	if r.LanesTotal == len(r.Lanes) {
		// Every lane in detail: the kernel's count is the lanes' count.
		if got := r.Kernel.TimeWaitEnd.Server; got < tw["server"] {
			t.Errorf("kernel server TIME_WAIT %d < %d lanes", got, tw["server"])
		}
		if got := r.Kernel.TimeWaitEnd.Client; got < tw["client"] {
			t.Errorf("kernel client TIME_WAIT %d < %d lanes", got, tw["client"])
		}
	}
}

func TestPresets(t *testing.T) {
	m := lab.NewManager(testKernel, nil, testLog(), lab.ManagerOptions{})
	t.Cleanup(m.Close)
	tests := []struct {
		name  string
		sets  []string
		check func(t *testing.T, r *lab.Result)
	}{
		{experiment.PresetKeepaliveDefault, nil, func(t *testing.T, r *lab.Result) {
			q, c, k := r.Requests, r.Connections, r.Kernel
			within(t, "requests", q.Total, 20, 20)
			within(t, "errors", q.Errors, 0, 0)
			within(t, "connections opened", c.Opened, 1, 1)
			within(t, "reused", q.Reused, 19, 19)
			within(t, "busiest connection", c.MaxRequestsPerConn, 20, 20)
			within(t, "closed before the teardown", c.ClosedFirst.Server+c.ClosedFirst.Client+c.ClosedFirst.Simultaneous, 0, 0)
			within(t, "kernel server ESTABLISHED peak", k.EstablishedPeak.Server, 1, 1)
			within(t, "kernel TIME_WAIT peak (server+client)", k.TimeWaitPeak.Server+k.TimeWaitPeak.Client, 0, 0)
		}},
		{experiment.PresetClientDisableKeepalive, nil, func(t *testing.T, r *lab.Result) {
			q, c, k := r.Requests, r.Connections, r.Kernel
			within(t, "connections opened", c.Opened, 20, 20)
			within(t, "reused", q.Reused, 0, 0)
			within(t, "server saw Connection: close", q.ServerSaw["close"], 20, 20)
			within(t, "resp.Close", q.RespClose, 20, 20)
			within(t, "reset", c.Reset, 0, 0)
			// The server closes as soon as it has answered `Connection:
			// close`; the Transport closes its end after reading the
			// response, and now and then does so before the server's FIN
			// arrives (then the client is first). Measured 17..20 of 20 by
			// the server on an idle machine, fewer under load: who won each
			// race is the wire subtest's to check (checkWire); here only
			// that each connection ended before the teardown, by someone.
			within(t, "closed first by the server, client or both", closedFirst(c), 20, 20)
			within(t, "closed first by the server", c.ClosedFirst.Server, 1, 20)
			// At least the server-side TIME_WAITs the polls attributed to
			// lanes (all entered within the run, each lasting 60 s): not
			// every server-first close, since a new SYN may take over a
			// TIME_WAIT's 4-tuple, or a stray RST kill it (seen: 19 of 20).
			within(t, "kernel server TIME_WAIT peak", k.TimeWaitPeak.Server, timeWaitLanes(r, "server"), 20)
			checkTimeWait(t, r)
		}},
		{experiment.PresetBodyNotRead, nil, func(t *testing.T, r *lab.Result) {
			q, c, k := r.Requests, r.Connections, r.Kernel
			within(t, "connections opened", c.Opened, 20, 20)
			within(t, "reused", q.Reused, 0, 0)
			within(t, "bodies unread", q.BodyUnread, 20, 20)
			// 64 KiB bodies: the client closes with most of the body in its
			// receive queue, so Linux sends an RST instead of a FIN.
			within(t, "reset", c.Reset, 20, 20)
			within(t, "closed first by the client", c.ClosedFirst.Client, 20, 20)
			within(t, "kernel TIME_WAIT peak (server+client)", k.TimeWaitPeak.Server+k.TimeWaitPeak.Client, 0, 0)
			for _, l := range r.Lanes {
				if l.End != "rst" || l.ResetBy != "client" {
					t.Errorf("lane %d: end %q reset by %q, want rst by client", l.ID, l.End, l.ResetBy)
				}
			}
		}},
		{experiment.PresetBodyNotRead, []string{"bodyBytes=100"}, func(t *testing.T, r *lab.Result) {
			// A small body arrives with the headers, inside the Transport's
			// buffer: nothing is left unread in the kernel, so the close is a FIN.
			c := r.Connections
			within(t, "connections opened", c.Opened, 20, 20)
			within(t, "reset", c.Reset, 0, 0)
			within(t, "closed first by the client", c.ClosedFirst.Client, 20, 20)
			checkTimeWait(t, r)
		}},
		{experiment.PresetBodyNotClosed, nil, func(t *testing.T, r *lab.Result) {
			// Go's Transport returns a connection to the pool at EOF.
			within(t, "connections opened", r.Connections.Opened, 1, 1)
			within(t, "reused", r.Requests.Reused, 19, 19)
		}},
		{experiment.PresetServerDisableKeepalive, nil, func(t *testing.T, r *lab.Result) {
			q, c := r.Requests, r.Connections
			within(t, "connections opened", c.Opened, 20, 20)
			within(t, "resp.Close", q.RespClose, 20, 20)
			within(t, "server saw no Connection header", q.ServerSaw[""], 20, 20)
			// As with client-disable-keepalive, the Transport sometimes
			// closes before the server's FIN arrives (the wire subtest
			// checks who, connection by connection).
			within(t, "closed first by the server, client or both", closedFirst(c), 20, 20)
			within(t, "closed first by the server", c.ClosedFirst.Server, 1, 20)
			checkTimeWait(t, r)
		}},
		{experiment.PresetServerIdleTimeout, nil, func(t *testing.T, r *lab.Result) {
			q, c, k := r.Requests, r.Connections, r.Kernel
			within(t, "errors", q.Errors, 0, 0)
			within(t, "connections opened", c.Opened, 5, 5)
			within(t, "server idle-closed", c.ServerIdleClosed, 5, 5)
			within(t, "closed first by the server", c.ClosedFirst.Server, 5, 5)
			within(t, "kernel server TIME_WAIT at the end", k.TimeWaitEnd.Server, 5, 5)
			checkTimeWait(t, r)
		}},
		{experiment.PresetIdleTimeoutRace, []string{"duration=1500ms"}, func(t *testing.T, r *lab.Result) {
			q, c := r.Requests, r.Connections
			// The server's idle deadline and the worker's pause are both
			// 100 ms: a request leaves just after the server closed in a
			// large share of cases (measured 40%); GET is retried on a new
			// connection silently. Any single request may or may not race,
			// so only "some" is asserted.
			if q.Retried == 0 {
				t.Errorf("no silent retries in %d GETs", q.Total)
			}
			within(t, "server idle-closed", c.ServerIdleClosed, 1, c.Opened)
		}},
		{experiment.PresetIdleTimeoutRace, []string{"duration=1500ms", "method=POST"}, func(t *testing.T, r *lab.Result) {
			// The same race with POST: not replayable, so it fails.
			if r.Requests.Errors == 0 {
				t.Errorf("no errors in %d POSTs", r.Requests.Total)
			}
		}},
		{experiment.PresetClientIdleTimeout, nil, func(t *testing.T, r *lab.Result) {
			q, c, k := r.Requests, r.Connections, r.Kernel
			within(t, "errors", q.Errors, 0, 0)
			within(t, "connections opened", c.Opened, 5, 5)
			within(t, "closed first by the client", c.ClosedFirst.Client, 5, 5)
			within(t, "kernel client TIME_WAIT at the end", k.TimeWaitEnd.Client, 5, 5)
			checkTimeWait(t, r)
		}},
		{experiment.PresetHTTP10, nil, func(t *testing.T, r *lab.Result) {
			q, c := r.Requests, r.Connections
			within(t, "connections opened", c.Opened, 20, 20)
			within(t, "server saw HTTP/1.0", q.Protos["HTTP/1.0"], 20, 20)
			within(t, "reused", q.Reused, 0, 0)
			// The server closes after answering; the raw client closes
			// after reading Content-Length bytes, sometimes before the
			// server's FIN arrives (measured 15..20 of 20 by the server on
			// an idle machine; 7 under -race with a browser test running,
			// the wire agreeing on every one).
			within(t, "closed first by the server, client or both", closedFirst(c), 20, 20)
			within(t, "closed first by the server", c.ClosedFirst.Server, 1, 20)
			checkTimeWait(t, r)
		}},
		{experiment.PresetHTTP10KeepAlive, nil, func(t *testing.T, r *lab.Result) {
			q, c := r.Requests, r.Connections
			within(t, "connections opened", c.Opened, 1, 1)
			within(t, "reused", q.Reused, 19, 19)
			within(t, "server saw Connection: keep-alive", q.ServerSaw["keep-alive"], 20, 20)
		}},
		{experiment.PresetHTTP10KeepAlive, []string{"server.framing=chunked"}, func(t *testing.T, r *lab.Result) {
			// No chunking in HTTP/1.0: the body ends with the connection.
			q, c := r.Requests, r.Connections
			within(t, "connections opened", c.Opened, 20, 20)
			within(t, "framing eof", q.Framing["eof"], 20, 20)
			within(t, "closed first by the server", c.ClosedFirst.Server, 20, 20)
		}},
		{experiment.PresetH2CMultiplex, nil, func(t *testing.T, r *lab.Result) {
			q, c := r.Requests, r.Connections
			within(t, "server saw HTTP/2.0", q.Protos["HTTP/2.0"], 200, 200)
			// Ten workers start at once and the Transport may dial for
			// each before the first connection is up (h2c cold start);
			// one connection carries every request, the others none.
			within(t, "connections that carried requests", c.Opened-c.Unused, 1, 1)
			within(t, "busiest connection", c.MaxRequestsPerConn, 200, 200)
		}},
		// Bound by requests, not by the preset's 2 s: the restart comes after
		// the 10th request served, which a starved CPU may not reach in 2 s
		// (seen: 9 requests in 2 s at load average 11), and then nothing
		// below can hold. 80 requests take the preset's 2 s on an idle CPU.
		{experiment.PresetServerRestart, []string{"requests=80", "duration=0s"}, func(t *testing.T, r *lab.Result) {
			q, c := r.Requests, r.Connections
			// 300 ms of downtime at 2 workers x 20 req/s: refused dials.
			if q.Errors+q.Retried == 0 {
				t.Errorf("no errors nor retries across the restart")
			}
			if !strings.Contains(strings.Join(keys(q.ErrorSamples), "|"), "connection refused") {
				t.Errorf("errors %v, want connection refused", q.ErrorSamples)
			}
			within(t, "connections opened", c.Opened, 2, 20)
			within(t, "closed first by the server (the restart)", c.ClosedFirst.Server, 1, 4)
		}},
		{experiment.PresetTCPKeepalive, nil, func(t *testing.T, r *lab.Result) {
			k := r.Kernel
			// Idle client sockets have their keepalive timer armed (while a
			// request is in flight the retransmit timer shows instead).
			within(t, "kernel client sockets with a keepalive timer", k.KeepalivePeak.Client, 1, r.Connections.Dialed)
			// Client: TCP_KEEPIDLE 1 s, so the timer never shows more.
			within(t, "client keepalive timer (ms left)", k.KeepaliveMinMs.Client, 1, 1000)
			// Server: Go's default 15 s.
			within(t, "server keepalive timer (ms left)", k.KeepaliveMinMs.Server, 5000, 15000)
		}},
		{experiment.PresetTCPKeepalive, []string{"client.tcpKeepAlive.enable=false"}, func(t *testing.T, r *lab.Result) {
			within(t, "kernel client sockets with a keepalive timer", r.Kernel.KeepalivePeak.Client, 0, 0)
		}},
	}
	for _, tt := range tests {
		name := tt.name
		if len(tt.sets) > 0 {
			name += "/" + strings.Join(tt.sets, ",")
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, runPreset(t, m, tt.name, tt.sets...))
		})
	}
	t.Run("pool-churn vs pool-sized", func(t *testing.T) {
		t.Parallel()
		var churn, sized *lab.Result
		var wg sync.WaitGroup
		wg.Go(func() { churn = runPreset(t, m, experiment.PresetPoolChurn) })
		wg.Go(func() { sized = runPreset(t, m, experiment.PresetPoolSized) })
		wg.Wait()
		if t.Failed() {
			return
		}
		// How many connections each opens depends on scheduling (a finished
		// request hands its connection straight to a waiting worker when
		// there is one: on a fast CPU pool-churn churns less), so only what
		// the mechanism guarantees is asserted, on any CPU:
		for _, p := range []struct {
			name string
			idle int // MaxIdleConnsPerHost
			r    *lab.Result
		}{{experiment.PresetPoolChurn, 2, churn}, {experiment.PresetPoolSized, 50, sized}} {
			c, k := p.r.Connections, p.r.Kernel
			// The server never closes (keep-alive on, no idle timeout
			// within the run): every close is the client's, because its
			// idle pool was full. At the end at most idle connections are
			// pooled; the teardown closes those.
			within(t, p.name+" closed first by the server", c.ClosedFirst.Server+c.ClosedFirst.Simultaneous, 0, 0)
			within(t, p.name+" closed first by the client", c.ClosedFirst.Client, c.Opened-p.idle-c.Teardown, c.Opened)
			// A TIME_WAIT comes only from a connection closed with a FIN
			// before the teardown (the kernel evidence stops there).
			within(t, p.name+" TIME_WAIT peak", k.TimeWaitPeak.Server+k.TimeWaitPeak.Client, 0, c.ClosedFirst.Client)
			checkTimeWait(t, p.r)
		}
		t.Logf("opened: pool-churn %d, pool-sized %d (for %d requests each)", churn.Connections.Opened, sized.Connections.Opened, churn.Requests.Total)
	})
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

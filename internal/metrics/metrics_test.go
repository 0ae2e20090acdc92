package metrics

import (
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// Closes made on the busy port: each first closer's socket holds TIME_WAIT
// for 60 s, longer than any test waits, so the counts are stable.
const serverFirst, clientFirst = 5, 3

// TestScrape reads a real stack's metrics over HTTP: names, labels and
// values against closes made on loopback.
func TestScrape(t *testing.T) {
	lab := runs{{Status: wire.ExpRunning}, {Status: wire.ExpCompleted}, {Status: wire.ExpCompleted}, {Status: wire.ExpFailed}}
	// A range just above the client-side TIME_WAIT the test makes: the
	// forecast finds it exhausted within a finite time at any rate the
	// test can produce (3 closes within 45 s).
	e := newEnv(t, clientFirst+1, lab)
	busy, idle, held := listen(t), listen(t), listen(t)
	e.watch(t, busy.port)
	e.watch(t, idle.port)
	release, err := e.mon.Hold(held.port, "experiment test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	viewer := e.hub.Subscribe(1)
	defer e.hub.Unsubscribe(viewer)

	busy.closes(t, serverFirst, clientFirst)
	B := busy.label()
	// Wait for the polls to see the closes: each first closer's socket
	// holds TIME_WAIT for 60 s. Other processes on this host may use the
	// same port number (on another address, or TIME_WAIT left by an
	// earlier listener): the test's own closes are a lower bound, and the
	// exact check is against the monitor (below).
	eventually(t, "the closes seen", func() bool {
		st, err := e.mon.Status(busy.port)
		return err == nil && st.Counts.Server["TIME_WAIT"] >= serverFirst && st.Counts.Client["TIME_WAIT"] >= clientFirst &&
			st.Flow.Total.ClosedFirst.Server >= serverFirst && st.Flow.Total.ClosedFirst.Client >= clientFirst
	})
	fams, text, sts := e.consistent(t, busy.port, idle.port)

	want := func(name string, labels map[string]string, v float64) {
		t.Helper()
		got, ok := value(fams, name, labels)
		if !ok || got != v {
			t.Errorf("%s%v = %v (present %v), want %v\n%s", name, labels, got, ok, v, text)
		}
	}
	for _, p := range []*listener{busy, idle} {
		st := sts[p.port]
		P := p.label()
		// Every state of both sides, zeros included (a series that
		// vanishes at zero reads as "no data", not as 0), as the poll
		// counted them.
		if n := series(fams, "connlab_tcp_sockets", map[string]string{"port": P}); n != 2*len(states) {
			t.Errorf("port %d: %d connlab_tcp_sockets series, want %d", p.port, n, 2*len(states))
		}
		for _, s := range states {
			want("connlab_tcp_sockets", map[string]string{"port": P, "side": "server", "state": s.label}, float64(st.Counts.Server[s.wire]))
			want("connlab_tcp_sockets", map[string]string{"port": P, "side": "client", "state": s.label}, float64(st.Counts.Client[s.wire]))
		}
		want("connlab_tcp_sockets", map[string]string{"port": P, "side": "server", "state": "listen"}, 1)
		tot := st.Flow.Total
		want("connlab_tcp_connections_opened_total", map[string]string{"port": P, "side": "server"}, float64(tot.OpenedBy.Server))
		want("connlab_tcp_connections_opened_total", map[string]string{"port": P, "side": "client"}, float64(tot.OpenedBy.Client))
		want("connlab_tcp_closed_first_total", map[string]string{"port": P, "closer": "server"}, float64(tot.ClosedFirst.Server))
		want("connlab_tcp_closed_first_total", map[string]string{"port": P, "closer": "client"}, float64(tot.ClosedFirst.Client))
		want("connlab_tcp_closed_first_total", map[string]string{"port": P, "closer": "simultaneous"}, float64(tot.ClosedFirst.Simultaneous))
		want("connlab_tcp_time_wait_entered_total", map[string]string{"port": P, "side": "server"}, float64(tot.TimeWait.Server))
		want("connlab_tcp_time_wait_entered_total", map[string]string{"port": P, "side": "client"}, float64(tot.TimeWait.Client))
		want("connlab_tcp_resets_total", map[string]string{"port": P}, 0)     // polls cannot see them
		want("connlab_tcp_flow_lower_bound", map[string]string{"port": P}, 1) // no kernel transitions here: polls
	}
	// The test's own closes, on the side that closed first.
	at := func(name string, labels map[string]string) float64 { v, _ := value(fams, name, labels); return v }
	if v := at("connlab_tcp_sockets", map[string]string{"port": B, "side": "server", "state": "time_wait"}); v < serverFirst {
		t.Errorf("server-side time_wait %v, want at least %d", v, serverFirst)
	}
	if v := at("connlab_tcp_closed_first_total", map[string]string{"port": B, "closer": "client"}); v < clientFirst {
		t.Errorf("closed first by the client %v, want at least %d", v, clientFirst)
	}
	for _, side := range []string{"server", "client"} {
		if v := at("connlab_tcp_time_wait_steady_sockets", map[string]string{"port": B, "side": side}); v <= 0 {
			t.Errorf("steady TIME_WAIT forecast on the %s side: %v, want > 0 after closes", side, v)
		}
	}
	// The exhaustion forecast is there only when finite: the busy port's
	// client side fills its range, the idle port closes nothing.
	if v, ok := value(fams, "connlab_tcp_ephemeral_exhaustion_seconds", map[string]string{"port": B}); !ok || v < 0 {
		t.Errorf("busy port's exhaustion forecast: %v (present %v), want a finite time", v, ok)
	}
	if _, ok := value(fams, "connlab_tcp_ephemeral_exhaustion_seconds", map[string]string{"port": idle.label()}); ok {
		t.Error("the idle port has an exhaustion forecast")
	}
	// A Lab experiment's port is left out.
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			if hasLabels(m, map[string]string{"port": held.label()}) {
				t.Errorf("%s has a series for the Lab's port %d", name, held.port)
			}
		}
	}
	want("connlab_websocket_viewers", nil, 1)
	for status, n := range map[string]float64{"running": 1, "completed": 2, "stopped": 0, "failed": 1} {
		want("connlab_lab_runs", map[string]string{"status": status}, n)
	}
	want("connlab_build_info", map[string]string{"version": "v9.9.9-test", "goversion": runtime.Version()}, 1)
	want("connlab_sampler_errors_total", nil, 0)
	if n, _ := value(fams, "connlab_sampler_poll_duration_seconds", nil); n < 2 {
		t.Errorf("poll duration histogram holds %v samples, want every poll", n)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if _, ok := fams[name]; !ok && (runtime.GOOS == "linux" || strings.HasPrefix(name, "go_")) {
			t.Errorf("%s missing", name)
		}
	}
	types := map[string]dto.MetricType{
		"connlab_tcp_sockets": dto.MetricType_GAUGE, "connlab_tcp_connections_opened_total": dto.MetricType_COUNTER,
		"connlab_tcp_closed_first_total": dto.MetricType_COUNTER, "connlab_tcp_resets_total": dto.MetricType_COUNTER,
		"connlab_tcp_time_wait_entered_total": dto.MetricType_COUNTER, "connlab_tcp_time_wait_steady_sockets": dto.MetricType_GAUGE,
		"connlab_tcp_ephemeral_exhaustion_seconds": dto.MetricType_GAUGE, "connlab_tcp_flow_lower_bound": dto.MetricType_GAUGE,
		"connlab_sampler_poll_duration_seconds": dto.MetricType_HISTOGRAM, "connlab_sampler_errors_total": dto.MetricType_COUNTER,
		"connlab_websocket_viewers": dto.MetricType_GAUGE, "connlab_lab_runs": dto.MetricType_GAUGE, "connlab_build_info": dto.MetricType_GAUGE,
	}
	for name, typ := range types {
		if f := fams[name]; f == nil || f.GetType() != typ || f.GetHelp() == "" {
			t.Errorf("%s: %v, want type %v with help", name, f, typ)
		}
	}
}

// TestReAddRestartsCounters: the flow counters count since the port is
// watched (the package doc says so); the sockets gauges do not care.
func TestReAddRestartsCounters(t *testing.T) {
	e := newEnv(t, 0, nil)
	s := listen(t)
	e.watch(t, s.port)
	s.closes(t, 2, 0)
	L := map[string]string{"port": s.label(), "closer": "server"}
	var before float64
	eventually(t, "2 server-first closes counted", func() bool {
		fams, _ := e.scrape(t)
		before, _ = value(fams, "connlab_tcp_closed_first_total", L)
		return before >= 2 // other processes may close on this port number too
	})
	if err := e.mon.Remove(s.port); err != nil {
		t.Fatal(err)
	}
	fams, _ := e.scrape(t)
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			if hasLabels(m, map[string]string{"port": s.label()}) {
				t.Fatalf("%s has a series of a port no longer watched", name)
			}
		}
	}
	e.watch(t, s.port)
	fams, text, sts := e.consistent(t, s.port)
	// The TIME_WAIT sockets are still there (60 s); the closes that put
	// them there happened before this watch began: the counter starts
	// again from what the monitor counted since.
	tw, _ := value(fams, "connlab_tcp_sockets", map[string]string{"port": s.label(), "side": "server", "state": "time_wait"})
	closed, ok := value(fams, "connlab_tcp_closed_first_total", L)
	if tw < 2 || !ok || closed != float64(sts[s.port].Flow.Total.ClosedFirst.Server) || closed >= before {
		t.Fatalf("after watching again: time_wait %v, closed first %v (present %v); want at least 2 and fewer than %v:\n%s", tw, closed, ok, before, text)
	}
	if _, ok := value(fams, "connlab_lab_runs", nil); ok {
		t.Error("connlab_lab_runs without a Lab")
	}
}

// TestPollsObserve: every sample lands in the histogram, failures in the
// error counter too.
func TestPollsObserve(t *testing.T) {
	p := NewPolls()
	p.Observe(3*time.Millisecond, nil)
	p.Observe(2*time.Second, errors.New("netlink: permission denied"))
	var h, c dto.Metric
	if err := p.took.Write(&h); err != nil {
		t.Fatal(err)
	}
	if err := p.errors.Write(&c); err != nil {
		t.Fatal(err)
	}
	if n, sum := h.GetHistogram().GetSampleCount(), h.GetHistogram().GetSampleSum(); n != 2 || sum < 2.002 || sum > 2.004 {
		t.Fatalf("histogram count %d sum %v, want 2 and 2.003", n, sum)
	}
	if v := c.GetCounter().GetValue(); v != 1 {
		t.Fatalf("errors %v, want 1", v)
	}
}

// TestStatesMatchSockstat: the label table covers every state a tally
// reports, as the wire spells it, lower-cased as node_exporter does.
func TestStatesMatchSockstat(t *testing.T) {
	if len(states) != len(sockstat.States) {
		t.Fatalf("%d states, sockstat reports %d", len(states), len(sockstat.States))
	}
	for i, s := range sockstat.States {
		if states[i].wire != s.String() || states[i].label != strings.ToLower(s.String()) {
			t.Errorf("state %d: %+v, want %s", i, states[i], s)
		}
	}
}

func TestConfigNeedsPorts(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without Ports succeeded")
	}
}

// TestPromtool runs Prometheus' own linter on a real scrape. It skips
// where promtool is not installed (make deps installs it when root).
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian: apt-get install prometheus; make deps does it when root): " + err.Error())
	}
	e := newEnv(t, clientFirst+1, runs{{Status: wire.ExpCompleted}})
	s := listen(t)
	e.watch(t, s.port)
	s.closes(t, 2, clientFirst)
	eventually(t, "the closes counted", func() bool {
		fams, _ := e.scrape(t)
		_, ok := value(fams, "connlab_tcp_ephemeral_exhaustion_seconds", map[string]string{"port": s.label()})
		return ok // every metric family is present
	})
	_, text := e.scrape(t)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("promtool check metrics: %v\n%s\n--- exposition:\n%s", err, out, text)
	}
	t.Logf("promtool check metrics: clean on %d lines", strings.Count(text, "\n"))
}

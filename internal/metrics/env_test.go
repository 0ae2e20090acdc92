package metrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Timings of the tests.
const (
	waitTimeout  = 15 * time.Second      // any condition a test waits for
	pollInterval = monitor.MinInterval   // the monitor's, as short as allowed
	pollStep     = 20 * time.Millisecond // between two looks at a condition
)

// runs is a fixed list of Lab runs: the collector only counts summaries by
// status, which a list states exactly (the real Lab is wired in by the
// command's test, see metrics_e2e_test.go at the module root).
type runs []wire.ExpSummary

func (r runs) List() []wire.ExpSummary { return r }

// env is a real connlab stack (kernel sampler, monitor, hub) with the
// metrics served over HTTP on 127.0.0.1:0.
type env struct {
	mon   *monitor.Monitor
	hub   *hub.Hub
	m     *Metrics
	ts    *httptest.Server
	polls atomic.Int64 // samples taken
}

// newEnv starts the stack; portRange is the ephemeral range the exhaustion
// forecast assumes.
func newEnv(t *testing.T, portRange int, lab Runs) *env {
	t.Helper()
	sampler, err := sockstat.New(slog.New(slog.DiscardHandler), sockstat.ModeAuto)
	if err != nil {
		t.Fatalf("sampler: %v", err)
	}
	e := &env{hub: hub.New(nil)}
	polls := NewPolls()
	observe := func(took time.Duration, err error) {
		polls.Observe(took, err)
		e.polls.Add(1)
	}
	e.mon = monitor.New(sampler, e.hub, monitor.Options{Interval: pollInterval, PortRange: portRange, OnPoll: observe}, nil)
	e.m, err = New(Config{Ports: e.mon, Viewers: e.hub, Lab: lab, Polls: polls, Version: "v9.9.9-test"})
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.m.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.mon.Run(ctx) }) // stopped by cancel, joined in Cleanup
	t.Cleanup(func() {
		e.ts.Close()
		cancel()
		wg.Wait()
		e.hub.Close()
		_ = sampler.Close()
	})
	return e
}

// watch adds port and waits for two polls past it, so the changes that
// follow are not the flow's baseline.
func (e *env) watch(t *testing.T, port uint16) {
	t.Helper()
	if err := e.mon.Add(port); err != nil {
		t.Fatal(err)
	}
	from := e.polls.Load()
	eventually(t, "two polls after watching", func() bool { return e.polls.Load() >= from+2 })
}

// scrape GETs /metrics and parses it.
func (e *env) scrape(t *testing.T) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	resp, err := e.ts.Client().Get(e.ts.URL)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse the exposition: %v\n%s", err, body)
	}
	return fams, string(body)
}

// value is the sample of family name whose labels include want; ok is
// false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// series counts the samples of family name whose labels include want.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) int {
	n := 0
	for _, m := range fams[name].GetMetric() {
		if hasLabels(m, want) {
			n++
		}
	}
	return n
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(pollStep) // polling a condition, bounded by deadline
	}
}

// listener is a listener on a kernel-picked loopback port.
type listener struct {
	ln   net.Listener
	port uint16
}

func listen(t *testing.T) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &listener{ln: ln, port: uint16(ln.Addr().(*net.TCPAddr).Port)}
}

func (s *listener) label() string { return strconv.Itoa(int(s.port)) }

// closes makes n connections that the server closes first, then m that the
// client closes first. The first closer's socket ends in TIME_WAIT (60 s).
func (s *listener) closes(t *testing.T, n, m int) {
	t.Helper()
	for i := range n + m {
		c, err := net.Dial("tcp", s.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if i < n {
			closeFirst(t, a, c)
		} else {
			closeFirst(t, c, a)
		}
	}
}

// closeFirst closes first, then waits for its FIN to reach second (EOF)
// before closing second: first's socket goes to TIME_WAIT.
func closeFirst(t *testing.T, first, second net.Conn) {
	t.Helper()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	_ = second.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, err := second.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the peer closed: %v, want EOF", err)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
}

// consistent scrapes between two reads of the monitor that saw the same
// poll of every port given, so the scrape shows that poll: it retries
// while a poll falls in between. It returns the ports' status of that
// poll, flows included (from polls, a flow changes only at a poll).
func (e *env) consistent(t *testing.T, ports ...uint16) (map[string]*dto.MetricFamily, string, map[uint16]wire.PortStatus) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		before := map[uint16]wire.PortStatus{}
		for _, p := range ports {
			st, err := e.mon.Status(p)
			if err != nil {
				t.Fatal(err)
			}
			before[p] = st
		}
		fams, text := e.scrape(t)
		same := true
		for _, p := range ports {
			st, err := e.mon.Status(p)
			if err != nil {
				t.Fatal(err)
			}
			same = same && st.At == before[p].At && st.At != ""
		}
		if same {
			return fams, text, before
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scrape fell between two polls within %s", waitTimeout)
		}
	}
}

package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestResultJSONAndText: the JSON carries the names scripts rely on, and
// the text report shows the verdict and the tables.
func TestResultJSONAndText(t *testing.T) {
	m := NewManager(testKernel, nil, testLog(), ManagerOptions{})
	defer m.Close()
	spec, _ := Preset(PresetClientDisableKeepalive)
	spec.Requests = 5
	spec.Interval = Duration(10 * time.Millisecond)
	spec.Observe = Duration(200 * time.Millisecond)
	id, err := m.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	r := wait(t, m, id)

	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"id", "preset", "go", "port", "status", "spec.client.disableKeepAlives",
		"requests.total", "requests.errors", "requests.reused", "requests.retried",
		"connections.opened", "connections.reset",
		"connections.closedFirst.server", "connections.closedFirst.client", "connections.closedFirst.simultaneous",
		"kernel.timeWaitPeak.server", "kernel.timeWaitPeak.client",
		"latency.p50Ms", "latency.p99Ms", "progress.phase", "lanes", "log", "timeline.t",
	} {
		if _, err := lookup(v, path); err != nil {
			t.Errorf("JSON %s: %v", path, err)
		}
	}
	if got, _ := lookup(v, "go"); got != runtime.Version() {
		t.Errorf("go = %v", got)
	}
	if got, _ := lookup(v, "requests.total"); got != float64(5) {
		t.Errorf("requests.total = %v", got)
	}
	fs, _ := v["findings"].([]any)
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range fs {
		for _, k := range []string{"id", "text", "evidence"} {
			if _, ok := f.(map[string]any)[k]; !ok {
				t.Errorf("finding without %s: %v", k, f)
			}
		}
	}

	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"connlab run client-disable-keepalive", runtime.Version(), "completed",
		"question: What happens when the client turns keep-alive off",
		"-set:     requests=5 interval=10ms observe=200ms",
		"VERDICT", "REQUESTS     total 5,", "server saw Connection: close x5",
		"closed first: server", "KERNEL", "TIME_WAIT peak", "LAST 5 OF 5 CONNECTIONS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	if err := WriteText(failWriter{}, r); err == nil {
		t.Error("WriteText hid a write error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func lookup(v map[string]any, path string) (any, error) {
	var cur any = v
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, errors.New("not an object before " + k)
		}
		if cur, ok = m[k]; !ok {
			return nil, errors.New("missing " + k)
		}
	}
	return cur, nil
}

func TestHist(t *testing.T) {
	var h hist
	if h.quantileMs(0.5) != 0 {
		t.Fatal("empty histogram has a median")
	}
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct{ q, want float64 }{{0.5, 500}, {0.99, 990}, {0, 1}, {1, 1000}} {
		got := h.quantileMs(tc.q)
		if d := got/tc.want - 1; d > 0.04 || d < -0.04 {
			t.Errorf("q%.2f = %.1f ms, want %.0f within 4%%", tc.q, got, tc.want)
		}
	}
	var g hist
	g.add(3 * time.Microsecond)
	g.merge(&h)
	if g.n != 1001 || g.maxMs() != 1000 {
		t.Errorf("merge: n %d max %.1f", g.n, g.maxMs())
	}
	for us := uint64(0); us < 1<<40; us = us*3/2 + 1 {
		if i := histIndex(us); i < 0 || i >= histBuckets {
			t.Fatalf("index %d for %d µs", i, us)
		}
		if mid := histMid(histIndex(us)); us >= histLinear && (mid < float64(us)*0.96 || mid > float64(us)*1.04) {
			t.Fatalf("bucket of %d µs has middle %.0f", us, mid)
		}
	}
}

func TestStripPortsAndConnIndex(t *testing.T) {
	got := stripPorts(`read tcp 127.0.0.1:54722->127.0.0.1:40123: read: connection reset by peer`)
	if want := `read tcp 127.0.0.1:P->127.0.0.1:P: read: connection reset by peer`; got != want {
		t.Errorf("stripPorts = %q", got)
	}
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

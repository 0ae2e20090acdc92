package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestResultJSONAndText: the JSON carries the names scripts rely on, and
// the text report shows the verdict and the tables.
func TestResultJSONAndText(t *testing.T) {
	m := lab.NewManager(testKernel, nil, testLog(), lab.ManagerOptions{})
	defer m.Close()
	spec, _ := experiment.Preset(experiment.PresetClientDisableKeepalive)
	spec.Requests = 5
	spec.Interval = experiment.Duration(10 * time.Millisecond)
	spec.Observe = experiment.Duration(200 * time.Millisecond)
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
	if err := lab.WriteText(&buf, r); err != nil {
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
	if err := lab.WriteText(failWriter{}, r); err == nil {
		t.Error("lab.WriteText hid a write error")
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

package lab_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// waitFor polls cond every few ms until it holds, failing after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func untilStopped() experiment.Spec {
	s := experiment.Default()
	s.Requests = 0
	s.Interval = experiment.Duration(5 * time.Millisecond)
	s.Observe = 0
	return s
}

func wait(t *testing.T, m *lab.Manager, id string) *lab.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := m.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	return r
}

func TestStartInvalidSpec(t *testing.T) {
	m := lab.NewManager(nil, nil, nil, lab.ManagerOptions{})
	defer m.Close()
	s := experiment.Default()
	s.Concurrency = 0
	_, err := m.Start(context.Background(), s)
	var fe *experiment.FieldError
	if !errors.As(err, &fe) || fe.Field != "concurrency" {
		t.Fatalf("got %v, want a concurrency experiment.FieldError", err)
	}
}

func TestStopBusyClose(t *testing.T) {
	m := lab.NewManager(nil, nil, testLog(), lab.ManagerOptions{})
	var ids []string
	for range lab.MaxRunning {
		id, err := m.Start(context.Background(), untilStopped())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := m.Start(context.Background(), untilStopped()); !errors.Is(err, lab.ErrBusy) {
		t.Fatalf("5th start: %v, want lab.ErrBusy", err)
	}
	if got := len(m.List()); got != lab.MaxRunning {
		t.Fatalf("List has %d, want %d", got, lab.MaxRunning)
	}
	// Get is safe while the run goes on.
	waitFor(t, 10*time.Second, "requests", func() bool {
		r, ok := m.Get(ids[0])
		return ok && r.Requests.Total >= 10
	})
	if err := m.Stop(ids[0]); err != nil {
		t.Fatal(err)
	}
	r := wait(t, m, ids[0])
	if r.Status != wire.ExpStopped || r.Progress.Phase != wire.PhaseDone {
		t.Fatalf("status %s phase %s, want stopped/done", r.Status, r.Progress.Phase)
	}
	if r.Requests.Errors != 0 {
		t.Errorf("stop counted %d errors (%v): in-flight requests are canceled, not failed", r.Requests.Errors, r.Requests.ErrorSamples)
	}
	if !r.Progress.UntilStopped {
		t.Error("progress.untilStopped not set")
	}
	// A slot is free again.
	id, err := m.Start(context.Background(), untilStopped())
	if err != nil {
		t.Fatalf("start after stop: %v", err)
	}
	ids = append(ids, id)
	if err := m.Stop("nope"); !errors.Is(err, lab.ErrNotFound) {
		t.Fatalf("Stop(nope) = %v", err)
	}
	if _, ok := m.Get("nope"); ok {
		t.Fatal("Get(nope) found something")
	}
	m.Close()
	for _, id := range ids {
		if r, ok := m.Get(id); !ok || r.Status != wire.ExpStopped {
			t.Errorf("%s after Close: %v %v", id, ok, r.Status)
		}
	}
	if _, err := m.Start(context.Background(), experiment.Default()); !errors.Is(err, lab.ErrClosed) {
		t.Fatalf("start after Close: %v", err)
	}
}

// TestNothingLeft: once an experiment ended, the kernel shows no socket of
// its port but TIME_WAIT (no listener, no open connection).
func TestNothingLeft(t *testing.T) {
	m := lab.NewManager(nil, nil, testLog(), lab.ManagerOptions{})
	defer m.Close()
	for _, name := range []string{experiment.PresetBodyNotClosed, experiment.PresetHTTP10, experiment.PresetH2CMultiplex} {
		spec, _ := experiment.Preset(name)
		spec.Observe = 0
		spec.Requests = 10
		if name == experiment.PresetHTTP10 {
			spec.Client.Body = experiment.BodyReadNoClose // the raw client leaks its conns: CLOSE_WAIT until the teardown
		}
		id, err := m.Start(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		r := wait(t, m, id)
		s, err := sockstat.New(testLog(), sockstat.ModeAuto)
		if err != nil {
			t.Fatal(err)
		}
		socks, err := s.Sample([]uint16{r.Port}, nil)
		_ = s.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, so := range socks {
			if so.State != sockstat.TimeWait {
				t.Errorf("%s: %s %s -> %s left after the end", name, so.State, so.Local, so.Remote)
			}
		}
	}
}

// recorder is a Publisher that keeps every message of one topic, in order.
// Like a hub subscriber, it only records once joined (in add).
type recorder struct {
	mu     sync.Mutex
	topic  string
	joined bool
	msgs   [][]byte
}

func (p *recorder) Publish(topic string, msg []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.joined && topic == p.topic {
		p.msgs = append(p.msgs, msg)
	}
}

// add is the Subscribe callback: join and record the snapshot.
func (p *recorder) add(msg []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.joined = true
	p.msgs = append(p.msgs, msg)
}

// TestSubscribe: a snapshot followed by updates misses nothing and repeats
// nothing: update seqs follow the snapshot's, every request-log line and
// kernel row arrives once, and the last update is Done.
func TestSubscribe(t *testing.T) {
	pub := &recorder{}
	m := lab.NewManager(testKernel, pub, testLog(), lab.ManagerOptions{BatchInterval: 20 * time.Millisecond})
	defer m.Close()
	spec, _ := experiment.Preset(experiment.PresetClientDisableKeepalive)
	spec.Interval = experiment.Duration(10 * time.Millisecond)
	spec.Requests = 60
	spec.Observe = experiment.Duration(200 * time.Millisecond)
	id, err := m.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	pub.mu.Lock()
	pub.topic = lab.Topic(id)
	pub.mu.Unlock()
	waitFor(t, 10*time.Second, "some requests", func() bool {
		r, _ := m.Get(id)
		return r.LogTotal >= 10
	})
	// Subscribe the way the server does: join inside fn.
	if err := m.Subscribe(id, pub.add); err != nil {
		t.Fatal(err)
	}
	res := wait(t, m, id)

	pub.mu.Lock()
	msgs := pub.msgs
	pub.mu.Unlock()
	var snap wire.ExpSnapshot
	if err := json.Unmarshal(msgs[0], &snap); err != nil || snap.Type != wire.TypeExpSnapshot {
		t.Fatalf("first message is not a snapshot: %v %s", err, msgs[0][:min(80, len(msgs[0]))])
	}
	logSeen := map[uint64]int{}
	for _, l := range snap.Result.Log {
		logSeen[l.Seq]++
	}
	rowSeen := map[uint64]int{}
	addRows := func(tl wire.Timeline) {
		for i := range tl.T {
			rowSeen[tl.Seq0+uint64(i)]++
		}
		if n := len(tl.T); n > 0 && tl.Seq-tl.Seq0+1 != uint64(n) {
			t.Errorf("timeline seq0 %d seq %d with %d rows", tl.Seq0, tl.Seq, n)
		}
	}
	addRows(snap.Result.Timeline)
	seq := snap.Seq
	var last wire.ExpUpdate
	for _, b := range msgs[1:] {
		var up wire.ExpUpdate
		if err := json.Unmarshal(b, &up); err != nil || up.Type != wire.TypeExpUpdate {
			t.Fatalf("not an update: %v", err)
		}
		if up.Seq != seq+1 {
			t.Fatalf("update seq %d after %d", up.Seq, seq)
		}
		seq = up.Seq
		for _, l := range up.Log {
			logSeen[l.Seq]++
		}
		addRows(up.Timeline)
		last = up
	}
	if !last.Done || last.Status != wire.ExpCompleted {
		t.Fatalf("last update done=%v status=%s", last.Done, last.Status)
	}
	for s, n := range logSeen {
		if n != 1 {
			t.Errorf("log line %d delivered %d times", s, n)
		}
	}
	if len(logSeen) != res.LogTotal || res.LogTotal != 60 {
		t.Errorf("%d log lines delivered, result has %d, want 60", len(logSeen), res.LogTotal)
	}
	for s, n := range rowSeen {
		if n != 1 {
			t.Errorf("kernel row %d delivered %d times", s, n)
		}
	}
	if len(rowSeen) != res.Kernel.Polls {
		t.Errorf("%d kernel rows delivered, %d polls", len(rowSeen), res.Kernel.Polls)
	}
	if last.Connections.Opened != 60 || last.Requests.Total != 60 {
		t.Errorf("final update: %d conns %d requests", last.Connections.Opened, last.Requests.Total)
	}
	if len(last.Findings) == 0 {
		t.Error("final update has no findings")
	}
	if err := m.Subscribe("nope", func([]byte) {}); !errors.Is(err, lab.ErrNotFound) {
		t.Errorf("Subscribe(nope) = %v", err)
	}
}

func TestNoKernelAndRate(t *testing.T) {
	m := lab.NewManager(nil, nil, testLog(), lab.ManagerOptions{})
	defer m.Close()
	s := experiment.Default()
	s.Requests = 0
	s.Duration = experiment.Duration(time.Second)
	s.Rate = 200
	s.Concurrency = 4
	s.Client.MaxIdleConnsPerHost = 4 // no pool churn however the requests overlap
	s.Observe = 0
	id, err := m.Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	r := wait(t, m, id)
	if r.Kernel.Polls != 0 || r.Kernel.Source != "" {
		t.Errorf("kernel evidence without a kernel: %+v", r.Kernel)
	}
	// 200/s for 1 s; the last slots may fall after the deadline, and -race
	// slows the first ones.
	within(t, "requests at 200/s for 1s", r.Requests.Total, 150, 201)
	// At most 4 at once, but the Transport may dial for a request that then
	// takes a connection freed meanwhile; surplus idle ones are closed.
	within(t, "connections", r.Connections.Opened, 1, 16)
}

// TestFinishedRunsBounded: ended runs keep their result and let the rest go
// (workers, buffers), and all of them together stay within FinishedBytes,
// the oldest forgotten first (issue #6: 56 MB kept per run of 1000 workers).
func TestFinishedRunsBounded(t *testing.T) {
	const budget = 1 << 20
	m := lab.NewManager(nil, nil, testLog(), lab.ManagerOptions{FinishedBytes: budget})
	defer m.Close()
	spec, err := experiment.Preset(experiment.PresetKeepaliveDefault)
	if err != nil {
		t.Fatal(err)
	}
	spec.Concurrency, spec.Requests, spec.Observe = 1000, 1, 0
	var ids []string
	var largest int
	for range 12 {
		id, err := m.Start(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if r := wait(t, m, id); r.Status != wire.ExpCompleted {
			t.Fatalf("status %s (%s)", r.Status, r.Error)
		}
		largest = max(largest, m.SizeOf(id))
		if got := m.FinishedBytes(); got > budget+largest {
			t.Fatalf("finished runs keep %d bytes, budget %d (+ the last run, %d)", got, budget, largest)
		}
	}
	// The latest run is always kept; the oldest went first.
	if _, ok := m.Get(ids[len(ids)-1]); !ok {
		t.Fatal("the run that just ended was forgotten")
	}
	if _, ok := m.Get(ids[0]); ok && m.FinishedBytes() > budget {
		t.Fatal("the oldest run kept while over the budget")
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("after 12 runs of 1000 workers: %d finished bytes kept, heap %d MB", m.FinishedBytes(), ms.HeapAlloc>>20)
	// Without freeze every run kept its 1000 workers (tens of MB each).
	if ms.HeapAlloc > 64<<20 {
		t.Fatalf("heap %d MB after the runs ended: finished runs hold more than their results", ms.HeapAlloc>>20)
	}
}

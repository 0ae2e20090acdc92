package loadgen

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connlab/connlab/internal/hist"
	"github.com/connlab/connlab/internal/ring"
	"github.com/connlab/connlab/internal/wire"
)

// Response framings.
const (
	framingNone = iota
	framingLength
	framingChunked
	framingEOF
	framingH2
	nFramings
)

var framingNames = [nFramings]string{"", "content-length", "chunked", "eof", "h2"}

// Tally adds up requests. Each worker owns one; Client.Tally merges them.
type Tally struct {
	total, ok, errors, canceled int
	reused, wasIdle, retried    int
	respClose, bodyUnread       int
	framing                     [nFramings]int
	status                      map[int]int
	errs                        map[string]int
	errOther                    int
	lat                         hist.Hist
}

func (t *Tally) merge(o *Tally) {
	t.total += o.total
	t.ok += o.ok
	t.errors += o.errors
	t.canceled += o.canceled
	t.reused += o.reused
	t.wasIdle += o.wasIdle
	t.retried += o.retried
	t.respClose += o.respClose
	t.bodyUnread += o.bodyUnread
	for i, n := range o.framing {
		t.framing[i] += n
	}
	for k, n := range o.status {
		if t.status == nil {
			t.status = map[int]int{}
		}
		t.status[k] += n
	}
	for k, n := range o.errs {
		t.addErr(k, n)
	}
	t.errOther += o.errOther
	t.lat.Merge(&o.lat)
}

func (t *Tally) addErr(msg string, n int) {
	if t.errs == nil {
		t.errs = map[string]int{}
	}
	if _, ok := t.errs[msg]; ok || len(t.errs) < maxErrorSamples {
		t.errs[msg] += n
		return
	}
	t.errOther += n
}

// outcome is one finished request, as a worker measured it.
type outcome struct {
	line     wire.RequestLine
	canceled bool
	framing  int
	unread   bool
	latency  time.Duration
}

// workerStats is one worker's tally and its log lines not yet drained by
// the batcher. Only the worker and the batcher take mu.
type workerStats struct {
	mu      sync.Mutex
	t       Tally
	pending *ring.Ring[wire.RequestLine]
	dropped int // lines evicted before a drain
}

func newWorkerStats() *workerStats {
	return &workerStats{pending: ring.New[wire.RequestLine](workerLogCap)}
}

func (ws *workerStats) record(o *outcome) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	t := &ws.t
	if _, ev := ws.pending.Push(o.line); ev {
		ws.dropped++
	}
	if o.canceled {
		t.canceled++
		return
	}
	t.total++
	l := &o.line
	if l.Error != "" {
		t.errors++
		t.addErr(l.Error, 1)
	} else {
		t.ok++
		t.lat.Add(o.latency)
	}
	if l.Reused {
		t.reused++
	}
	if l.WasIdle {
		t.wasIdle++
	}
	if l.Attempts > 1 {
		t.retried++
	}
	if l.RespClose {
		t.respClose++
	}
	if o.unread {
		t.bodyUnread++
	}
	if l.Status != 0 {
		if t.status == nil {
			t.status = map[int]int{}
		}
		t.status[l.Status]++
		t.framing[o.framing]++
	}
}

// drain moves the pending lines to dst and returns it, and how many lines
// were evicted unseen since the last drain.
func (ws *workerStats) drain(dst []wire.RequestLine) ([]wire.RequestLine, int) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.pending.Each(func(l *wire.RequestLine) { dst = append(dst, *l) })
	ws.pending.Reset()
	d := ws.dropped
	ws.dropped = 0
	return dst, d
}

func (ws *workerStats) mergeInto(t *Tally) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	t.merge(&ws.t)
}

// Total is the number of requests finished (ok or failed, not canceled).
func (t *Tally) Total() int { return t.total }

// Latency is the latency of the successful requests, and the throughput
// over workloadMs.
func (t *Tally) Latency(workloadMs float64) wire.ExpLatency {
	l := wire.ExpLatency{
		P50Ms:  t.lat.QuantileMs(0.50),
		P99Ms:  t.lat.QuantileMs(0.99),
		MeanMs: t.lat.MeanMs(),
		MaxMs:  t.lat.MaxMs(),
	}
	if s := workloadMs / 1000; s > 0 {
		l.RequestsPerSec = float64(t.total) / s
	}
	return l
}

// Requests renders the tally for the wire; byConn and byProto are what the
// server saw (target.Server.SawCounts).
func (t *Tally) Requests(byConn, byProto map[string]int) wire.ExpRequests {
	r := wire.ExpRequests{
		Total: t.total, OK: t.ok, Errors: t.errors, Canceled: t.canceled,
		Reused: t.reused, WasIdle: t.wasIdle, Retried: t.retried,
		RespClose: t.respClose, BodyUnread: t.bodyUnread,
		ServerSaw: byConn, Protos: byProto,
		Framing: map[string]int{}, Status: map[string]int{},
	}
	for i, n := range t.framing {
		if n > 0 && i != framingNone {
			r.Framing[framingNames[i]] = n
		}
	}
	for code, n := range t.status {
		r.Status[strconv.Itoa(code)] = n
	}
	if len(t.errs) > 0 || t.errOther > 0 {
		r.ErrorSamples = make(map[string]int, len(t.errs)+1)
		for k, n := range t.errs {
			r.ErrorSamples[k] = n
		}
		if t.errOther > 0 {
			r.ErrorSamples["(other errors)"] = t.errOther
		}
	}
	return r
}

// stripPorts replaces every ":<digits>" by ":P" so that the same error on
// different connections counts once.
func stripPorts(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] != ':' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > i+1 {
			b.WriteByte('P')
			i = j - 1
		}
	}
	return b.String()
}

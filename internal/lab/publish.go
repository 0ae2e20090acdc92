package lab

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/tap"
	"github.com/connlab/connlab/internal/verdict"
	"github.com/connlab/connlab/internal/wire"
)

// Publisher delivers an encoded message to the subscribers of a topic
// (hub.Hub satisfies it). It must not block nor modify msg.
type Publisher interface {
	Publish(topic string, msg []byte)
}

// Topic is the topic that carries an experiment's events: "exp:<id>".
func Topic(id string) string { return "exp:" + id }

// measures is every counter of a run at one moment: the wire measures the
// result and the update share, with the run's status and error.
type measures struct {
	status, err string
	wire.ExpMeasures
}

// measure gathers the counters and runs the verdict on them.
func (r *run) measure() measures {
	t := r.client.Tally()
	byConn, byProto := r.srv.SawCounts()
	var m measures
	m.Requests = t.Requests(byConn, byProto)
	m.Connections = r.tr.Connections()
	m.Kernel = r.ks.render()
	now := time.Now()
	r.mu.Lock()
	m.status = r.status
	if r.err != nil {
		m.err = r.err.Error()
	}
	end, workEnd := r.ended, r.workEnd
	m.Progress.Phase = r.phase
	m.Progress.ObserveEnded = r.observeEnded
	r.mu.Unlock()
	if end.IsZero() {
		end = now
	}
	if workEnd.IsZero() {
		workEnd = now
	}
	m.Progress.ElapsedMs = tap.Ms(int64(end.Sub(r.start)))
	m.Progress.WorkloadMs = tap.Ms(int64(workEnd.Sub(r.start)))
	m.Progress.RequestsDone = t.Total()
	m.Progress.RequestsTarget = r.spec.Requests
	m.Progress.DurationMs = tap.Ms(int64(r.spec.Duration))
	m.Progress.ObserveMs = tap.Ms(int64(r.spec.Observe))
	m.Progress.UntilStopped = r.spec.UntilStopped()
	m.Latency = t.Latency(m.Progress.WorkloadMs)
	ev := evidenceOf(&m, r.ks.keepaliveTotal())
	ev.Focus = experiment.Answers(r.spec.Preset)
	fs := verdict.Analyze(ev)
	m.Findings = wireFindings(fs)
	m.Answer = verdict.Answer(fs, ev.Focus)
	return m
}

// drainLocked moves the workers' new log lines into the run's log (in
// request order) and returns them, with how many were dropped unseen.
func (r *run) drainLocked() (lines []wire.RequestLine, dropped int) {
	lines, dropped = r.client.Drain(r.scratch[:0])
	slices.SortFunc(lines, func(a, b wire.RequestLine) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	for _, l := range lines {
		r.reqLog.Push(l)
	}
	r.logTotal += len(lines) + dropped
	r.scratch = lines
	return lines, dropped
}

// publishBatch drains the workers and publishes one update (the last one
// with Done set when final).
func (r *run) publishBatch(final bool) {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	if r.final != nil {
		return // frozen: the final update went out before
	}
	lines, skipped := r.drainLocked()
	if r.pub == nil {
		return
	}
	m := r.measure()
	lanes, lskip := r.tr.ChangedLanes(wire.ExpLanesPerUpdate)
	if n := len(lines) - wire.ExpLogPerUpdate; n > 0 {
		skipped += n
		lines = lines[n:]
	}
	kseq := r.ks.lastSeq()
	tl := r.ks.timeline(r.kseq, kseq)
	r.kseq = kseq
	r.seq++
	status := m.status
	if status == "" {
		status = wire.ExpRunning
	}
	up := wire.ExpUpdate{
		Type:         wire.TypeExpUpdate,
		ID:           r.id,
		Seq:          r.seq,
		At:           time.Now().UnixMilli(),
		Status:       status,
		Error:        m.err,
		Done:         final,
		ExpMeasures:  m.ExpMeasures,
		Lanes:        lanes,
		LanesSkipped: lskip,
		Log:          append([]wire.RequestLine{}, lines...),
		LogSkipped:   skipped,
		Timeline:     tl,
	}
	b, err := json.Marshal(&up)
	if err != nil {
		r.log.Error("encode experiment update", "id", r.id, "err", err)
		return
	}
	r.pub.Publish(r.topic, b)
}

// snapshot encodes the whole result as of the last published update and
// calls fn with it while no update can be published.
func (r *run) snapshot(fn func([]byte)) error {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	snap := wire.ExpSnapshot{Type: wire.TypeExpSnapshot, ID: r.id, Seq: r.seq}
	if r.final != nil {
		snap.Result = *r.final
	} else {
		snap.Result = r.resultLocked(r.kseq)
	}
	b, err := json.Marshal(&snap)
	if err != nil {
		return err
	}
	fn(b)
	return nil
}

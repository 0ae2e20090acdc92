package lab

import (
	"encoding/json"
	"runtime"
	"slices"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// Result is an experiment's status and everything it measured: the JSON of
// GET /api/experiments/{id} and `connlab run -json` (see
// wire.ExperimentResult for the field names scripts rely on).
type Result = wire.ExperimentResult

// Summary is one experiment in List.
type Summary = wire.ExpSummary

// result is the whole result now (safe while the run goes on).
func (r *run) result() *Result {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	if r.final != nil {
		res := *r.final
		return &res
	}
	res := r.resultLocked(^uint64(0))
	return &res
}

// freeze keeps what an ended run is asked for, its final result with at most
// finishedLanes lanes and finishedLog log lines, and lets everything else go:
// the client (workers, buffers, transport), the tracker, the kernel rows
// and the server. It returns the bytes kept (the result's JSON size).
func (r *run) freeze() int {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	res := r.resultLocked(^uint64(0))
	res.Lanes = slices.Clone(res.Lanes[max(0, len(res.Lanes)-finishedLanes):])
	res.Log = slices.Clone(res.Log[max(0, len(res.Log)-finishedLog):])
	b, err := json.Marshal(&res)
	r.final, r.size = &res, len(b)
	if err != nil {
		r.size = 1 << 20 // unknowable; count it as large
	}
	r.client, r.tr, r.ks, r.srv = nil, nil, nil, nil
	r.dialer, r.reqLog, r.scratch = nil, nil, nil
	return r.size
}

// resultLocked builds the result with the kernel rows up to seq upTo.
// Callers hold pubMu.
func (r *run) resultLocked(upTo uint64) Result {
	m := r.measure()
	lanes, total := r.tr.Lanes()
	return Result{
		ID:          r.id,
		Preset:      r.spec.Preset,
		Go:          runtime.Version(),
		Port:        r.port,
		Status:      m.status,
		Error:       m.err,
		Spec:        r.specJSON,
		StartedAt:   r.start.Format(time.RFC3339Nano),
		StartedAtMs: r.start.UnixMilli(),
		ExpMeasures: m.ExpMeasures,
		Lanes:       lanes,
		LanesTotal:  total,
		Log:         r.reqLog.Slice(),
		LogTotal:    r.logTotal,
		Timeline:    r.ks.timeline(0, upTo),
	}
}

// summary is the run's line in List.
func (r *run) summary() Summary {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	if f := r.final; f != nil {
		s := f.Summary()
		s.Saved = r.saved.Load()
		return s
	}
	m := r.measure()
	return Summary{
		ID:          r.id,
		Preset:      r.spec.Preset,
		Port:        r.port,
		Status:      m.status,
		Error:       m.err,
		StartedAt:   r.start.Format(time.RFC3339Nano),
		StartedAtMs: r.start.UnixMilli(),
		Progress:    m.Progress,
		Requests:    m.Requests.Total,
		Errors:      m.Requests.Errors,
		Connections: m.Connections.Opened,
	}
}

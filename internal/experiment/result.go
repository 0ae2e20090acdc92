package experiment

import (
	"runtime"
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
	res := r.resultLocked(^uint64(0))
	return &res
}

// resultLocked builds the result with the kernel rows up to seq upTo.
// Callers hold pubMu.
func (r *run) resultLocked(upTo uint64) Result {
	m := r.measure()
	lanes, total := r.tr.lanes()
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
		Progress:    m.progress,
		Requests:    m.requests,
		Connections: m.conns,
		Kernel:      m.kernel,
		Latency:     m.latency,
		Findings:    m.findings,
		Lanes:       lanes,
		LanesTotal:  total,
		Log:         r.reqLog.slice(),
		LogTotal:    r.logTotal,
		Timeline:    r.ks.timeline(0, upTo),
	}
}

// summary is the run's line in List.
func (r *run) summary() Summary {
	m := r.measure()
	return Summary{
		ID:          r.id,
		Preset:      r.spec.Preset,
		Port:        r.port,
		Status:      m.status,
		Error:       m.err,
		StartedAt:   r.start.Format(time.RFC3339Nano),
		StartedAtMs: r.start.UnixMilli(),
		Progress:    m.progress,
		Requests:    m.requests.Total,
		Errors:      m.requests.Errors,
		Connections: m.conns.Opened,
	}
}

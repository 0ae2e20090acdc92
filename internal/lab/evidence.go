package lab

import (
	"runtime"

	"github.com/connlab/connlab/internal/verdict"
	"github.com/connlab/connlab/internal/wire"
)

// evidenceOf turns the measurements into the verdict's Evidence: observed
// facts only, never the spec.
func evidenceOf(m *measures, keepaliveTotal int) verdict.Evidence {
	q, c, k := &m.Requests, &m.Connections, &m.Kernel
	return verdict.Evidence{
		Go:         runtime.Version(),
		Completed:  m.status == wire.ExpCompleted,
		Running:    m.status == wire.ExpRunning,
		DurationMs: m.Progress.WorkloadMs,
		Requests: verdict.Requests{
			Total:        q.Total,
			Errors:       q.Errors,
			ErrorSamples: q.ErrorSamples,
			Reused:       q.Reused,
			WasIdle:      q.WasIdle,
			Retried:      q.Retried,
			ServerSaw:    q.ServerSaw,
			Protos:       q.Protos,
			RespClose:    q.RespClose,
			Framing:      q.Framing,
			Status:       q.Status,
			BodyUnread:   q.BodyUnread,
		},
		Connections: verdict.Connections{
			Accepted:                c.Opened,
			Dialed:                  c.Dialed,
			ClosedFirstServer:       c.ClosedFirst.Server,
			ClosedFirstClient:       c.ClosedFirst.Client,
			ClosedFirstSimultaneous: c.ClosedFirst.Simultaneous,
			// Open: not ended by the workload or the observe tail (those the
			// teardown closed, and any still open).
			Open:                   c.Open + c.Teardown,
			Reset:                  c.Reset,
			ServerIdleClosed:       c.ServerIdleClosed,
			Unused:                 c.Unused,
			MaxRequestsPerConn:     c.MaxRequestsPerConn,
			PeakOpen:               c.PeakOpen,
			MedianLifetimeMs:       c.MedianLifetimeMs,
			Carried:                c.Carried,
			ReusedRequests:         c.ReusedRequests,
			CloseWaitMedianMs:      c.CloseWaitMedianMs,
			CloseWaitMaxMs:         c.CloseWaitMaxMs,
			CloseWaitOver:          c.CloseWaitOver,
			LeftInCloseWaitServer:  c.LeftInCloseWait.Server,
			LeftInCloseWaitClient:  c.LeftInCloseWait.Client,
			TeardownTimeWaitServer: c.TeardownTimeWait.Server,
			TeardownTimeWaitClient: c.TeardownTimeWait.Client,
		},
		Kernel: verdict.Kernel{
			Polls:                 k.Polls,
			Source:                k.Source,
			TimeWaitPeakServer:    k.TimeWaitPeak.Server,
			TimeWaitPeakClient:    k.TimeWaitPeak.Client,
			TimeWaitEndServer:     k.TimeWaitEnd.Server,
			TimeWaitEndClient:     k.TimeWaitEnd.Client,
			DrainedMs:             k.DrainedMs,
			EstablishedPeakServer: k.EstablishedPeak.Server,
			EstablishedPeakClient: k.EstablishedPeak.Client,
			CloseWaitPeakServer:   k.CloseWaitPeak.Server,
			CloseWaitPeakClient:   k.CloseWaitPeak.Client,
			KeepaliveTimers:       keepaliveTotal,
		},
		Latency: verdict.Latency{
			P50Ms:          m.Latency.P50Ms,
			P99Ms:          m.Latency.P99Ms,
			RequestsPerSec: m.Latency.RequestsPerSec,
		},
	}
}

func wireFindings(fs []verdict.Finding) []wire.Finding {
	out := make([]wire.Finding, len(fs))
	for i, f := range fs {
		out[i] = wire.Finding{ID: f.ID, Level: f.Level, Text: f.Text, Evidence: f.Evidence, Why: f.Why, Change: f.Change}
		if out[i].Evidence == nil {
			out[i].Evidence = []string{}
		}
	}
	return out
}

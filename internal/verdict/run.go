package verdict

import "fmt"

// completed warns that an unfinished run's evidence may be partial.
func completed(ev Evidence) Finding {
	f := Finding{ID: IDCompleted, Level: LevelWarn, Text: "Run stopped before the end: evidence may be partial"}
	if ev.Failure != "" {
		f.Level = LevelBad
		f.Text = "Run failed before the end: evidence may be partial"
		f.Evidence = append(f.Evidence, "runner: "+quote(ev.Failure, 90))
	}
	f.Evidence = append(f.Evidence, fmt.Sprintf("runner: workload ran %s, %s made",
		ms(ev.DurationMs), count(ev.Requests.Total, "request", "requests")))
	f.Why = "Counts cover only what happened before the stop, and TIME_WAIT had no time to drain."
	f.Change = "Run to completion, and observe at least 65 s after the workload to see TIME_WAIT drain."
	return f
}

// latency reports p50/p99 and throughput of successful requests.
func latency(ev Evidence) Finding {
	r, l := ev.Requests, ev.Latency
	f := Finding{ID: IDLatency, Level: LevelInfo}
	ok := max(r.Total-r.Errors, 0)
	if ok == 0 {
		f.Text = "No successful request to time"
		f.Evidence = []string{"client: no request succeeded"}
		return f
	}
	f.Text = fmt.Sprintf("p50 %s, p99 %s, %s", ms(l.P50Ms), ms(l.P99Ms), rate(l.RequestsPerSec))
	f.Evidence = []string{
		fmt.Sprintf("client: p50 %s, p99 %s over %s", ms(l.P50Ms), ms(l.P99Ms), count(ok, "successful request", "successful requests")),
		fmt.Sprintf("client: %s in %s of workload (%s)", count(r.Total, "request", "requests"), ms(ev.DurationMs), rate(l.RequestsPerSec)),
	}
	f.Why = "A request that has to dial pays a TCP handshake first; one on a reused connection does not."
	return f
}

// goVersion names the Go release that produced the evidence.
func goVersion(ev Evidence) Finding {
	f := Finding{ID: IDGoVersion, Level: LevelInfo}
	if ev.Go == "" {
		f.Text = "Go version not recorded: behaviour differs between Go releases"
		f.Evidence = []string{"runtime.Version() missing from the evidence"}
	} else {
		f.Text = fmt.Sprintf("Measured with %s: behaviour differs between Go releases", ev.Go)
		f.Evidence = []string{"runtime.Version() = " + ev.Go}
	}
	f.Why = "Transport retry rules, whether closing an unread body sends FIN or RST, and HTTP/2 defaults change between Go releases."
	return f
}

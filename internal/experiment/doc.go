// Package experiment runs the keep-alive Lab: an HTTP server and a client
// workload in this process, on 127.0.0.1 only, both instrumented, while the
// kernel monitor holds the server's port.
//
// The server's listener and conns and the client's dialer and conns are
// wrapped, so every connection is seen from both ends with exact times:
// who dialed and who accepted it, how many requests it carried, which side
// closed first (read from the kernel's TCP state at the moment of Close),
// and whether it ended with a FIN or an RST. httptrace adds reuse, idle time
// and silent retries per request. Polling alone misses those transitions
// (DESIGN.md, "Data flow"); the kernel polls, received through Kernel.Hold,
// add what only the kernel knows: where TIME_WAIT sits and when it drains.
//
// One file, one job: spec.go and fields.go (the validated Spec, -set and
// JSON parsing), presets.go, limits.go (every limit and timing), manager.go
// (at most MaxRunning experiments), run.go (one experiment's life),
// server.go, worker.go, client.go and raw.go (the two sides), tap.go,
// probe_*.go and conntrack.go (connection instrumentation), stats.go and
// hist.go (per-worker request counters, latency histogram), kernel.go (the
// poll observer), publish.go (batched events), evidence.go (measurements
// to verdict.Evidence), result.go and text.go (the report).
//
// Memory is bounded whatever the run's length: the most recent laneDetail
// connections and logDetail requests are kept in detail, everything else
// only in counters and fixed-size histograms.
package experiment

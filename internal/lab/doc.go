// Package lab runs the keep-alive Lab: experiments whose HTTP server
// (package target) and client (package loadgen) live in this process, on
// 127.0.0.1 only, both instrumented (package tap), while the kernel monitor
// holds the server's port. A Manager runs at most MaxRunning at once and
// remembers the last ones that ended, within a memory budget.
//
// A run: set up (listen, build both sides, take the kernel hold), workload
// (the client until its requests, duration or Stop), observe tail
// (connections left as they are: idle timeouts fire, TIME_WAIT drains),
// teardown (client side first, then the server), then the final update.
// While it runs it publishes an ExpUpdate every batch interval on its
// topic (Topic); Subscribe hands a snapshot under the same lock, so a
// subscriber misses nothing and gets nothing twice. The measures the
// result and the update share (wire.ExpMeasures) are built by one function
// (run.measure), which also runs the verdict on them.
//
// The in-process events are the truth for transitions (who closed first,
// FIN or RST); the kernel polls, received through Kernel.Hold, add what
// only the kernel knows: where TIME_WAIT sits and when it drains
// (docs/ARCHITECTURE.md, "Data flow").
//
// Files: manager.go (the runs), run.go (one run's life), kernel.go (the
// poll observer: a timeline ring of monitor.Tally rows, and peaks),
// publish.go (measures, batched updates, snapshots), result.go (result,
// freeze, summary), evidence.go (measures to verdict.Evidence), text.go
// (the `connlab run` report), archive.go (saved runs: the Archive, run
// files), limits.go.
//
// Saved runs. With ManagerOptions.Archive set, each run is saved once it is
// final, from its own goroutine, before it is marked done: Wait, and Close
// for the runs it stops, return once the file is written. List, Get, File,
// Wait, Stop and Subscribe serve the saved runs the Manager no longer holds
// (after a restart, or once forgotten from memory) as ended runs.
//
// Locks. A run's pubMu comes first: publishing, snapshots and results hold
// it while they read the measures and hand the encoded message to the hub.
// Under it, one at a time and never two together, the leaves: run.mu, each
// loadgen worker's stats mutex, tap.Tracker.mu, kernelState.mu, and the
// hub's mutex (Publish, and Join/Send inside a Subscribe callback). The
// Manager's mu is never held while a run's lock is taken. The monitor's
// poll goroutine calls kernelState.observe with no monitor lock held; it
// takes kernelState.mu, releases it, then takes tap.Tracker.mu.
//
// Memory is bounded whatever the run's length: the most recent laneDetail
// connections and logDetail requests are kept in detail, everything else
// only in counters and fixed-size histograms.
package lab

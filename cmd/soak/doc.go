// Command soak runs connlab as a child process under a realistic, bounded
// load for a while and fails if the process dies, stops answering, or keeps
// growing. It is `make soak` (10 minutes; `SOAK=30m make soak` to lengthen)
// and, with -abuse, `make soak-abuse` (the figures of issue 6, requirement 3).
//
//	go run ./cmd/soak [-duration 10m] [-every 1m] [-bin path/to/connlab]
//	go run ./cmd/soak -abuse
//
// # Soak
//
// soak builds connlab (`go build` from the module root, unless -bin names a
// binary), starts it on 127.0.0.1:0 with a short poll interval, and drives
// it with:
//
//   - churn: four loopback servers of its own on 127.0.0.1:0, watched through
//     POST /api/ports, each with a client in a different style: the server
//     closes first (TIME_WAIT on the server side), the client closes first
//     (TIME_WAIT on the client side), keep-alive connections reused for
//     seconds, and connections ended by an RST (SO_LINGER 0, no TIME_WAIT);
//     one port is now and then unwatched and watched again;
//   - viewers: websocket clients (with the Origin a browser would send) that
//     subscribe, unsubscribe, switch ports, follow running experiments,
//     disconnect (cleanly, abruptly, or with an RST) and reconnect at random;
//     two of them read slowly (30 ms and 150 ms per message), so connlab
//     queues for them; one closed by connlab (1013, or cut while its write
//     was blocked) is counted, not an error;
//   - the Lab: two drivers that start presets through POST /api/experiments,
//     let them finish or stop them with DELETE, and back off on 429.
//
// Rates are modest and fixed (see the constants): the churn opens about 31
// connections a second, so at most about 1,250 of its sockets are in
// TIME_WAIT at any time (60 s each), plus what the Lab runs leave (at most
// about 2,000: pool-churn is the busiest preset). That is the same after 10
// or 30 minutes, far below the ephemeral port range (28,232 ports by
// default) and tcp_max_tw_buckets; soak prints its estimate next to the
// host's limits and refuses to start when it exceeds a quarter of them.
//
// Every -every (1 minute) it prints one line: elapsed time, connlab's RSS
// (VmRSS of /proc/PID/status), open fds (entries of /proc/PID/fd),
// goroutines (the "goroutines" field of GET /healthz, when connlab reports
// it), threads (/proc/PID/status), CPU% over the period (utime+stime of
// /proc/PID/stat), sockets in TIME_WAIT on the host (/proc/net/sockstat),
// the slowest /healthz answer, and the workload counters.
//
// At the end it stops the workload, sends SIGTERM, and requires connlab to
// exit with status 0 within 5 s and to leave nothing on its port but
// TIME_WAIT (`ss -tanp 'sport = :PORT'`: a listener or an orphan in
// FIN_WAIT/LAST_ACK fails; a socket of another live process that took the
// freed port number is only counted).
//
// # Failing
//
// soak exits 1, saying why, when:
//
//   - connlab exits before it is told to (its last log lines are printed; the
//     full log is kept in the work directory);
//   - GET /healthz has not answered for 15 s (connlab is then sent SIGQUIT,
//     so its log holds every goroutine's stack);
//   - the workload did not run (a period without a new connection or a
//     websocket tick proves nothing);
//   - RSS, fds or goroutines keep growing (threads are judged instead of
//     goroutines when /healthz does not report them);
//   - SIGTERM does not end connlab within 5 s with status 0, or connlab
//     left a socket other than TIME_WAIT on its port.
//
// "Keeps growing" is judged on the median of each period's samples (12 per
// period), so a Lab run or a burst of websockets caught by one sample does
// not count. The periods are cut in thirds: the first is warm-up (heap
// growth to its steady goal, TIME_WAIT filling for 60 s, the Lab's kept runs
// filling their budget) and is ignored; a metric fails when the highest
// median of the last third exceeds the highest median of the middle third
// by more than a relative plus an absolute slack (RSS 10% + 16 MB, fds 10%
// + 16, goroutines 10% + 32, threads 25% + 8). A leak that keeps going
// pushes the last third above everything before it; noise and one-off
// steps that happened before the last third do not. The verdict needs at
// least 6 periods and 3 minutes; shorter runs (such as the test's) print
// "growth: not judged".
//
// # Abuse (-abuse)
//
// Against a fresh connlab each:
//
//  1. 36 Lab runs of keepalive-default at concurrency 1000, one after the
//     other (waiting for each to end; 429 retried), then connlab's RSS
//     (target ≤ 100 MB), also after each run and 30 s after the last.
//  2. A port with a few thousand sockets in TIME_WAIT (so a snapshot weighs
//     ~300 KB) and some churn, connlab polling every 50 ms, one well-behaved
//     viewer subscribed to it, then 8 websocket clients that each send 500
//     requests and never read: first 500 subscribes to the port (a repeated
//     subscribe should queue nothing), then 500 unsubscribe+subscribe pairs
//     (each pair asks for a fresh snapshot). For each it compares a window
//     before with a window during: /healthz latency (p50 and max; target
//     < 20 ms), the viewer's ticks per second (target: unchanged, ≥ 90%),
//     connlab's RSS growth (target ≤ 50 MB) and CPU, and the host's load
//     average (timing figures mean little on a busy host). Then it reads
//     each abusive client's backlog to see how it ended (closed with a
//     code, dropped without a close frame, or still open) and counts
//     connlab's "does not keep up" log lines.
//
// Missed targets are reported as figures, not failures: soak -abuse exits
// non-zero only when it cannot run or connlab fails (dies, or does not exit
// cleanly on SIGTERM). -abuse-runs 0 or -abuse-clients 0 skips a part.
package main

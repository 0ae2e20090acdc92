package verdict

import "fmt"

// Watch finding IDs (GET /api/ports/{port}/verdict).
const (
	IDWatchSource    = "watch-source"
	IDWatchCloser    = "watch-closed-first"
	IDWatchResets    = "watch-resets"
	IDWatchTimeWait  = "watch-time-wait"
	IDWatchLifetime  = "watch-lifetime"
	IDWatchEphemeral = "watch-ephemeral"
)

// Watch thresholds.
const (
	// watchMinCloses: fewer closes in the window than this and the closer
	// finding says the evidence is thin.
	watchMinCloses = 5
	// longLivedMs: connections living this long (p50) were kept open and
	// closed idle, not closed after one request.
	longLivedMs = 1000
	// exhaustBadSec: an ephemeral-port exhaustion closer than this is bad.
	exhaustBadSec = 600
)

// WatchEvidence is what Watch measured on one port (the flow figures of
// internal/flow, with the kernel's current counts).
type WatchEvidence struct {
	Port uint16
	// Source is "ebpf" (kernel transitions, exact) or "polls" (lower
	// bounds: connections shorter than a poll and RST closes are missed).
	Source     string
	IntervalMs float64 // the poll interval, for the polls source's caveat
	// Window: the last-60 s counts, over WindowSec seconds.
	WindowSec                  float64
	Opened                     int
	ClosedServer, ClosedClient int
	ClosedBoth                 int
	Resets                     int
	PerSec                     float64
	// TotalOpened and TotalCloses: since watching began.
	TotalOpened, TotalCloses int
	// LifetimeP50Ms and LifetimeP99Ms; negative when not measured.
	LifetimeP50Ms, LifetimeP99Ms float64
	Lifetimes                    int
	// TimeWaitNow from the last poll, TimeWaitSteady forecast, per side.
	TimeWaitNowServer, TimeWaitNowClient       int
	TimeWaitSteadyServer, TimeWaitSteadyClient float64
	// ExhaustSec: time until the client side runs out of ephemeral ports
	// toward one destination (negative: not at this rate); PortRange the
	// range size (0 unknown).
	ExhaustSec float64
	PortRange  int
	// LostEvents: kernel events dropped (ring buffer full): counts may be
	// short by that much.
	LostEvents uint64
}

// Watch turns a port's flow into findings, the answer first: who closes
// first and where TIME_WAIT piles up, then resets, lifetimes, the
// ephemeral-port forecast and where the numbers come from. Pure and
// deterministic.
func Watch(ev WatchEvidence) []Finding {
	out := []Finding{watchCloser(ev)}
	if f, ok := watchResets(ev); ok {
		out = append(out, f)
	}
	if f, ok := watchLifetime(ev); ok {
		out = append(out, f)
	}
	if f, ok := watchEphemeral(ev); ok {
		out = append(out, f)
	}
	return append(out, watchSource(ev))
}

// src prefixes an evidence line with where it comes from.
func (ev WatchEvidence) src(s string) string { return ev.Source + ": " + s }

func (ev WatchEvidence) window() string {
	if ev.WindowSec >= 59.5 {
		return "in the last 60 s"
	}
	return fmt.Sprintf("in the %.0f s since watching began", ev.WindowSec)
}

func (ev WatchEvidence) atLeast() string {
	if ev.Source == "ebpf" {
		return ""
	}
	return "at least "
}

// watchCloser answers the question: who closes first, and so where
// TIME_WAIT piles up.
func watchCloser(ev WatchEvidence) Finding {
	f := Finding{ID: IDWatchCloser, Level: LevelInfo}
	n := ev.ClosedServer + ev.ClosedClient + ev.ClosedBoth
	f.Evidence = []string{
		ev.src(fmt.Sprintf("%s%s %s: closed first by the server %d, by the client %d, by both at once %d",
			ev.atLeast(), count(n, "connection closed", "connections closed"), ev.window(), ev.ClosedServer, ev.ClosedClient, ev.ClosedBoth)),
		ev.src(fmt.Sprintf("%s%s opened %s (%.1f/s)", ev.atLeast(), count(ev.Opened, "connection", "connections"), ev.window(), ev.PerSec)),
		fmt.Sprintf("polls: TIME_WAIT now on the server %d, on the client %d", ev.TimeWaitNowServer, ev.TimeWaitNowClient),
	}
	if n == 0 {
		f.Text = fmt.Sprintf("No connection of port %d closed %s", ev.Port, ev.window())
		if ev.TotalCloses > 0 {
			f.Text += fmt.Sprintf(" (%d since watching began)", ev.TotalCloses)
		}
		f.Why = "Connections kept open by keep-alive put nothing in TIME_WAIT until they close."
		return f
	}
	perMin := float64(n) / ev.WindowSec * 60
	who, k, tw := "", 0, 0.0
	switch {
	case ev.ClosedServer*100 >= n*mostPercent:
		who, k, tw = "server", ev.ClosedServer, ev.TimeWaitSteadyServer
	case ev.ClosedClient*100 >= n*mostPercent:
		who, k, tw = "client", ev.ClosedClient, ev.TimeWaitSteadyClient
	}
	if who == "" {
		f.Text = fmt.Sprintf("Both sides close first: the server on %s, the client on %s of connections (%.0f/min)",
			Percent(ev.ClosedServer, n), Percent(ev.ClosedClient, n), perMin)
		f.Why = "TIME_WAIT sits on whichever side closed first, so it is split between the sides."
		f.Lab = "server-idle-timeout"
	} else {
		f.Text = fmt.Sprintf("The %s closes first on %s of connections (%s, %.0f/min) → TIME_WAIT piles up on the %s: about %.0f held at any time",
			who, Percent(k, n), ofN(k, n), perMin, who, tw)
		if who == "server" {
			f.Why, f.Change, f.Lab = serverFirstWhy(ev)
		} else {
			f.Why, f.Change, f.Lab = clientFirstWhy(ev)
		}
	}
	if n < watchMinCloses {
		f.Text += fmt.Sprintf(" (only %s so far)", count(n, "close", "closes"))
	}
	if ev.ClosedBoth > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s closed by both ends at once (their FINs crossed): TIME_WAIT on both sides",
			ev.Source, count(ev.ClosedBoth, "connection", "connections")))
	}
	return f
}

// serverFirstWhy names the usual HTTP causes of server-first closes.
func serverFirstWhy(ev WatchEvidence) (why, change, lab string) {
	if ev.LifetimeP50Ms >= longLivedMs {
		return fmt.Sprintf("Connections live %s (median) and the server closes them: an idle timeout on the server (http.Server.IdleTimeout) ends connections the client kept for reuse.", ms(ev.LifetimeP50Ms)),
			"Make the client's idle timeout shorter than the server's, so the client closes idle connections first; or raise the server's.",
			"server-idle-timeout"
	}
	return "The server closes first when a connection carries one request: the client asks for it (Connection: close, Go's DisableKeepAlives), the server's keep-alive is off (SetKeepAlivesEnabled(false)), or the client speaks HTTP/1.0. Server-side TIME_WAIT is usually harmless (one listening port, no port pressure).",
		"Reuse connections: keep-alive on at both ends and HTTP/1.1, so one connection carries many requests.",
		"client-disable-keepalive"
}

// clientFirstWhy names the usual causes of client-first closes.
func clientFirstWhy(ev WatchEvidence) (why, change, lab string) {
	if ev.LifetimeP50Ms >= longLivedMs {
		return fmt.Sprintf("Connections live %s (median) and the client closes them: its idle timeout (Transport.IdleConnTimeout) is shorter than the server's.", ms(ev.LifetimeP50Ms)),
			"Fine when it is rare; if the client's TIME_WAIT grows, keep connections longer or reuse them more.",
			"client-idle-timeout"
	}
	return "The client closes first when it cannot keep the connection for reuse: its idle pool is smaller than its concurrency (Go's MaxIdleConnsPerHost defaults to 2), or it closes response bodies unread. Each close pins one of the client's ephemeral ports toward this server for 60 s.",
		"Size the idle pool to the concurrency (MaxIdleConnsPerHost) and read bodies to the end before closing them.",
		"pool-churn"
}

// watchResets reports connections ended by RST (kernel transitions only).
func watchResets(ev WatchEvidence) (Finding, bool) {
	if ev.Source != "ebpf" || ev.Resets == 0 {
		return Finding{}, false
	}
	n := max(ev.Opened, ev.ClosedServer+ev.ClosedClient+ev.ClosedBoth, ev.Resets)
	return Finding{
		ID:    IDWatchResets,
		Level: LevelWarn,
		Text:  fmt.Sprintf("%s ended by an RST %s: no TIME_WAIT, and any data in flight was lost", count(ev.Resets, "connection", "connections"), ev.window()),
		Evidence: []string{ev.src(fmt.Sprintf("%s of the connections seen %s ended with an RST sent or received",
			ofN(ev.Resets, n), ev.window()))},
		Why:    "An RST ends a connection at once: a socket closed with unread data (a response body not read), SO_LINGER 0, or a peer writing to a connection the other end already closed (idle-timeout races).",
		Change: "Read response bodies to the end before closing them; make the client's idle timeout shorter than the server's.",
		Lab:    "body-not-read",
	}, true
}

// watchLifetime reports how long connections live.
func watchLifetime(ev WatchEvidence) (Finding, bool) {
	if ev.LifetimeP50Ms < 0 || ev.Lifetimes == 0 {
		return Finding{}, false
	}
	return Finding{
		ID:       IDWatchLifetime,
		Level:    LevelInfo,
		Text:     fmt.Sprintf("Connections live %s (median), %s at p99", ms(ev.LifetimeP50Ms), ms(ev.LifetimeP99Ms)),
		Evidence: []string{ev.src(fmt.Sprintf("lifetimes of %s that ended %s, from open to the last close", count(ev.Lifetimes, "connection", "connections"), ev.window()))},
		Why:      "A connection that lives about as long as one request was not reused; one that lives seconds or minutes carried many.",
	}, true
}

// watchEphemeral warns when the client side heads for port exhaustion.
func watchEphemeral(ev WatchEvidence) (Finding, bool) {
	if ev.ExhaustSec < 0 {
		return Finding{}, false
	}
	f := Finding{
		ID:    IDWatchEphemeral,
		Level: LevelWarn,
		Text:  fmt.Sprintf("At this rate the client side runs out of ephemeral ports toward one destination in about %.0f s", ev.ExhaustSec),
		Evidence: []string{
			ev.src(fmt.Sprintf("client-side sockets entering TIME_WAIT: about %.0f held in steady state", ev.TimeWaitSteadyClient)),
			fmt.Sprintf("kernel: ip_local_port_range holds %d ports", ev.PortRange),
		},
		Why:    "Every client-side TIME_WAIT keeps its local port toward the same server address for 60 s; when all are taken, connect() fails with EADDRNOTAVAIL.",
		Change: "Reuse connections (keep-alive, an idle pool sized to the concurrency); widen ip_local_port_range; tcp_tw_reuse helps only for new outgoing connections.",
		Lab:    "pool-churn",
	}
	if ev.ExhaustSec < exhaustBadSec {
		f.Level = LevelBad
	}
	return f, true
}

// watchSource says where the numbers come from and what they miss.
func watchSource(ev WatchEvidence) Finding {
	f := Finding{ID: IDWatchSource, Level: LevelInfo}
	if ev.Source == "ebpf" {
		f.Text = "Counted from the kernel's own state transitions (eBPF): every connection, however short"
		f.Evidence = []string{fmt.Sprintf("ebpf: %s opened and %s closed since watching began", count(ev.TotalOpened, "connection", "connections"), count(ev.TotalCloses, "connection", "connections"))}
		if ev.LostEvents > 0 {
			f.Level = LevelWarn
			f.Text = fmt.Sprintf("Counted from kernel transitions (eBPF), but %d events were lost: counts may be short", ev.LostEvents)
			f.Evidence = append(f.Evidence, fmt.Sprintf("ebpf: %d events dropped because the ring buffer was full", ev.LostEvents))
		}
		return f
	}
	f.Text = fmt.Sprintf("Counted from polls every %s: these are lower bounds", ms(ev.IntervalMs))
	f.Evidence = []string{
		fmt.Sprintf("polls: a connection shorter than a poll (%s) is never seen opening; one closed by an RST leaves no TIME_WAIT to count; lifetimes are not measured", ms(ev.IntervalMs)),
	}
	f.Why = "Kernel transitions need eBPF: Linux with BTF, and root or CAP_BPF with CAP_PERFMON."
	f.Change = "Run connlab as root (or setcap cap_bpf,cap_perfmon+ep on the binary) for exact counts."
	return f
}

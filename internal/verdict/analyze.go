package verdict

// Finding IDs. They are stable: scripts and the UI key on them.
const (
	IDCompleted       = "completed"
	IDReuse           = "reuse"
	IDClosedFirst     = "closed-first"
	IDTimeWait        = "time-wait"
	IDCloseWait       = "close-wait"
	IDRetries         = "retries"
	IDErrors          = "errors"
	IDProtocol        = "protocol"
	IDKeepaliveProbes = "keepalive-probes"
	IDLatency         = "latency"
	IDGoVersion       = "go-version"
)

// Finding levels, from best to worst.
const (
	LevelGood = "good"
	LevelInfo = "info"
	LevelWarn = "warn"
	LevelBad  = "bad"
)

// Thresholds used to grade evidence. Each is a judgement call, kept here so
// the rules can be read (and argued about) in one place.
const (
	// badNewConnPercent: when at least this share of requests needed a fresh
	// connection, connections were effectively not reused.
	badNewConnPercent = 80
	// goodNewConnPercent: at most this share of requests needing a fresh
	// connection is good reuse whatever the concurrency.
	goodNewConnPercent = 10
	// defaultIdlePerHost is Go's http.DefaultMaxIdleConnsPerHost: more
	// connections open at once than this can overflow a default idle pool.
	defaultIdlePerHost = 2
	// ephemeralPorts is the size of Linux's default ip_local_port_range
	// (32768–60999): each client-side TIME_WAIT pins one of them toward
	// the same server address for 60 s.
	ephemeralPorts = 28232
	// clientTimeWaitWarn: client-side TIME_WAIT from this peak on is worth a
	// warning (ports pinned for 60 s per connection the client closed).
	clientTimeWaitWarn = 100
	// clientTimeWaitBadPercent of ephemeralPorts in client TIME_WAIT is bad.
	clientTimeWaitBadPercent = 10
	// errorsBadPercent: at least this share of failed requests is bad; fewer is a warning.
	errorsBadPercent = 1
	// maxErrorSamples: how many distinct error messages are quoted.
	maxErrorSamples = 3
	// timeWaitMs is how long Linux holds TIME_WAIT (hard-coded, 60 s).
	timeWaitMs = 60_000
	// closeWaitLeakMs: a passive side slower than this to close after its
	// peer left its socket in CLOSE_WAIT (tap.CloseWaitLeak).
	closeWaitLeakMs = 1000
	// mostPercent: one side "closed most connections first" from this share on.
	mostPercent = 80
)

// Analyze turns measured evidence into findings, in a fixed order:
// completed (only for an unfinished run), reuse, closed-first, time-wait,
// close-wait (only when the kernel saw CLOSE_WAIT), retries, errors,
// protocol, keepalive-probes, latency, go-version.
// It is pure and deterministic: the same Evidence always yields the same
// findings, and nothing but Evidence is consulted.
func Analyze(ev Evidence) []Finding {
	ev = nonNegative(ev)
	var fs []Finding
	if !ev.Completed && !ev.Running {
		fs = append(fs, completed(ev))
	}
	fs = append(fs, reuse(ev), closedFirst(ev), timeWait(ev))
	c := ev.Connections
	if (ev.Kernel.Polls > 0 && ev.Kernel.CloseWaitPeakServer+ev.Kernel.CloseWaitPeakClient > 0) ||
		c.CloseWaitOver+c.LeftInCloseWaitServer+c.LeftInCloseWaitClient > 0 {
		fs = append(fs, closeWait(ev))
	}
	fs = append(fs,
		retries(ev),
		errorsFinding(ev),
		protocol(ev),
		keepaliveProbes(ev),
		latency(ev),
		goVersion(ev),
	)
	return focusFirst(fs, ev.Focus)
}

// focusFirst moves the finding id to the front (after a partial-run
// warning, which qualifies everything after it).
func focusFirst(fs []Finding, id string) []Finding {
	at := -1
	for i := range fs {
		if fs[i].ID == id {
			at = i
			break
		}
	}
	if at < 0 {
		return fs
	}
	to := 0
	if fs[0].ID == IDCompleted {
		to = 1
	}
	if at <= to {
		return fs
	}
	f := fs[at]
	copy(fs[to+1:at+1], fs[to:at])
	fs[to] = f
	return fs
}

// Answer is the one line that answers the run's question: the focus
// finding's text (the first finding's without a focus), marked partial for
// a run that did not complete.
func Answer(fs []Finding, focus string) string {
	text, partial := "", false
	for _, f := range fs {
		if f.ID == IDCompleted {
			partial = true
			continue
		}
		if text == "" || f.ID == focus {
			text = f.Text
			if f.ID == focus {
				break
			}
		}
	}
	if partial && text != "" {
		return text + " (partial: the run did not complete)"
	}
	return text
}

// headlineOrder is the order in which findings compete for the headline.
var headlineOrder = []string{IDReuse, IDErrors, IDRetries, IDTimeWait, IDClosedFirst, IDProtocol}

// Headline summarises findings in one sentence for a card title: the first
// bad finding (in headline order), else the first warning, else the reuse
// finding; a partial run says so.
func Headline(fs []Finding) string {
	byID := make(map[string]Finding, len(fs))
	for _, f := range fs {
		byID[f.ID] = f
	}
	text := ""
	for _, level := range []string{LevelBad, LevelWarn} {
		for _, id := range headlineOrder {
			if f, ok := byID[id]; ok && f.Level == level && text == "" {
				text = f.Text
			}
		}
	}
	if text == "" {
		if f, ok := byID[IDReuse]; ok {
			text = f.Text
		} else if len(fs) > 0 {
			text = fs[0].Text
		}
	}
	if f, ok := byID[IDCompleted]; ok {
		suffix := " (run stopped early)"
		if f.Level == LevelBad {
			suffix = " (run failed early)"
		}
		if text == "" {
			return f.Text
		}
		return text + suffix
	}
	return text
}

// nonNegative clamps counts to zero: they are never negative when measured,
// and a corrupt value must not turn into a nonsense sentence. DrainedMs keeps
// its sign (negative means "not drained"). Maps are left alone: readers
// ignore non-positive counts.
func nonNegative(ev Evidence) Evidence {
	for _, p := range []*int{
		&ev.Requests.Total, &ev.Requests.Errors, &ev.Requests.Reused, &ev.Requests.WasIdle,
		&ev.Requests.Retried, &ev.Requests.RespClose, &ev.Requests.BodyUnread, &ev.Requests.PeakInFlight,
		&ev.Connections.Accepted, &ev.Connections.Dialed, &ev.Connections.ClosedFirstServer,
		&ev.Connections.ClosedFirstClient, &ev.Connections.ClosedFirstSimultaneous, &ev.Connections.Open,
		&ev.Connections.Reset, &ev.Connections.ServerIdleClosed, &ev.Connections.Unused,
		&ev.Connections.MaxRequestsPerConn, &ev.Connections.PeakOpen,
		&ev.Kernel.Polls, &ev.Kernel.TimeWaitPeakServer, &ev.Kernel.TimeWaitPeakClient,
		&ev.Kernel.TimeWaitEndServer, &ev.Kernel.TimeWaitEndClient,
		&ev.Kernel.EstablishedPeakServer, &ev.Kernel.EstablishedPeakClient,
		&ev.Kernel.CloseWaitPeakServer, &ev.Kernel.CloseWaitPeakClient, &ev.Kernel.KeepaliveTimers,
	} {
		*p = max(*p, 0)
	}
	for _, p := range []*float64{&ev.DurationMs, &ev.Connections.MedianLifetimeMs,
		&ev.Latency.P50Ms, &ev.Latency.P99Ms, &ev.Latency.RequestsPerSec} {
		*p = max(*p, 0)
	}
	return ev
}

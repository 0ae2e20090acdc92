package verdict

import "fmt"

// cause is one measured reason why connections were not reused.
type cause struct {
	n      int    // how many requests or connections it explains
	line   string // the evidence line
	why    string
	change string
}

// reuse compares connections opened (listener) with requests made.
func reuse(ev Evidence) Finding {
	r, c := ev.Requests, ev.Connections
	f := Finding{ID: IDReuse}

	opened, src := c.Accepted, "listener accepted"
	if opened == 0 && c.Dialed > 0 {
		opened, src = c.Dialed, "client dialer opened"
	}
	f.Evidence = append(f.Evidence, fmt.Sprintf("%s %s for %s", src,
		count(opened, "connection", "connections"), count(r.Total, "request", "requests")))
	if c.Dialed > 0 && c.Accepted > 0 && c.Dialed != c.Accepted {
		f.Evidence = append(f.Evidence, fmt.Sprintf("client dialer opened %s", count(c.Dialed, "connection", "connections")))
	}
	// Reuse is counted where it happens, on the server: requests it served
	// on a connection that had already served one. (httptrace's GotConn
	// Reused also marks a new connection the Transport parked in its idle
	// pool before its first request.)
	used, onExisting, served := opened-c.Unused, 0, r.Total
	if c.Carried > 0 {
		used, onExisting, served = c.Carried, c.ReusedRequests, c.Carried+c.ReusedRequests
	}
	if used < 1 {
		used = opened
	}

	switch {
	case r.Total == 0:
		f.Level = LevelInfo
		f.Text = "No requests were made: reuse not measured"
		return f
	case opened == 0:
		f.Level = LevelWarn
		f.Text = fmt.Sprintf("No connection was accepted for %s", count(r.Total, "request", "requests"))
		f.Why = "Requests that never reach the server cannot reuse anything."
		f.Change = "See the errors finding."
		return f
	case r.Total == 1:
		f.Level = LevelInfo
		f.Text = "1 request: too few to judge reuse"
		return f
	}

	if c.Carried == 0 {
		onExisting = max(r.Total-used, 0)
	}
	f.Evidence = append(f.Evidence, fmt.Sprintf("server: %s went over an already-used connection (reuse ratio %s); %s carried them",
		of(onExisting, max(served, onExisting), "request served", "requests served"), Percent(onExisting, max(served, onExisting)),
		count(used, "connection", "connections")))
	switch {
	case r.Reused == onExisting:
		f.Evidence = append(f.Evidence, fmt.Sprintf("httptrace: GotConn reported a reused connection on %s, as the server counts", of(r.Reused, r.Total, "request", "requests")))
	case r.Reused > onExisting:
		line := fmt.Sprintf("httptrace: GotConn reported a reused connection on %s, %d more than the server counts: Go's Transport also marks a new connection reused when it parks it in its idle pool before its first request",
			of(r.Reused, r.Total, "request", "requests"), r.Reused-onExisting)
		if r.Retried+r.Errors > 0 {
			line += ", and some requests went out on a connection already closed by the server (see retries and errors)"
		}
		f.Evidence = append(f.Evidence, line)
	default:
		f.Evidence = append(f.Evidence, fmt.Sprintf("httptrace: GotConn reported a reused connection on %s, %d fewer than the server counts (requests retried on a new connection count once)",
			of(r.Reused, r.Total, "request", "requests"), onExisting-r.Reused))
	}
	if c.MaxRequestsPerConn > 0 && used > 1 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: the busiest connection carried %s",
			count(c.MaxRequestsPerConn, "request", "requests")))
	}
	if c.PeakOpen > 1 && neededConns(ev) == c.PeakOpen { // else a cause line says more
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: up to %d connections open at once", c.PeakOpen))
	}
	if k := ev.Kernel; k.Polls > 0 && k.EstablishedPeakServer > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("kernel: server-side ESTABLISHED peaked at %d (%s, %s)",
			k.EstablishedPeakServer, sourceOr(k.Source), count(k.Polls, "poll", "polls")))
	}
	if c.Unused > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: %s carried no request (pool dial race or h2c cold start)",
			of(c.Unused, opened, "accepted connection", "accepted connections")))
	}

	causes := reuseCauses(ev, used)
	needed := neededConns(ev)
	slack := max(1, needed/10)
	newPct := used * 100 / max(served, 1)
	switch {
	case len(causes) == 0 && used <= needed+slack, newPct <= goodNewConnPercent:
		f.Level = LevelGood
	case newPct >= badNewConnPercent:
		f.Level = LevelBad
	default:
		f.Level = LevelWarn
	}

	perConn := ratio(served, used)
	neverUsed := ""
	if c.Unused > 0 {
		neverUsed = fmt.Sprintf("; %d more never used", c.Unused)
	}
	switch f.Level {
	case LevelGood:
		f.Text = fmt.Sprintf("%s carried %s (%s per connection%s)",
			count(used, "connection", "connections"), count(served, "request", "requests"), perConn, neverUsed)
		f.Why = "Keep-alive works: after a response is read to EOF the connection goes back to the idle pool and the next request takes it."
		if isHTTP2(r) {
			f.Why = "HTTP/2 carries concurrent requests as streams on one connection."
		}
		return f
	case LevelBad:
		f.Text = fmt.Sprintf("Not reused: %s for %s%s",
			count(used, "connection", "connections"), count(served, "request", "requests"), neverUsed)
	default:
		f.Text = fmt.Sprintf("Partly reused: %s for %s (%s per connection%s)",
			count(used, "connection", "connections"), count(served, "request", "requests"), perConn, neverUsed)
	}

	primary := cause{
		why:    "Connections were not kept for the next request, and no single measured cause stands out.",
		change: "Check who closed first and the errors: the side that closes decides.",
	}
	for _, cs := range causes {
		if cs.n > primary.n {
			primary = cs
		}
	}
	if primary.line != "" {
		f.Evidence = append(f.Evidence, primary.line)
	}
	for _, cs := range causes {
		if cs.line != primary.line {
			f.Evidence = append(f.Evidence, cs.line)
		}
	}
	f.Why = "Each new connection costs a TCP handshake and, when it closes, a TIME_WAIT. " + primary.why
	f.Change = primary.change
	return f
}

// reuseCauses lists, in a fixed priority order, every measured reason for
// opening new connections. used is the number of connections that carried
// requests.
func reuseCauses(ev Evidence, used int) []cause {
	r, c := ev.Requests, ev.Connections
	var cs []cause
	add := func(n int, line, why, change string) {
		if n > 0 {
			cs = append(cs, cause{n: n, line: line, why: why, change: change})
		}
	}

	clientClose := r.ServerSaw["close"]
	add(clientClose,
		fmt.Sprintf("server saw `Connection: close` on %s", of(clientClose, r.Total, "request", "requests")),
		"The client asked to close after each response (`Connection: close`: Transport DisableKeepAlives or req.Close).",
		"Drop DisableKeepAlives / req.Close on the client and let the Transport pool connections.")

	h10 := http10NoKeepAlive(r)
	add(h10,
		fmt.Sprintf("server saw HTTP/1.0 without `Connection: keep-alive` on %s", of(h10, r.Total, "request", "requests")),
		"HTTP/1.0 connections close after one response unless the client sends `Connection: keep-alive`.",
		"Speak HTTP/1.1, or send `Connection: keep-alive` from the HTTP/1.0 client.")

	eof := r.Framing["eof"]
	add(eof,
		fmt.Sprintf("client saw %s delimited by connection close (no Content-Length, not chunked)",
			of(eof, r.Total, "response", "responses")),
		"A body without Content-Length or chunked framing ends only when the connection closes.",
		"Send Content-Length (or use HTTP/1.1 chunked encoding).")

	serverOwn := max(r.RespClose-clientClose-h10, 0)
	add(serverOwn,
		fmt.Sprintf("client saw `resp.Close` (server announced close) on %s", of(r.RespClose, r.Total, "response", "responses")),
		"The server announced `Connection: close` on its own (keep-alives disabled with SetKeepAlivesEnabled(false), or shutting down).",
		"Leave keep-alives enabled on the server.")

	add(r.BodyUnread,
		fmt.Sprintf("client closed %s before EOF", of(r.BodyUnread, r.Total, "response body", "response bodies")),
		"Closing a body before EOF makes the Transport discard the connection instead of pooling it.",
		"Read bodies to EOF before Close (io.Copy(io.Discard, resp.Body)), or ask for less.")

	// The client kept connections it never closed: the kernel sees them in
	// CLOSE_WAIT once the server gives up on them.
	if cw := ev.Kernel.CloseWaitPeakClient; cw > 1 {
		add(cw,
			fmt.Sprintf("kernel: client-side CLOSE_WAIT peaked at %d (the client never closed those connections)", cw),
			"Response bodies neither read to EOF nor closed pin their connection: it never returns to the pool, so each request dials a new one.",
			"Always close response bodies (defer resp.Body.Close()) after reading them to EOF.")
	}

	// Connections held open far beyond what the requests in flight needed.
	needed := neededConns(ev)
	if held := heldConns(ev); held > 0 {
		add(held,
			fmt.Sprintf("wrapped conns: up to %d connections open at once while the server served at most %s at a time",
				c.PeakOpen, count(r.PeakInFlight, "request", "requests")),
			"Connections were held open without going back to the pool (a response body neither read to EOF nor closed pins its connection), so new requests dialled new ones.",
			"Always close response bodies (defer resp.Body.Close()) after reading them to EOF.")
	}

	// Idle closes only cost reuse when more connections were opened than
	// were needed at once: a shutdown at the end of a run also closes idle
	// connections, and those cost nothing.
	excess := used - needed
	if c.ServerIdleClosed > 0 && excess > 0 {
		add(c.ServerIdleClosed,
			fmt.Sprintf("server ConnState: %s closed while idle (Idle → Closed)",
				count(c.ServerIdleClosed, "connection", "connections")),
			"The server's IdleTimeout closed connections before the client's next request could reuse them.",
			"Keep the server's IdleTimeout above the client's gap between requests, and the client's IdleConnTimeout below the server's.")
	}

	// The client closed connections it had opened: with more connections open
	// at once than a default idle pool keeps, the surplus is closed and the
	// next burst dials again; otherwise the client dropped idle ones itself.
	if excess > 0 && c.ClosedFirstClient > c.ClosedFirstServer && r.BodyUnread == 0 {
		if c.PeakOpen > defaultIdlePerHost {
			add(excess,
				fmt.Sprintf("wrapped conns: client closed %s first while up to %d were open at once",
					ofN(c.ClosedFirstClient, endedConns(c)), c.PeakOpen),
				"More requests ran at once than the client's idle pool keeps (MaxIdleConnsPerHost, default 2): the surplus connections are closed after use and later requests dial new ones.",
				"Set MaxIdleConnsPerHost to the expected concurrency (and MaxConnsPerHost to cap it).")
		} else {
			add(excess,
				fmt.Sprintf("wrapped conns: client closed %s first", ofN(c.ClosedFirstClient, endedConns(c))),
				"The client dropped its idle connections before reusing them (IdleConnTimeout shorter than the gap between requests, or CloseIdleConnections).",
				"Raise the client's IdleConnTimeout above the gap between requests (and keep it below the server's IdleTimeout).")
		}
	}
	return cs
}

// endedConns is how many connections ended before the teardown: the
// population of the "closed first" counts.
func endedConns(c Connections) int {
	return c.ClosedFirstServer + c.ClosedFirstClient + c.ClosedFirstSimultaneous
}

// neededConns is how many connections the workload needed at once: the most
// the server had open, less those held without carrying requests.
func neededConns(ev Evidence) int {
	return max(ev.Connections.PeakOpen-heldConns(ev), 1)
}

// heldConns counts connections open beyond what a sequential workload
// needed: the server served at most one or two requests at a time, no
// connection carried a second request, yet many were open at once — the
// client kept them without returning them to the pool. Only sequential
// workloads are judged: with many workers a fast handler's in-flight peak
// says little about how many connections the client needed. The factor 2
// allows for the handler finishing before the client has read the response.
func heldConns(ev Evidence) int {
	open, inFlight := ev.Connections.PeakOpen, ev.Requests.PeakInFlight
	if inFlight < 1 || inFlight > 2 || ev.Connections.MaxRequestsPerConn > 1 || open <= 2*inFlight+1 {
		return 0
	}
	return open - 2*inFlight
}

// http10NoKeepAlive estimates how many HTTP/1.0 requests arrived without a
// keep-alive header (HTTP/1.1 clients do not send one, so the header count
// belongs to HTTP/1.0 requests).
func http10NoKeepAlive(r Requests) int {
	return max(r.Protos["HTTP/1.0"]-r.ServerSaw["keep-alive"], 0)
}

// isHTTP2 reports whether most requests the server saw were HTTP/2.
func isHTTP2(r Requests) bool {
	h2 := r.Protos["HTTP/2.0"]
	return h2 > 0 && h2*2 > sum(r.Protos)
}

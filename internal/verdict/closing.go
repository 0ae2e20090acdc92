package verdict

import "fmt"

// most says which side did something (closed first, held TIME_WAIT) on
// most of the connections: a verdict about a population, not a socket's
// side (that is sockstat.Side), hence its own small type.
type most int

const (
	mostNone most = iota
	mostServer
	mostClient
	mostMixed
)

// ended returns how many connections ended and which side dominated.
func ended(c Connections) (int, most) {
	n := c.ClosedFirstServer + c.ClosedFirstClient + c.ClosedFirstSimultaneous
	switch {
	case n == 0:
		return 0, mostNone
	case c.ClosedFirstServer*100 >= n*mostPercent:
		return n, mostServer
	case c.ClosedFirstClient*100 >= n*mostPercent:
		return n, mostClient
	}
	return n, mostMixed
}

// closedFirst says which side closed first, and how connections ended.
func closedFirst(ev Evidence) Finding {
	c := ev.Connections
	f := Finding{ID: IDClosedFirst, Level: LevelInfo}
	n, dom := ended(c)
	if n == 0 {
		if c.Open == 0 {
			f.Text = "No connection was recorded"
			f.Evidence = []string{"wrapped conns: no connection opened or ended"}
			return f
		}
		f.Text = fmt.Sprintf("No connection ended: %d still open", c.Open)
		f.Evidence = []string{fmt.Sprintf("wrapped conns: %s still open at the end of observation",
			count(c.Open, "connection", "connections"))}
		f.Why = "A connection kept open by keep-alive has not closed yet: nobody holds TIME_WAIT for it."
		return f
	}

	conns := noun(n, "connection", "connections")
	switch dom {
	case mostServer, mostClient:
		who, k := "server", c.ClosedFirstServer
		if dom == mostClient {
			who, k = "client", c.ClosedFirstClient
		}
		switch {
		case n == 1:
			f.Text = fmt.Sprintf("The %s closed the connection first", who)
		case k == n:
			f.Text = fmt.Sprintf("The %s closed all %d %s first", who, n, conns)
		default:
			f.Text = fmt.Sprintf("The %s closed %s %s first", who, ofN(k, n), conns)
		}
		if tw := twOn(ev, who); tw > 0 {
			f.Text += fmt.Sprintf(" → %d TIME_WAIT on the %s", tw, who)
		}
	default:
		f.Text = fmt.Sprintf("Mixed: the server closed %d first, the client %d", c.ClosedFirstServer, c.ClosedFirstClient)
		if c.ClosedFirstSimultaneous > 0 {
			f.Text += fmt.Sprintf(", %d simultaneous", c.ClosedFirstSimultaneous)
		}
		f.Text += fmt.Sprintf(" (of %d)", n)
	}
	if c.Reset > 0 {
		f.Text += fmt.Sprintf(", %d by reset", c.Reset)
	}

	f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: server closed first on %d, client on %d, simultaneous %d (of %d ended)",
		c.ClosedFirstServer, c.ClosedFirstClient, c.ClosedFirstSimultaneous, n))
	if c.Reset > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: %s ended with an RST (ECONNRESET seen, or closed with unread data)",
			ofN(c.Reset, n)))
	} else {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: no RST seen, %s ended with an orderly FIN", ofN(n, n)))
	}
	if c.Open > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: %s still open at the end of observation",
			count(c.Open, "connection", "connections")))
	}
	if c.ServerIdleClosed > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("server ConnState: %s closed while idle (IdleTimeout or shutdown)",
			count(c.ServerIdleClosed, "connection", "connections")))
	}
	if c.MedianLifetimeMs > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: median connection lifetime %s", ms(c.MedianLifetimeMs)))
	}

	f.Why = "The side that closes first sends the first FIN and holds TIME_WAIT afterwards."
	switch dom {
	case mostServer:
		f.Why += " The server closes first when it will not keep a connection: the client sent `Connection: close`, server keep-alives are off, or its IdleTimeout fired."
	case mostClient:
		f.Why += " The client closes first when it drops a connection from its pool: body not read to EOF, idle pool full, IdleConnTimeout, or the end of the run."
	}
	if c.Reset > 0 {
		f.Level = LevelWarn
		f.Why += " An RST aborts the connection: no TIME_WAIT on either side, and the peer may see `connection reset by peer`."
		f.Change = "Read bodies to EOF before closing; keep RST (unread data, SO_LINGER 0) for real aborts."
	}
	return f
}

// twOn is the TIME_WAIT peak the kernel showed on side who.
func twOn(ev Evidence, who string) int {
	if ev.Kernel.Polls == 0 {
		return 0
	}
	if who == "server" {
		return ev.Kernel.TimeWaitPeakServer
	}
	return ev.Kernel.TimeWaitPeakClient
}

// teardownTW says what TIME_WAIT connlab's own teardown left ("" none).
func teardownTW(c Connections) string {
	s, k := c.TeardownTimeWaitServer, c.TeardownTimeWaitClient
	switch {
	case s > 0 && k > 0:
		return fmt.Sprintf("%d on the server and %d on the client", s, k)
	case s > 0:
		return fmt.Sprintf("%d on the server", s)
	case k > 0:
		return fmt.Sprintf("%d on the client", k)
	}
	return ""
}

// timeWait says where the kernel saw TIME_WAIT, whether that matches who
// closed first, and when it drained.
func timeWait(ev Evidence) Finding {
	k, c := ev.Kernel, ev.Connections
	f := Finding{ID: IDTimeWait}
	if k.Polls == 0 {
		f.Level = LevelInfo
		f.Text = "No kernel evidence for TIME_WAIT"
		f.Evidence = []string{"kernel: no poll observed the port (0 polls)"}
		f.Why = "Only the kernel sees TIME_WAIT: those sockets belong to no process any more."
		f.Change = "Run where the sampler can read the port's sockets (netlink on Linux; lsof on macOS cannot see TIME_WAIT)."
		return f
	}
	src := k.Source
	if src == "" {
		src = "kernel"
	}
	polls := fmt.Sprintf("%s, %s", src, count(k.Polls, "poll", "polls"))
	f.Evidence = append(f.Evidence,
		fmt.Sprintf("kernel: server-side TIME_WAIT peaked at %d (%s)", k.TimeWaitPeakServer, polls),
		fmt.Sprintf("kernel: client-side TIME_WAIT peaked at %d (%s)", k.TimeWaitPeakClient, polls))

	n, dom := ended(c)
	total := k.TimeWaitPeakServer + k.TimeWaitPeakClient
	td := teardownTW(c)
	if td != "" {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: connlab's teardown closed the connections still open, leaving TIME_WAIT %s (after the kernel evidence, which stops at the teardown)", td))
	}
	if total == 0 {
		f.Text = "No TIME_WAIT during the run"
		if td != "" {
			f.Text += "; connlab's teardown left " + td
		} else {
			f.Text = "No TIME_WAIT on either side"
		}
		f.Level = LevelGood
		switch {
		case k.CloseWaitPeakServer+k.CloseWaitPeakClient > 0:
			f.Level = LevelInfo
			f.Text += ": connections stuck in CLOSE_WAIT"
			f.Evidence = append(f.Evidence, fmt.Sprintf("kernel: CLOSE_WAIT peaked at %d server-side, %d client-side",
				k.CloseWaitPeakServer, k.CloseWaitPeakClient))
			f.Why = "A connection whose application never calls Close stays in CLOSE_WAIT and never reaches TIME_WAIT; its peer waits in FIN_WAIT2."
		case c.Reset > 0:
			f.Level = LevelInfo
			f.Text += fmt.Sprintf(": %d reset", c.Reset)
			f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: %s ended with an RST, which skips TIME_WAIT", ofN(c.Reset, n)))
			f.Why = "An RST ends a connection at once: neither side enters TIME_WAIT. That hides TIME_WAIT; it does not make the close clean."
		case n == 0:
			f.Why = "No connection closed during the observation, so nobody entered TIME_WAIT."
		default:
			f.Why = "TIME_WAIT appears on the side that closes first; none was seen."
		}
		return f
	}

	switch {
	case k.TimeWaitPeakClient == 0:
		f.Text = fmt.Sprintf("TIME_WAIT landed on the server (peak %d)", k.TimeWaitPeakServer)
	case k.TimeWaitPeakServer == 0:
		f.Text = fmt.Sprintf("TIME_WAIT landed on the client (peak %d)", k.TimeWaitPeakClient)
	default:
		f.Text = fmt.Sprintf("TIME_WAIT on both sides: server %d, client %d", k.TimeWaitPeakServer, k.TimeWaitPeakClient)
	}
	switch {
	case k.DrainedMs >= 0:
		f.Text += fmt.Sprintf(", drained after %s", ms(k.DrainedMs))
		f.Evidence = append(f.Evidence, fmt.Sprintf("kernel: TIME_WAIT reached 0 on both sides %s after the workload ended", ms(k.DrainedMs)))
	case k.TimeWaitEndServer+k.TimeWaitEndClient == 0:
		f.Text += ", gone by the end"
		f.Evidence = append(f.Evidence, "kernel: no TIME_WAIT left on either side at the last poll")
	default:
		f.Text += ", still there at the end"
		f.Evidence = append(f.Evidence, fmt.Sprintf("kernel: still %d server-side and %d client-side in TIME_WAIT at the last poll",
			k.TimeWaitEndServer, k.TimeWaitEndClient))
	}
	if td != "" {
		f.Text += "; plus " + td + " from connlab's teardown"
	}

	// TIME_WAIT sits on the side that closed first (both, for a simultaneous close).
	tw := mostMixed
	switch {
	case k.TimeWaitPeakServer > 0 && k.TimeWaitPeakClient == 0:
		tw = mostServer
	case k.TimeWaitPeakClient > 0 && k.TimeWaitPeakServer == 0:
		tw = mostClient
	}
	switch {
	case n == 0:
	case dom == mostServer && tw == mostServer:
		f.Evidence = append(f.Evidence, fmt.Sprintf("matches who closed first: the server, on %s", of(c.ClosedFirstServer, n, "connection", "connections")))
	case dom == mostClient && tw == mostClient:
		f.Evidence = append(f.Evidence, fmt.Sprintf("matches who closed first: the client, on %s", of(c.ClosedFirstClient, n, "connection", "connections")))
	case dom == mostMixed || tw == mostMixed:
		f.Evidence = append(f.Evidence, fmt.Sprintf("both sides closed first on some connections (server %d, client %d, simultaneous %d)",
			c.ClosedFirstServer, c.ClosedFirstClient, c.ClosedFirstSimultaneous))
	default:
		f.Evidence = append(f.Evidence, fmt.Sprintf("does not match who closed first (server %d, client %d of %d): connections closed outside the instrumented run?",
			c.ClosedFirstServer, c.ClosedFirstClient, n))
	}

	// A run longer than TIME_WAIT's 60 s holds only the last minute of closes.
	closes, peak, who := c.ClosedFirstServer, k.TimeWaitPeakServer, "server"
	if dom == mostClient {
		closes, peak, who = c.ClosedFirstClient, k.TimeWaitPeakClient, "client"
	}
	if (dom == mostServer || dom == mostClient) && peak < closes && ev.DurationMs > timeWaitMs {
		f.Evidence = append(f.Evidence, fmt.Sprintf("peak %d below the %d %s closes: a %s run only holds the last 60 s of them",
			peak, closes, who, ms(ev.DurationMs)))
	}
	f.Level = LevelInfo
	f.Why = "The side that closes first holds TIME_WAIT for 60 s on Linux (fixed; tcp_fin_timeout does not change it), so late segments cannot reach a new connection on the same ports."
	f.Change = "Usually harmless on the server (one listening port, no port pressure); reusing connections means fewer closes and less of it."
	if pc := k.TimeWaitPeakClient; pc >= clientTimeWaitWarn {
		f.Level = LevelWarn
		if pc*100 >= ephemeralPorts*clientTimeWaitBadPercent {
			f.Level = LevelBad
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("client-side TIME_WAIT %d = %s of Linux's default %d ephemeral ports",
			pc, Percent(pc, ephemeralPorts), ephemeralPorts))
		f.Why += " On the client each one pins an ephemeral port toward this server for those 60 s: a client that dials faster than about 470 connections/s to one address runs out."
		f.Change = "Reuse connections on the client (keep-alive on, idle pool sized to the concurrency) so it dials and closes less."
	}
	return f
}

// closeWait reports sockets the kernel saw in CLOSE_WAIT: the peer sent its
// FIN and this side's application has not closed yet. On loopback that lasts
// microseconds for a healthy program, so polls rarely catch it.
func closeWait(ev Evidence) Finding {
	k, c := ev.Kernel, ev.Connections
	f := Finding{ID: IDCloseWait, Level: LevelInfo}
	polls := fmt.Sprintf("%s, %s", sourceOr(k.Source), count(k.Polls, "poll", "polls"))
	s, cl := k.CloseWaitPeakServer, k.CloseWaitPeakClient
	f.Evidence = []string{
		fmt.Sprintf("kernel: CLOSE_WAIT peaked at %d server-side, %d client-side (%s)", s, cl, polls),
	}
	if n := endedConns(c); n > 0 && c.CloseWaitMaxMs > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: the side that did not close first closed a median %s after its peer, at most %s (over the connections ended by FINs)",
			ms(c.CloseWaitMedianMs), ms(c.CloseWaitMaxMs)))
	}
	left := c.LeftInCloseWaitServer + c.LeftInCloseWaitClient
	if left > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: when the teardown began, %d server-side and %d client-side connections had their peer closed and had not closed themselves",
			c.LeftInCloseWaitServer, c.LeftInCloseWaitClient))
	}
	if c.CloseWaitOver > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("wrapped conns: %s closed more than %s after its peer",
			count(c.CloseWaitOver, "side", "sides"), ms(float64(closeWaitLeakMs))))
	}
	if left == 0 && c.CloseWaitOver == 0 {
		// Every passive side closed, promptly: the polls caught closes in
		// progress, not a leak.
		f.Text = fmt.Sprintf("CLOSE_WAIT was transient: each passive side closed within %s of its peer", ms(c.CloseWaitMaxMs))
		if c.CloseWaitMaxMs == 0 {
			f.Text = "CLOSE_WAIT was transient: a close in progress caught by a poll"
		}
		f.Why = "CLOSE_WAIT means the peer has closed and this side has not yet. A program that closes promptly still sits there for the moments it takes to notice the FIN (milliseconds under load), so a poll can catch it: that is not a leak."
		return f
	}
	f.Level = LevelWarn
	switch {
	case c.LeftInCloseWaitServer > 0 && c.LeftInCloseWaitClient > 0:
		f.Text = fmt.Sprintf("CLOSE_WAIT leak on both sides: %d server-side and %d client-side connections never closed after their peer did", c.LeftInCloseWaitServer, c.LeftInCloseWaitClient)
	case c.LeftInCloseWaitServer > 0:
		f.Text = fmt.Sprintf("CLOSE_WAIT leak on the server: %s never closed after the client did", count(c.LeftInCloseWaitServer, "connection", "connections"))
	case c.LeftInCloseWaitClient > 0:
		f.Text = fmt.Sprintf("CLOSE_WAIT leak on the client: %s never closed after the server did", count(c.LeftInCloseWaitClient, "connection", "connections"))
	default:
		f.Text = fmt.Sprintf("Slow closes: %s left its socket in CLOSE_WAIT over %s after its peer closed", count(c.CloseWaitOver, "side", "sides"), ms(float64(closeWaitLeakMs)))
	}
	f.Why = "CLOSE_WAIT means the peer has closed and this side's application has not called Close; a socket left there holds its file descriptor and buffers until the program closes it."
	f.Change = "Close what you open: on the client, close every response body (defer resp.Body.Close()); on the server, make sure handlers and hijacked connections close."
	return f
}

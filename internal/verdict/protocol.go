package verdict

import (
	"fmt"
	"strings"
)

// protocol reports the HTTP versions the server saw, HTTP/2 multiplexing,
// and response framing.
func protocol(ev Evidence) Finding {
	r, c := ev.Requests, ev.Connections
	f := Finding{ID: IDProtocol, Level: LevelInfo}
	seen := sum(r.Protos)
	if seen == 0 {
		f.Text = "The server saw no request"
		f.Evidence = []string{"server handler: no request received"}
		return f
	}
	protos := sortedKeys(r.Protos)
	for _, p := range protos {
		f.Evidence = append(f.Evidence, fmt.Sprintf("server saw %s on %s", p, of(r.Protos[p], seen, "request", "requests")))
	}
	if fr := sortedKeys(r.Framing); len(fr) > 0 {
		parts := make([]string, len(fr))
		for i, k := range fr {
			parts[i] = fmt.Sprintf("%s %d", k, r.Framing[k])
		}
		f.Evidence = append(f.Evidence, "client saw framing: "+strings.Join(parts, ", "))
	}

	h2, h10 := r.Protos["HTTP/2.0"], r.Protos["HTTP/1.0"]
	conns := max(c.Accepted-c.Unused, 1)
	switch {
	case len(protos) > 1:
		parts := make([]string, len(protos))
		for i, p := range protos {
			parts[i] = fmt.Sprintf("%s %d", p, r.Protos[p])
		}
		f.Text = "Mixed protocols: " + strings.Join(parts, ", ")
		f.Why = "Different requests used different protocols (an h2c upgrade, or clients of several kinds)."
	case h2 > 0:
		f.Why = "HTTP/2 carries concurrent requests as streams on one connection, so concurrency does not need more connections."
		if r.PeakInFlight > max(c.PeakOpen, 1) {
			f.Level = LevelGood
			f.Text = fmt.Sprintf("HTTP/2 multiplexed: up to %d requests at once on %s", r.PeakInFlight,
				count(max(c.PeakOpen, 1), "connection", "connections"))
			f.Evidence = append(f.Evidence, fmt.Sprintf("server handled up to %d requests at once on at most %s",
				r.PeakInFlight, count(max(c.PeakOpen, 1), "open connection", "open connections")))
		} else {
			f.Text = fmt.Sprintf("HTTP/2: %s on %s", count(h2, "request", "requests"), count(conns, "connection", "connections"))
		}
	case h10 > 0:
		f.Text = fmt.Sprintf("HTTP/1.0 on %s", of(h10, seen, "request", "requests"))
		f.Why = "HTTP/1.0 closes after each response unless both sides agree on `Connection: keep-alive`, and it has no chunked encoding."
		if http10NoKeepAlive(r) > 0 {
			f.Level = LevelWarn
			f.Change = "Speak HTTP/1.1, or send `Connection: keep-alive` and a Content-Length."
		}
	default:
		f.Text = fmt.Sprintf("%s on %s", protos[0], of(seen, seen, "request", "requests"))
		f.Why = "HTTP/1.1 carries one request at a time per connection: concurrency needs as many connections, each reused in turn."
	}

	if eof := r.Framing["eof"]; eof > 0 {
		f.Level = LevelWarn
		f.Text += fmt.Sprintf("; %d close-delimited", eof)
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s delimited by connection close (no Content-Length, not chunked)",
			of(eof, sum(r.Framing), "response", "responses")))
		f.Why += " A body without Content-Length or chunked framing ends only when the connection closes, so that connection cannot be reused."
		f.Change = "Send Content-Length (or use HTTP/1.1 chunked encoding)."
	}
	return f
}

// keepaliveProbes reports TCP keepalive timers the kernel showed, which have
// nothing to do with HTTP keep-alive.
func keepaliveProbes(ev Evidence) Finding {
	k := ev.Kernel
	f := Finding{ID: IDKeepaliveProbes, Level: LevelInfo}
	f.Why = "TCP keepalive is the kernel probing an idle connection to detect a dead peer (and keep NAT state); HTTP keep-alive is reusing a connection for more requests. They are independent."
	switch {
	case k.Polls == 0:
		f.Text = "No kernel evidence for TCP keepalive"
		f.Evidence = []string{"kernel: no poll observed the port (0 polls)"}
		f.Why = ""
	case k.KeepaliveTimers > 0:
		f.Text = fmt.Sprintf("TCP keepalive timers armed on up to %s", count(k.KeepaliveTimers, "socket", "sockets"))
		f.Evidence = []string{fmt.Sprintf("kernel: up to %s at once had a keepalive timer armed (idiag_timer 2; %s, %s)",
			count(k.KeepaliveTimers, "socket", "sockets"), sourceOr(k.Source), count(k.Polls, "poll", "polls"))}
	default:
		f.Text = "No TCP keepalive timer seen"
		f.Evidence = []string{fmt.Sprintf("kernel: no socket had a keepalive timer armed (%s, %s)",
			sourceOr(k.Source), count(k.Polls, "poll", "polls"))}
		f.Change = "If idle connections cross NATs or firewalls, enable TCP keepalive (KeepAliveConfig on the Dialer or ListenConfig)."
	}
	return f
}

// sourceOr names the kernel sampler, or says "kernel" when it is unknown.
func sourceOr(s string) string {
	if s == "" {
		return "kernel"
	}
	return s
}

package verdict

import (
	"fmt"
	"strings"
)

// retries reports requests the Transport silently retried on a new connection.
func retries(ev Evidence) Finding {
	r, c := ev.Requests, ev.Connections
	f := Finding{ID: IDRetries}
	if r.Retried == 0 {
		if r.Total == 0 {
			f.Level = LevelInfo
			f.Text = "No requests, no retries"
			f.Evidence = []string{"httptrace: no request made"}
			return f
		}
		f.Level = LevelGood
		f.Text = "No silent retries"
		f.Evidence = []string{fmt.Sprintf("httptrace: GotConn fired once per request (%s)", count(r.Total, "request", "requests"))}
		return f
	}
	f.Level = LevelWarn
	f.Text = fmt.Sprintf("%s silently retried on a new connection", of(r.Retried, r.Total, "request", "requests"))
	f.Evidence = append(f.Evidence, fmt.Sprintf("httptrace: GotConn fired more than once on %s", of(r.Retried, r.Total, "request", "requests")))
	if r.WasIdle > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("httptrace: %s took an idle pooled connection", ofN(r.WasIdle, r.Total)))
	}
	if c.ServerIdleClosed > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("server ConnState: %s closed while idle (IdleTimeout or shutdown)",
			count(c.ServerIdleClosed, "connection", "connections")))
	}
	f.Why = "A pooled connection died as the request took it (typically the server's IdleTimeout closing it at that moment); Go retries idempotent requests on a new connection without telling the caller. Non-idempotent ones (POST) fail instead."
	f.Change = "Set the client's IdleConnTimeout below the server's IdleTimeout, so the client drops idle connections before the server does."
	return f
}

// errorsFinding reports failed requests and error statuses, quoting samples.
func errorsFinding(ev Evidence) Finding {
	r := ev.Requests
	f := Finding{ID: IDErrors}
	badStatus, statusLines := errorStatuses(r)
	if r.Errors == 0 && badStatus == 0 {
		if r.Total == 0 {
			f.Level = LevelInfo
			f.Text = "No requests, no errors"
			f.Evidence = []string{"client: no request made"}
			return f
		}
		f.Level = LevelGood
		f.Text = fmt.Sprintf("No errors in %s", count(r.Total, "request", "requests"))
		f.Evidence = []string{fmt.Sprintf("client: %s succeeded", ofN(r.Total, r.Total))}
		return f
	}

	if r.Errors > 0 {
		f.Level = LevelWarn
		if r.Errors*100 >= r.Total*errorsBadPercent {
			f.Level = LevelBad
		}
		f.Text = fmt.Sprintf("%s failed", of(r.Errors, r.Total, "request", "requests"))
		f.Evidence = append(f.Evidence, fmt.Sprintf("client: %s returned an error", ofN(r.Errors, r.Total)))
	} else {
		f.Level = LevelWarn
		f.Text = fmt.Sprintf("%s got an error status", of(badStatus, r.Total, "request", "requests"))
	}
	keys := sortedKeys(r.ErrorSamples)
	for i, k := range keys {
		if i == maxErrorSamples {
			f.Evidence = append(f.Evidence, fmt.Sprintf("… and %d other %s", len(keys)-i, noun(len(keys)-i, "error", "errors")))
			break
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("client error ×%d: %s", r.ErrorSamples[k], quote(k, 90)))
	}
	f.Evidence = append(f.Evidence, statusLines...)

	f.Why, f.Change = errorCause(keys)
	if r.Errors == 0 {
		f.Why = "The server answered, but with an error status."
		f.Change = "Look at the handler and the server's timeouts."
	}
	return f
}

// errorStatuses counts responses with a status of 400 or more and describes them.
func errorStatuses(r Requests) (int, []string) {
	n := 0
	var lines []string
	for _, k := range sortedKeys(r.Status) {
		if len(k) == 3 && k >= "400" {
			n += r.Status[k]
			lines = append(lines, fmt.Sprintf("server answered %s on %s", k, of(r.Status[k], r.Total, "request", "requests")))
		}
	}
	return n, lines
}

// errorCause explains the most frequent error message.
func errorCause(samples []string) (why, change string) {
	top := ""
	if len(samples) > 0 {
		top = strings.ToLower(samples[0])
	}
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(top, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("connection refused"):
		return "Nothing was listening: the server had gone away (restart or crash) while the client still dialled it.",
			"Retry with backoff across restarts; stop servers with Shutdown so clients see an orderly close."
	case has("eof", "connection reset", "broken pipe", "server closed idle connection"):
		return "The request went out on a pooled connection the server was closing; Go does not retry non-idempotent requests (POST without an Idempotency-Key), so the error reaches the caller.",
			"Set the client's IdleConnTimeout below the server's IdleTimeout; make POSTs retryable (Idempotency-Key header and GetBody) or retry in the application."
	case has("timeout", "deadline exceeded"):
		return "A deadline expired: the client's timeout, or a server ReadTimeout/WriteTimeout cut the exchange.",
			"Align the client's and the server's timeouts with how long the handler really takes."
	}
	return "The requests failed; the quoted errors say how.", "Fix the cause the errors name."
}

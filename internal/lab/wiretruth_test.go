package lab_test

import (
	"fmt"
	"testing"

	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/wirecap"
	"github.com/connlab/connlab/internal/wirecap/wiretest"
)

// minAgreePercent: the share of connections on which the Lab's lanes must
// say what the wire says (who sent the first FIN or RST, and whether an RST
// ended it). 99, not 100: the Lab decides who closed first from its own
// Close calls and a probe of the socket just before each, and on a loaded
// machine a FIN can cross a probe; the wire decides from the segments.
const minAgreePercent = 99

// checkWire compares a finished run with its capture:
//
//   - every lane the result holds (the most recent finishedLanes; all of
//     them when LanesTotal says so), teardown's included, with its wire
//     connection (by client port): the first closer and FIN vs RST agree
//     on at least minAgreePercent of them, and no lane claims more requests
//     than the client sent on it;
//   - the reuse figure. connections.reusedRequests is the server's count:
//     requests it served on a connection that had served one before (sum
//     over connections of max(0, served-1)). The wire's RequestsOnUsed is
//     the same sum over the requests the client sent. Every request the
//     server served crossed the wire on its connection, so per connection
//     served <= sent, and reusedRequests <= RequestsOnUsed on any CPU. They
//     differ only by requests sent on an already-used connection that the
//     server never served: the connection was closing under them (an idle
//     timeout or a restart racing the request); the client then saw an
//     error or retried silently on a new connection: the difference is at
//     most the attempts that failed, errors plus the extra attempts of the
//     request log (GotConn more than once), checked when the log holds
//     every request. Without errors nor retries they are equal. Likewise carried <= the wire's used
//     connections, and connections opened (accepted) <= the wire's opened
//     connections.
func checkWire(t *testing.T, r *lab.Result, res wirecap.Result) {
	claims := make([]wiretest.Claim, len(r.Lanes))
	for i, l := range r.Lanes {
		claims[i] = wiretest.Claim{
			Label:       fmt.Sprintf("lane %d", l.ID),
			ClientPort:  l.ClientPort,
			ClosedFirst: l.ClosedBy,
			Reset:       l.End == "rst",
			Requests:    l.Requests, // the server's count (0 when never accepted)
		}
	}
	rep := wiretest.Compare(res, claims)
	sum := res.Summary()
	c, q := r.Connections, r.Requests
	t.Logf("%s %s: wire agreement: %v", t.Name(), r.Preset, rep)
	t.Logf("%s %s: reuse: server %d of %d served (carried %d), wire %d of %d sent on %d used connections (unsure %d); client errors %d, retried %d",
		t.Name(), r.Preset, c.ReusedRequests, c.Carried+c.ReusedRequests, c.Carried, sum.RequestsOnUsed, sum.Requests, sum.Used, sum.RequestsUnsure, q.Errors, q.Retried)
	if r.LanesTotal != len(r.Lanes) {
		rep.WireOnly = nil // the older connections, beyond the lanes kept
	}
	if d := rep.Details(); d != "" {
		t.Logf("differences:\n%s", d)
	}

	if len(rep.ClaimOnly) > 0 {
		t.Errorf("%d lanes not on the wire", len(rep.ClaimOnly))
	}
	if r.LanesTotal == len(r.Lanes) && len(rep.WireOnly) > 0 {
		t.Errorf("%d wire connections without a lane (every lane is in the result)", len(rep.WireOnly))
	}
	if rep.CloserAgree*100 < rep.Matched*minAgreePercent {
		t.Errorf("first closer agrees with the wire on %d of %d connections (%.2f%%), want >= %d%%",
			rep.CloserAgree, rep.Matched, wiretest.Percent(rep.CloserAgree, rep.Matched), minAgreePercent)
	}
	if rep.ResetAgree*100 < rep.Matched*minAgreePercent {
		t.Errorf("FIN vs RST agrees with the wire on %d of %d connections (%.2f%%), want >= %d%%",
			rep.ResetAgree, rep.Matched, wiretest.Percent(rep.ResetAgree, rep.Matched), minAgreePercent)
	}
	if rep.MoreRequests > 0 {
		t.Errorf("%d lanes count more requests than the client sent on the wire", rep.MoreRequests)
	}

	if sum.RequestsUnsure > 0 {
		t.Logf("%d wire connections with an unsure request count: reuse not compared", sum.RequestsUnsure)
		return
	}
	if c.ReusedRequests > sum.RequestsOnUsed {
		t.Errorf("server reused %d > the wire's %d requests on an already-used connection", c.ReusedRequests, sum.RequestsOnUsed)
	}
	if q.Errors+q.Retried == 0 && c.ReusedRequests != sum.RequestsOnUsed {
		t.Errorf("no errors nor retries, yet the server's reuse %d != the wire's %d", c.ReusedRequests, sum.RequestsOnUsed)
	}
	if r.LogTotal == len(r.Log) {
		failed := q.Errors
		for _, l := range r.Log {
			failed += max(l.Attempts-1, 0)
		}
		if lost := sum.RequestsOnUsed - c.ReusedRequests; lost > failed {
			t.Errorf("the wire carried %d requests on already-used connections that the server never served, more than the %d attempts that failed", lost, failed)
		}
	}
	if c.Carried > sum.Used {
		t.Errorf("server: %d connections carried requests > the wire's %d", c.Carried, sum.Used)
	}
	if c.Opened > rep.Wire {
		t.Errorf("listener accepted %d connections > the wire's %d opened", c.Opened, rep.Wire)
	}
}

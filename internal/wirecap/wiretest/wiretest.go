// Package wiretest checks, in tests, what connlab says about connections
// against the wire. It starts a wirecap capture for a test (skipping the
// test, with the reason, where the process may not capture packets: not
// root, not Linux), stops it failing the test when the capture missed
// packets, and compares a test subject's per-connection claims (the Lab's
// lanes, the Watch's connections) with the wire's, connection by
// connection: who sent the first FIN or RST, whether an RST ended it, and
// how many requests it carried.
//
//	c := wiretest.Start(t, wiretest.Endpoint(ln.Addr()))
//	... traffic; every connection closed ...
//	res := wiretest.Stop(t, c)
//	rep := wiretest.Compare(res, claims)
//	if rep.CloserAgree*100 < rep.Matched*99 { t.Error(rep) }
package wiretest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/connlab/connlab/internal/wirecap"
)

// Endpoint is a listener's address as the wire shows it (wirecap.Endpoint).
func Endpoint(a net.Addr) netip.AddrPort { return wirecap.Endpoint(a) }

var (
	permitOnce sync.Once
	permitErr  error
)

// Unavailable says why this process cannot capture packets (nil: it can).
// It tries once, on a port nothing uses, and remembers the answer.
func Unavailable() error {
	permitOnce.Do(func() {
		c, err := wirecap.Start(context.Background(), wirecap.Options{Ports: []uint16{1}, Buffer: 2 << 18})
		if err != nil {
			permitErr = err
			return
		}
		_, permitErr = c.Stop()
	})
	return permitErr
}

// Skip skips t, saying why, when this process cannot capture packets.
func Skip(t testing.TB) {
	t.Helper()
	if err := Unavailable(); err != nil {
		t.Skipf("no wire truth (packet capture on lo needs root on Linux): %v", err)
	}
}

// Start captures the connections of the endpoints on lo for t, or skips t
// when the process may not capture. The capture is stopped when t ends if
// Stop was not called.
func Start(t testing.TB, endpoints ...netip.AddrPort) *wirecap.Capture {
	t.Helper()
	Skip(t)
	c, err := StartCapture(endpoints...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.Stop() })
	return c
}

// StartCapture is Start without a test, for code that may not skip or fail
// (a hook called from the code under test); call Unavailable first.
func StartCapture(endpoints ...netip.AddrPort) (*wirecap.Capture, error) {
	c, err := wirecap.Start(context.Background(), wirecap.Options{Endpoints: endpoints})
	if err != nil {
		return nil, fmt.Errorf("start wire capture of %v: %w", endpoints, err)
	}
	return c, nil
}

// Stop stops c and returns what it saw; it fails t when the capture ended
// early or missed packets (then the wire is no truth).
func Stop(t testing.TB, c *wirecap.Capture) wirecap.Result {
	t.Helper()
	res, err := c.Stop()
	if err == nil {
		err = res.Complete()
	}
	if err != nil {
		t.Fatalf("wire capture: %v", err)
	}
	return res
}

// Closer is the wire's first closer spelled as connlab spells it:
// "server", "client", "simultaneous", or "" while nobody closed.
func Closer(w wirecap.Conn) string {
	switch {
	case w.FirstCloser == wirecap.NoSide:
		return ""
	case w.Simultaneous:
		return "simultaneous"
	case w.FirstCloser == wirecap.Server:
		return "server"
	}
	return "client"
}

// EndedByReset says whether an RST ended w: any RST but one that came
// after both FINs were acknowledged.
func EndedByReset(w wirecap.Conn) bool { return w.Reset && !w.ResetAfterEnd }

// Claim is what the subject under test says about one connection.
type Claim struct {
	// Label names it in messages ("lane 12").
	Label string
	// ClientPort is the client's port; the server end is the captured
	// endpoint.
	ClientPort uint16
	// ClosedFirst: "server", "client", "simultaneous" ("" not closed).
	ClosedFirst string
	// Reset: an RST ended the connection (first or after a FIN). An RST
	// after both FINs were acknowledged ended nothing (see
	// wirecap.Conn.ResetAfterEnd): it is not a reset here.
	Reset bool
	// Requests the subject counted on it; -1 when it does not count them.
	Requests int
}

// Pair is a claim and the wire's connection it was matched with.
type Pair struct {
	Claim Claim
	Wire  wirecap.Conn
}

// Report is a comparison of claims with the wire.
type Report struct {
	// Wire counts the wire's connections that opened (the server answered
	// the SYN); Refused those it refused (SYN, then RST: no connection).
	Wire, Refused int
	// Claims counts the claims, Matched those paired with a wire
	// connection.
	Claims, Matched int
	// CloserAgree and ResetAgree count the matched connections on which
	// the claim's first closer, and whether it ended by RST, are the
	// wire's.
	CloserAgree, ResetAgree int
	// TimeWaitKilled counts the matched connections that ended with FINs
	// and then received a stray RST, which killed a TIME_WAIT
	// (wirecap.Conn.ResetAfterEnd).
	TimeWaitKilled int
	// FewerRequests counts matched connections whose claimed requests are
	// fewer than the client sent on the wire (requests sent but never
	// served); MoreRequests those claiming more than the wire carried
	// (never right). Connections whose wire count is unsure are left out.
	FewerRequests, MoreRequests int
	// WireOnly are the opened wire connections no claim matched; ClaimOnly
	// the claims without a wire connection.
	WireOnly  []wirecap.Conn
	ClaimOnly []Claim
	// Disagree are the matched connections on which the claim and the wire
	// differ (closer, reset or more requests than the wire's).
	Disagree []Pair
}

// Compare pairs claims with the wire's connections by client port. A port
// can carry several connections one after the other (Linux's tcp_tw_reuse
// on loopback): per port, claims and wire connections are paired in
// order, from the most recent back, so claims about only the most recent
// connections (a bounded list) pair with the right ones; the older wire
// connections are then in WireOnly. Connections the wire shows refused
// (no SYN-ACK) are counted apart, never paired: no one had a connection.
func Compare(res wirecap.Result, claims []Claim) Report {
	rep := Report{Claims: len(claims)}
	wireBy := map[uint16][]wirecap.Conn{}
	var order []uint16 // ports in the wire's order, for WireOnly's
	for _, w := range res.Conns {
		if !w.SawSYNACK && w.SawSYN {
			rep.Refused++
			continue
		}
		rep.Wire++
		p := w.Client.Port()
		if len(wireBy[p]) == 0 {
			order = append(order, p)
		}
		wireBy[p] = append(wireBy[p], w)
	}
	claimBy := map[uint16][]Claim{}
	for _, c := range claims {
		claimBy[c.ClientPort] = append(claimBy[c.ClientPort], c)
	}
	for _, c := range claims {
		cs := claimBy[c.ClientPort]
		if cs == nil {
			continue // paired already
		}
		claimBy[c.ClientPort] = nil
		ws := wireBy[c.ClientPort]
		n := min(len(cs), len(ws))
		rep.ClaimOnly = append(rep.ClaimOnly, cs[:len(cs)-n]...)
		for i := range n {
			rep.add(cs[len(cs)-n+i], ws[len(ws)-n+i])
		}
		wireBy[c.ClientPort] = ws[:len(ws)-n]
	}
	for _, p := range order {
		rep.WireOnly = append(rep.WireOnly, wireBy[p]...)
	}
	return rep
}

func (r *Report) add(c Claim, w wirecap.Conn) {
	r.Matched++
	ok := true
	if c.ClosedFirst == Closer(w) {
		r.CloserAgree++
	} else {
		ok = false
	}
	if w.ResetAfterEnd {
		r.TimeWaitKilled++
	}
	if c.Reset == EndedByReset(w) {
		r.ResetAgree++
	} else {
		ok = false
	}
	if c.Requests >= 0 && w.RequestsUnsure == "" {
		switch {
		case c.Requests < w.Requests:
			r.FewerRequests++
		case c.Requests > w.Requests:
			r.MoreRequests++
			ok = false
		}
	}
	if !ok {
		r.Disagree = append(r.Disagree, Pair{c, w})
	}
}

// Percent is part of whole in percent (100 when whole is 0: nothing to
// disagree on).
func Percent(part, whole int) float64 {
	if whole == 0 {
		return 100
	}
	return float64(part) * 100 / float64(whole)
}

// String is the agreement in one line, for logs and the figures.
func (r Report) String() string {
	return fmt.Sprintf("%d of %d claims matched %d opened wire connections (%d refused, %d wire-only): first closer agrees on %d (%.2f%%), FIN vs RST on %d (%.2f%%); TIME_WAIT killed by a stray RST after the FINs on %d; requests fewer than the wire's on %d, more on %d",
		r.Matched, r.Claims, r.Wire, r.Refused, len(r.WireOnly),
		r.CloserAgree, Percent(r.CloserAgree, r.Matched), r.ResetAgree, Percent(r.ResetAgree, r.Matched),
		r.TimeWaitKilled, r.FewerRequests, r.MoreRequests)
}

// maxWireOnly bounds the wire-only connections Details lists one by one
// (claims about the most recent connections leave many).
const maxWireOnly = 10

// Details lists the disagreements and the unpaired, one per line.
func (r Report) Details() string {
	var b strings.Builder
	for _, p := range r.Disagree {
		w := p.Wire
		fmt.Fprintf(&b, "%s (port %d): says %q first, reset %v, %d requests; the wire: %q first (%s), reset %v by %v %s after the first close, %d requests%s; bytes client %d server %d, RSTs client %d server %d, %d segments\n",
			p.Claim.Label, p.Claim.ClientPort, p.Claim.ClosedFirst, p.Claim.Reset, p.Claim.Requests,
			Closer(w), w.FirstKind, w.Reset, w.ResetBy, resetAfter(w), w.Requests, unsure(w),
			w.ClientBytes, w.ServerBytes, w.ClientRSTs, w.ServerRSTs, w.Segments)
	}
	for _, c := range r.ClaimOnly {
		fmt.Fprintf(&b, "%s (port %d): not on the wire\n", c.Label, c.ClientPort)
	}
	for i, w := range r.WireOnly {
		if i == maxWireOnly {
			fmt.Fprintf(&b, "wire only: %d more\n", len(r.WireOnly)-i)
			break
		}
		fmt.Fprintf(&b, "wire only: %v -> %v, %q first (%s), reset %v, %d requests\n",
			w.Client, w.Server, Closer(w), w.FirstKind, w.Reset, w.Requests)
	}
	return b.String()
}

// resetAfter is how long after the first FIN the RST came ("-" without).
func resetAfter(w wirecap.Conn) string {
	if !w.Reset || w.FirstCloseAt.IsZero() {
		return "-"
	}
	return w.ResetAt.Sub(w.FirstCloseAt).String()
}

func unsure(w wirecap.Conn) string {
	if w.RequestsUnsure == "" {
		return ""
	}
	return " (unsure: " + w.RequestsUnsure + ")"
}

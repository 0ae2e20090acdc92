package wirecap

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Result is what one capture saw.
type Result struct {
	Ports []uint16
	// Conns are the connections in the order their first segment came.
	Conns []Conn
	// Started is when the capture was listening; Stopped when Stop was
	// called. Segments sent in between are all in Conns.
	Started, Stopped time.Time
	// Packets is the segments read and parsed.
	Packets uint64
	// Drops is what the kernel could not queue to the capture (its
	// PACKET_STATISTICS tp_drops: the receive ring was full). Not 0:
	// the result is not to be trusted (see Complete).
	Drops uint64
	// Malformed counts packets the filter let through that did not parse.
	Malformed uint64
	// Foreign counts segments on a watched port left out because neither
	// end is one of Options.Endpoints (another listener on the port
	// number).
	Foreign uint64
	// Untracked counts segments of connections past the tracking limit.
	Untracked uint64
	// Cut counts client-to-server segments whose payload the capture did
	// not hold in full (the connections say so in RequestsUnsure).
	Cut uint64
	// Quiet is true when the drain after Stop ended on a quiet port, false
	// when it hit its deadline with packets still coming.
	Quiet bool
}

// ErrIncomplete is wrapped by Complete's error.
var ErrIncomplete = errors.New("result not trustworthy")

// Complete returns an error wrapping ErrIncomplete when the capture missed
// packets of the watched ports.
func (r Result) Complete() error {
	var errs []error
	if r.Drops > 0 {
		errs = append(errs, fmt.Errorf("capture dropped %d packets: %w", r.Drops, ErrIncomplete))
	}
	if r.Malformed > 0 {
		errs = append(errs, fmt.Errorf("capture could not parse %d packets: %w", r.Malformed, ErrIncomplete))
	}
	if r.Untracked > 0 {
		errs = append(errs, fmt.Errorf("capture tracked at most %d connections, %d segments left out: %w", maxConns, r.Untracked, ErrIncomplete))
	}
	return errors.Join(errs...)
}

// Find returns the connections whose client end is client (an IPv4-mapped
// address is looked up as IPv4, as it is on the wire), oldest first. There
// are several when the port was reused.
func (r Result) Find(client netip.AddrPort) []Conn {
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	var out []Conn
	for _, c := range r.Conns {
		if c.Client == client {
			out = append(out, c)
		}
	}
	return out
}

// Summary is the aggregate of a capture's connections.
type Summary struct {
	Conns int
	// NoSYN counts connections open before the capture started.
	NoSYN int
	// Ended counts connections over on the wire (see Conn.Ended).
	Ended int
	// ServerFirst, ClientFirst and Simultaneous split the connections
	// someone closed: simultaneous ones are in neither of the first two.
	// NotClosed is the rest: Conns = ServerFirst + ClientFirst +
	// Simultaneous + NotClosed.
	ServerFirst, ClientFirst, Simultaneous, NotClosed int
	// FirstFIN and FirstRST split the same closed connections by the kind
	// of their first close.
	FirstFIN, FirstRST int
	// Reset counts connections with any RST; ResetByServer and
	// ResetByClient split them by the first RST's sender; FINThenRST
	// counts those whose first close was a FIN.
	Reset, ResetByServer, ResetByClient, FINThenRST int
	// Requests sums the requests of all connections; Used counts the
	// connections that carried at least one; RequestsOnUsed sums
	// max(0, requests-1): requests sent on an already-used connection.
	Requests, Used, RequestsOnUsed int
	// RequestsUnsure counts connections whose request count may be wrong
	// (their counts are in Requests as far as they were followed).
	RequestsUnsure int
}

// Summary adds up the connections.
func (r Result) Summary() Summary {
	var s Summary
	for _, c := range r.Conns {
		s.Conns++
		if !c.SawSYN {
			s.NoSYN++
		}
		if c.Ended {
			s.Ended++
		}
		switch {
		case c.FirstCloser == NoSide:
			s.NotClosed++
		case c.Simultaneous:
			s.Simultaneous++
		case c.FirstCloser == Server:
			s.ServerFirst++
		default:
			s.ClientFirst++
		}
		switch c.FirstKind {
		case KindFIN:
			s.FirstFIN++
		case KindRST:
			s.FirstRST++
		}
		if c.Reset {
			s.Reset++
			if c.ResetBy == Server {
				s.ResetByServer++
			} else {
				s.ResetByClient++
			}
			if c.FirstKind == KindFIN {
				s.FINThenRST++
			}
		}
		s.Requests += c.Requests
		if c.Requests > 0 {
			s.Used++
			s.RequestsOnUsed += c.Requests - 1
		}
		if c.RequestsUnsure != "" {
			s.RequestsUnsure++
		}
	}
	return s
}

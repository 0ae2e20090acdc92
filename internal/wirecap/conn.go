package wirecap

import (
	"net/netip"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Side is one end of a connection: sockstat.Side, connlab's one
// definition. The server is the end on the watched port (the one that
// received the SYN when both ends are watched).
type Side = sockstat.Side

// The sides, under this package's names.
const (
	NoSide = sockstat.SideNone
	Client = sockstat.Client
	Server = sockstat.Server
)

// Kind is how a side closed: a FIN or an RST.
type Kind uint8

// The kinds of close.
const (
	NoKind Kind = iota
	KindFIN
	KindRST
)

func (k Kind) String() string {
	switch k {
	case KindFIN:
		return "FIN"
	case KindRST:
		return "RST"
	}
	return "none"
}

// Conn is what the wire says about one connection.
type Conn struct {
	Client, Server netip.AddrPort
	// SawSYN is false for a connection open before the capture started.
	SawSYN bool
	// SawSYNACK: the server answered the SYN (false for a connection
	// refused with an RST, or open before the capture started).
	SawSYNACK bool
	// Start is the client's first SYN (else the first segment seen); End
	// the last segment seen.
	Start, End time.Time
	// Segments counts the segments seen, both directions.
	Segments int
	// ClientBytes and ServerBytes are the payload bytes each side sent,
	// by sequence number (a retransmission counts once); 0 when the
	// connection opened before the capture.
	ClientBytes, ServerBytes int64

	// FirstCloser sent the connection's first FIN or RST, FirstKind says
	// which, at FirstCloseAt. NoSide while neither side closed.
	FirstCloser  Side
	FirstKind    Kind
	FirstCloseAt time.Time
	// ClientFIN and ServerFIN are when each side sent its first FIN (zero
	// if it sent none).
	ClientFIN, ServerFIN time.Time
	// Simultaneous: both sides sent a FIN, and the second FIN did not
	// acknowledge the first: its sender had not received the first FIN
	// when it closed. Both sides then go through CLOSING to TIME_WAIT.
	Simultaneous bool
	// Reset: an RST was sent, first by ResetBy at ResetAt; also when the
	// first close was a FIN (FirstKind == KindFIN && Reset: FIN then RST).
	Reset      bool
	ResetBy    Side
	ResetAt    time.Time
	ClientRSTs int
	ServerRSTs int
	// ResetAfterEnd: the first RST came after the connection had ended
	// with both FINs acknowledged. It ended nothing: it answered a stray
	// segment (on loopback, a delayed ACK overtaken by the FIN sent after
	// it, which the peer's TIME_WAIT acknowledges once more, to a socket
	// gone) and killed the TIME_WAIT of the side that received it (Linux
	// accepts an RST in TIME_WAIT: tcp_rfc1337 is 0 by default).
	ResetAfterEnd bool
	// Ended: an RST was sent, or both FINs were sent and the later one
	// was acknowledged. A connection not Ended was still open (or closing)
	// when the capture stopped.
	Ended bool

	// Proto is what the client sent; Requests how many requests it opened
	// (HTTP/1.x request lines, HTTP/2 streams). RequestsUnsure is empty
	// when Requests is exact, else it says why it may not be.
	Proto          Proto
	Requests       int
	RequestsUnsure string
}

// finOf returns the side's first FIN time.
func (c *Conn) finOf(s Side) time.Time {
	if s == Client {
		return c.ClientFIN
	}
	return c.ServerFIN
}

// Package flow follows the connections of one watched port from open to
// close and turns them into live figures: connections opened, who closed
// first (server, client, both at once), resets, lifetimes, rates over the
// last minute, and two forecasts: the TIME_WAIT each side holds in steady
// state at the current close rate, and the time left before the client
// side runs out of ephemeral ports toward one destination.
//
// Its input is one of two sources, chosen by the caller:
//
//   - Kernel transitions (eBPF, see internal/tcpevents): every state change
//     of every socket of the port, exact. This host's socket going
//     ESTABLISHED -> FIN_WAIT1 closed first; -> CLOSE_WAIT was closed by its
//     peer; FIN_WAIT1 on both ends (or FIN_WAIT1 -> CLOSING) is a
//     simultaneous close. A connection with both ends on this host has two
//     sockets and counts once.
//   - Polls (the fallback): what two successive polls differ by. A new
//     4-tuple is an opened connection, a socket newly in TIME_WAIT a close
//     by its side. A connection shorter than a poll is never seen and an
//     RST leaves no TIME_WAIT, so these figures are lower bounds
//     (Figures.LowerBound) and lifetimes and resets are not measured.
//
// Openings are counted twice over: per connection (Counts.Opened; both
// ends on this host count once) and per side (Counts.OpenedBy: a server
// socket is seen opening at SYN_RECV -> ESTABLISHED, a client socket at
// SYN_SENT -> ESTABLISHED, or, from polls, as a new 4-tuple of that side).
//
// A Port is not safe for concurrent use: one goroutine (the monitor's poll
// loop, or the transition reader) feeds it and renders it, or the caller
// locks. Memory is bounded: at most maxConns connections are followed at
// once; beyond that new ones only count as opened (Figures.Untracked says
// how many were not followed).
package flow

import (
	"net/netip"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Sources of the figures.
const (
	SourceEBPF  = "ebpf"
	SourcePolls = "polls"
)

// Limits and timings.
const (
	// Window is the span of the "last 60 s" figures.
	Window = 60 * time.Second
	// timeWaitLen is how long Linux keeps a socket in TIME_WAIT.
	timeWaitLen = 60 * time.Second
	// maxConns bounds the connections followed at once per port.
	maxConns = 1 << 17
	// staleAfter: a followed connection with no event for this long is
	// forgotten (an event lost in a full ring buffer must not pin it).
	staleAfter = 15 * time.Minute
	// keepDone is how many ended connections are kept for display.
	keepDone = 200
)

// Closer says which end of a connection closed first.
type Closer uint8

// Closers. None: not closed yet, or closed without the evidence to say.
const (
	None Closer = iota
	Server
	Client
	Simultaneous
)

// String is "server", "client", "simultaneous" or "".
func (c Closer) String() string {
	switch c {
	case Server:
		return "server"
	case Client:
		return "client"
	case Simultaneous:
		return "simultaneous"
	}
	return ""
}

func closerOf(s sockstat.Side) Closer {
	if s == sockstat.Server {
		return Server
	}
	return Client
}

func other(s sockstat.Side) sockstat.Side {
	if s == sockstat.Server {
		return sockstat.Client
	}
	return sockstat.Server
}

// Reset says whether a transition event is a reset and in which direction.
type Reset uint8

// Reset kinds.
const (
	NoReset Reset = iota
	// ResetSent: this socket sent an RST.
	ResetSent
	// ResetReceived: this socket received an RST.
	ResetReceived
)

// Transition is one state change of one socket of this host. For a reset
// event (Reset != NoReset) Old and New are the socket's state at the time.
type Transition struct {
	At time.Time
	// Local and Remote from the socket's own side. SYN_SENT is entered
	// before the local port is chosen (Local port 0): such events are
	// ignored; the connection opens at SYN_SENT -> ESTABLISHED.
	Local, Remote netip.AddrPort
	Old, New      sockstat.State
	Reset         Reset
	// Pid and Comm name the process acting on the socket when the kernel
	// knows it (Pid 0 otherwise); the figures ignore them, displays use them.
	Pid  uint32
	Comm string
}

// key identifies a connection whatever end reports it: both ends of a
// loopback connection share it.
type key struct {
	client, server netip.AddrPort
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// conn is one followed connection.
type conn struct {
	opened  time.Time // zero when its opening was not seen
	last    time.Time // last event
	live    uint8     // bit per side whose socket is still open here
	seen    uint8     // bit per side whose socket was seen here
	listed  bool      // polls: already in the ended list
	closer  Closer
	active  uint8 // bit per side whose socket closed actively (ESTABLISHED -> FIN_WAIT1)
	counted time.Time
	reset   bool
}

func bit(s sockstat.Side) uint8 { return 1 << s }

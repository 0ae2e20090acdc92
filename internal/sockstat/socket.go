// Package sockstat answers one question: which TCP sockets does port P have
// right now? On Linux it asks the kernel through netlink sock_diag (inet_diag)
// with the watched ports compiled into an in-kernel bytecode filter; elsewhere,
// or when netlink is refused, it falls back to gopsutil. It is the only package
// that imports gopsutil or netlink code.
package sockstat

import (
	"net/netip"
	"time"
)

// State is a TCP state, numbered as the Linux kernel numbers them
// (include/net/tcp_states.h), so netlink values need no translation.
type State uint8

// TCP states, kernel numbering.
const (
	Established State = 1
	SynSent     State = 2
	SynRecv     State = 3
	FinWait1    State = 4
	FinWait2    State = 5
	TimeWait    State = 6
	Close       State = 7
	CloseWait   State = 8
	LastAck     State = 9
	Listen      State = 10
	Closing     State = 11
	// NewSynRecv is the kernel's request-socket state; reported as SYN_RECV.
	NewSynRecv State = 12
)

// States lists every state a tally reports, in display order.
var States = []State{Established, SynSent, SynRecv, FinWait1, FinWait2, TimeWait, Close, CloseWait, LastAck, Listen, Closing}

var stateNames = [...]string{
	Established: "ESTABLISHED", SynSent: "SYN_SENT", SynRecv: "SYN_RECV",
	FinWait1: "FIN_WAIT1", FinWait2: "FIN_WAIT2", TimeWait: "TIME_WAIT",
	Close: "CLOSE", CloseWait: "CLOSE_WAIT", LastAck: "LAST_ACK",
	Listen: "LISTEN", Closing: "CLOSING", NewSynRecv: "SYN_RECV",
}

// String spells the state as `ss` does, upper case with underscores.
func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// Canonical folds NewSynRecv into SynRecv; every other state is itself.
func (s State) Canonical() State {
	if s == NewSynRecv {
		return SynRecv
	}
	return s
}

// ParseState is the inverse of String. ok is false for unknown names.
func ParseState(name string) (State, bool) {
	for _, s := range States {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}

// Timer is the kind of timer armed on a socket (inet_diag idiag_timer).
type Timer uint8

// Timer kinds, as inet_diag reports them.
const (
	TimerNone       Timer = 0
	TimerRetransmit Timer = 1
	TimerKeepalive  Timer = 2
	TimerTimeWait   Timer = 3
	TimerProbe      Timer = 4 // zero-window probe
)

var timerNames = [...]string{"", "retransmit", "keepalive", "timewait", "probe"}

// String names the timer; TimerNone is "".
func (t Timer) String() string {
	if int(t) < len(timerNames) {
		return timerNames[t]
	}
	return "unknown"
}

// Socket is one TCP socket as the kernel reported it at one poll.
type Socket struct {
	Local  netip.AddrPort
	Remote netip.AddrPort
	State  State
	Timer  Timer
	// Expires is the time left on Timer (zero when no timer is armed).
	Expires time.Duration
	UID     uint32
	Inode   uint32
	// Orphan says the kernel reported no inode: no process holds the socket
	// (TIME_WAIT, a request socket not yet accepted, or a connection its
	// process closed that the kernel is still finishing). Netlink path only;
	// always false on the gopsutil path, which does not report inodes.
	Orphan bool
	// HasInfo says RTT and Retrans come from tcp_info (ESTABLISHED sockets on
	// the netlink path only).
	HasInfo bool
	RTT     time.Duration
	Retrans uint32
}

// Key identifies a socket across polls: its 4-tuple. IPv4-mapped IPv6
// addresses are unmapped so the same connection has one key on both paths.
type Key struct {
	Local, Remote netip.AddrPort
}

// Key returns the socket's identity across polls.
func (s *Socket) Key() Key {
	return Key{Local: unmap(s.Local), Remote: unmap(s.Remote)}
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Side says on which end of port P a socket sits.
type Side uint8

// Sides of a watched port.
const (
	// SideNone: the socket does not involve port P.
	SideNone Side = iota
	// Server: the local port is P (listeners and accepted connections).
	Server
	// Client: the remote port is P (connections dialled to P).
	Client
)

// String is "server", "client" or "".
func (s Side) String() string {
	switch s {
	case Server:
		return "server"
	case Client:
		return "client"
	}
	return ""
}

// SideOf classifies a socket against port p. A socket connected to itself
// (local and remote port both p) counts as server side.
func SideOf(s *Socket, p uint16) Side {
	switch {
	case s.Local.Port() == p:
		return Server
	case s.Remote.Port() == p:
		return Client
	}
	return SideNone
}

// Sampler reads the sockets of a set of ports. Implementations are not safe
// for concurrent use: one poll loop owns one Sampler.
type Sampler interface {
	// Sample appends to dst every TCP socket (IPv4 and IPv6) whose local or
	// remote port is in ports, and returns the extended slice.
	Sample(ports []uint16, dst []Socket) ([]Socket, error)
	// Source names the mechanism: "netlink" or "gopsutil".
	Source() string
	// Close releases the sampler's resources.
	Close() error
}

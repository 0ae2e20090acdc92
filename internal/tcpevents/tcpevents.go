package tcpevents

import (
	"errors"
	"net/netip"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Limits and defaults.
const (
	// DefaultRingBytes is the ring buffer size when Config.RingBytes is 0:
	// about 5,900 events (80 bytes plus an 8-byte header each) before Run
	// must have read some. It is charged to the memory cgroup.
	DefaultRingBytes = 512 << 10
	// wakeupBatch is how long events may wait in the ring buffer for the
	// reader (wakeup_ns in bpf/probe.c): the first event after a quiet
	// wakeupBatch wakes Run at once, later ones are picked up by Run's next
	// look, wakeupBatch after it last found events. Waking costs about
	// 1.7 us of kernel time per event on this VM, over four times the rest.
	wakeupBatch = 5 * time.Millisecond
	// offsetRefresh is how often Run re-measures the offset between the
	// monotonic clock (event times) and the wall clock, which NTP may slew.
	offsetRefresh = 10 * time.Second
	// commCacheMax bounds the interned process names (Event.Comm).
	commCacheMax = 256
)

// ErrUnavailable marks the expected reasons why kernel events cannot be had
// here: not Linux, no kernel BTF, missing privileges, a kernel too old. The
// wrapping error says which. Callers fall back to polls on any error from
// Open; one that does not wrap ErrUnavailable is a bug worth reporting.
var ErrUnavailable = errors.New("kernel TCP events unavailable")

// Kind says what happened to the socket.
type Kind uint8

// Event kinds.
const (
	// Transition: the socket changed state from Old to New
	// (tracepoint inet_sock_set_state).
	Transition Kind = 1
	// ResetSent: this host sent an RST for the socket (tcp_send_reset).
	ResetSent Kind = 2
	// ResetReceived: the socket accepted an RST from its peer
	// (tcp_receive_reset).
	ResetReceived Kind = 3
)

// String is "transition", "reset-sent" or "reset-received".
func (k Kind) String() string {
	switch k {
	case Transition:
		return "transition"
	case ResetSent:
		return "reset-sent"
	case ResetReceived:
		return "reset-received"
	}
	return "unknown"
}

// Event is one transition or reset, seen from the socket's own side. Run
// reuses one Event for every call: copy what you keep.
type Event struct {
	// Mono is the kernel's CLOCK_MONOTONIC at the event (bpf_ktime_get_ns).
	Mono uint64
	// At is Mono on the wall clock (offset measured at Open and every
	// offsetRefresh while Run runs).
	At time.Time
	// Kind says what happened. ResetSent fires once the RST has left: on
	// loopback the peer's ResetReceived and its →CLOSE come first in time;
	// the aborting socket's own →CLOSE (close with unread data, SO_LINGER
	// 0) comes before all three.
	Kind Kind
	// Cookie is the kernel's socket cookie (bpf_get_socket_cookie, the
	// value inet_diag reports as idiag_cookie): unique per boot, it joins
	// the events of one socket, including the SYN_SENT event whose local
	// port is still 0. The TIME_WAIT mini-socket that replaces a closed
	// socket inherits its cookie. 0 for an RST sent in reply to a segment
	// that matched no socket.
	Cookie uint64
	// Local and Remote are the socket's own ends. IPv4-mapped IPv6 addresses
	// (an AF_INET6 socket talking to an IPv4 peer, as a Go server on ":P"
	// does) are unmapped, as sockstat.Key does, so both ends of a loopback
	// connection name the same 4-tuple. Local's port is 0 on SYN_SENT.
	Local, Remote netip.AddrPort
	// IPv6 says the socket is AF_INET6 (even when its addresses unmap).
	IPv6 bool
	// Old and New are the states around a Transition. For resets both hold
	// the socket's state at the reset (0 when no socket matched).
	Old, New sockstat.State
	// Reason is the kernel's RST reason for ResetSent, without its
	// SK_RST_REASON_ prefix (e.g. "TCP_ABORT_ON_CLOSE", "NO_SOCKET"); Linux
	// 6.10+, "" elsewhere and for other kinds.
	Reason string
	// PidKnown says the task running when the event fired held the socket's
	// lock (sk_lock.owned), so it is the process acting on this socket.
	// Always true for what syscalls do: connect → SYN_SENT, listen →
	// LISTEN, close or shutdown → FIN_WAIT1 or LAST_ACK, close with unread
	// data or SO_LINGER 0 → CLOSE and its ResetSent, closing a listener.
	// What segments and timers do runs in softirq, on whatever task the CPU
	// was running (on loopback, usually the peer that sent the segment):
	// then PidKnown is false and Pid and Comm are zero (typically
	// CLOSE_WAIT, FIN_WAIT2, a new child's SYN_RECV and ESTABLISHED, resets
	// from TIME_WAIT or from no socket). The exception: a segment arriving
	// while the owner holds the lock waits in the socket's backlog and the
	// owner handles it as it releases the lock, so PidKnown is true. On
	// loopback that is common, since the peer's answer arrives during the
	// syscall that provoked it: a client's SYN_SENT → ESTABLISHED inside
	// connect(), LAST_ACK → CLOSE inside close(), a ResetReceived inside a
	// write().
	PidKnown bool
	// Pid is the process id (thread group id) when PidKnown.
	Pid uint32
	// Comm is the task's command name (up to 15 bytes) when PidKnown.
	Comm string
}

// Stats counts events since Open.
type Stats struct {
	// Matched is how many events the kernel program matched against the
	// port set.
	Matched uint64
	// Lost is how many of those were dropped because the ring buffer was
	// full (Run too slow or not running).
	Lost uint64
	// Delivered is how many events Run handed to its callback.
	Delivered uint64
	// Malformed is how many ring buffer records Run skipped because their
	// size was wrong (a program and decoder mismatch: a bug).
	Malformed uint64
}

// Config tunes Open. The zero value is the default.
type Config struct {
	// RingBytes sizes the ring buffer: a power of two and a multiple of the
	// page size; 0 means DefaultRingBytes.
	RingBytes int
}

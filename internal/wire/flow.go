package wire

// Flow is a watched port's connection flow: who opens and who closes its
// connections, how often and for how long (GET /api/ports/{port} "flow",
// snapshots and ticks). Source "ebpf" counts from the kernel's state
// transitions, exact; "polls" from what successive polls differ by, where
// every count is a lower bound (LowerBound) and lifetimes and resets are
// not measured (Missing says so).
type Flow struct {
	Source     string `json:"source"` // "ebpf" | "polls"
	LowerBound bool   `json:"lowerBound"`
	// Missing says what the source cannot see ("" when nothing).
	Missing string `json:"missing,omitempty"`
	Since   string `json:"since"` // RFC3339: when watching began
	// Total since watching began; Last60s over the last WindowSec seconds
	// (60, or less just after watching began).
	Total   FlowCounts `json:"total"`
	Last60s FlowWindow `json:"last60s"`
	// LifetimeMs of the connections that ended in the window.
	LifetimeMs FlowLifetime `json:"lifetimeMs"`
	Forecast   FlowForecast `json:"forecast"`
	// Untracked: connections beyond the follow limit (counted as opened,
	// their closes unseen).
	Untracked int `json:"untracked,omitempty"`
	// LostEvents: kernel events dropped because the ring buffer was full
	// (since connlab started, all ports): counts may be short by as much.
	LostEvents uint64 `json:"lostEvents,omitempty"`
}

// FlowCounts is what a span of time adds up to.
type FlowCounts struct {
	// Opened: connections (both ends on this host count once).
	Opened int `json:"opened"`
	// OpenedBy: this host's sockets, by side, seen opening (accepted on
	// the server side, dialed on the client side).
	OpenedBy    SidePair    `json:"openedBy"`
	ClosedFirst ClosedFirst `json:"closedFirst"`
	Reset       int         `json:"reset"`
	// TimeWait: this host's sockets, by side, that entered TIME_WAIT.
	TimeWait SidePair `json:"timeWait"`
}

// FlowWindow is FlowCounts over the last minute, with the opening rate.
type FlowWindow struct {
	FlowCounts
	PerSec    float64 `json:"perSec"`
	WindowSec float64 `json:"windowSec"`
}

// FlowLifetime are lifetime quantiles in ms (null when none ended or the
// source cannot tell) over N connections.
type FlowLifetime struct {
	P50 *float64 `json:"p50"`
	P99 *float64 `json:"p99"`
	N   int      `json:"n"`
}

// FlowForecast extrapolates the window's rates.
type FlowForecast struct {
	// TimeWaitSteady: TIME_WAIT sockets each side holds in steady state at
	// the window's close rate (each lasts 60 s).
	TimeWaitSteady SideFloat `json:"timeWaitSteady"`
	// EphemeralExhaustSec: seconds until the client side has no ephemeral
	// port left toward its busiest destination at this rate; null when
	// this rate never exhausts the range.
	EphemeralExhaustSec *float64 `json:"ephemeralExhaustSec"`
}

// SideFloat is a number per side.
type SideFloat struct {
	Server float64 `json:"server"`
	Client float64 `json:"client"`
}

// TypeTransitions is the type of a Transitions message.
const TypeTransitions = "transitions"

// TransitionsLimit caps the events one Transitions message carries; past
// it Dropped counts the rest (the figures still count every one).
const TransitionsLimit = 500

// Transitions carries a watched port's kernel transitions as they happen
// (eBPF source only), batched every few milliseconds, with the flow
// figures after them. It is not part of the tick sequence.
type Transitions struct {
	Type    string            `json:"type"`
	Port    uint16            `json:"port"`
	Events  []TransitionEvent `json:"events"`
	Dropped int               `json:"dropped,omitempty"`
	Flow    *Flow             `json:"flow,omitempty"`
}

// TransitionEvent is one state change or reset of one socket of this host.
type TransitionEvent struct {
	At     float64 `json:"at"`   // Unix ms, with sub-millisecond fraction
	Side   string  `json:"side"` // "server" | "client"
	Local  string  `json:"local"`
	Remote string  `json:"remote"`
	From   string  `json:"from"` // state before ("" for a reset)
	To     string  `json:"to"`   // state after ("" for a reset)
	// Reset: "sent" or "received" for an RST, "" for a state change.
	Reset   string `json:"reset,omitempty"`
	PID     uint32 `json:"pid,omitempty"`
	Process string `json:"process,omitempty"`
}

// FlowConn is one connection of a watched port that ended, as the flow saw
// it (GET /api/ports/{port}/connections).
type FlowConn struct {
	Client string `json:"client"`
	Server string `json:"server"`
	// OpenedMs is null when the opening was not seen (before watching
	// began, or between two polls).
	OpenedMs *float64 `json:"openedMs"`
	EndedMs  float64  `json:"endedMs"` // Unix ms
	// ClosedFirst: "server", "client", "simultaneous" or "" (unknown).
	ClosedFirst string `json:"closedFirst"`
	Reset       bool   `json:"reset"`
	// Here: the ends that are sockets of this host ("server", "client").
	Here []string `json:"here"`
}

// FlowConns answers GET /api/ports/{port}/connections: the most recent
// connections that ended, oldest first.
type FlowConns struct {
	Port        uint16     `json:"port"`
	Source      string     `json:"source"`
	Connections []FlowConn `json:"connections"`
}

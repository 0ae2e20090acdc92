// Package wire holds the JSON messages connlab sends to the browser and to
// scripts, over HTTP and the websocket. It is the one contract between the Go
// side and web/src/wire.ts, which mirrors it by hand; golden files in testdata
// pin the encoding. It does no I/O.
package wire

// Sides and state names: counts are keyed by side ("server", "client") and
// then by state spelled as `ss` spells it (ESTABLISHED, TIME_WAIT, ...).
// Zero counts are omitted.
type Counts struct {
	Server map[string]int `json:"server"`
	Client map[string]int `json:"client"`
}

// Socket is one socket row of the Watch table and of /api/ports/{port}/sockets.
type Socket struct {
	Local  string `json:"local"`  // "127.0.0.1:8081" or "[::1]:8081"
	Remote string `json:"remote"` // "127.0.0.1:54722"
	Side   string `json:"side"`   // "server" | "client"
	State  string `json:"state"`  // ESTABLISHED, TIME_WAIT, ...
	// Timer is the armed timer: "", "retransmit", "keepalive", "timewait", "probe".
	Timer string `json:"timer,omitempty"`
	// TimerMs is the time left on Timer, in ms, at the moment the poll ran.
	TimerMs int64  `json:"timerMs,omitempty"`
	UID     uint32 `json:"uid"`
	Inode   uint32 `json:"inode,omitempty"`
	// PID and Process name the owner when the background pass knows it;
	// Process is "kernel" for TIME_WAIT sockets (no process owns them).
	PID     int32  `json:"pid,omitempty"`
	Process string `json:"process,omitempty"`
	// RTTMs and Retrans come from tcp_info (netlink path, ESTABLISHED only).
	RTTMs   float64 `json:"rttMs,omitempty"`
	Retrans *uint32 `json:"retrans,omitempty"`
}

// PortStatus is GET /api/ports/{port} and an element of GET /api/ports.
type PortStatus struct {
	Port   uint16 `json:"port"`
	Source string `json:"source"` // "netlink" | "gopsutil"
	At     string `json:"at"`     // RFC3339Nano time of the last poll ("" before the first)
	Counts Counts `json:"counts"`
	// Experiment is set when a Lab experiment watches this port (its id).
	Experiment string `json:"experiment,omitempty"`
	// Flow: the connection flow (GET /api/ports/{port} only, not lists).
	Flow *Flow `json:"flow,omitempty"`
}

// Timeline is a run of the per-port ring: one row per poll. T holds the poll
// times in Unix milliseconds; Server and Client hold one column per state
// (every state in sockstat.States order is present, zeros included), each as
// long as T. Seq0 is the sequence number of the first row, Seq of the last
// (Seq0 > Seq means empty).
type Timeline struct {
	Port   uint16             `json:"port"`
	Seq0   uint64             `json:"seq0"`
	Seq    uint64             `json:"seq"`
	T      []int64            `json:"t"`
	Server map[string][]int32 `json:"server"`
	Client map[string][]int32 `json:"client"`
}

// Change is one per-socket difference between two polls, keyed by 4-tuple.
// "changed" also reports a socket whose owner the background pass has just
// named (its state unchanged: From equals Socket.State).
type Change struct {
	Kind   string `json:"kind"` // "opened" | "changed" | "gone"
	Socket Socket `json:"socket"`
	// From is the previous state, for "changed" (and "gone": the last state seen).
	From string `json:"from,omitempty"`
}

// Message types, the "type" field of every websocket message.
const (
	TypeHello       = "hello"       // server -> browser, first message
	TypeSnapshot    = "snapshot"    // server -> browser, after subscribe
	TypeTick        = "tick"        // server -> browser, one per poll per subscribed port
	TypePorts       = "ports"       // server -> browser, the watched set changed
	TypeError       = "error"       // server -> browser, a request was refused
	TypeSubscribe   = "subscribe"   // browser -> server
	TypeUnsubscribe = "unsubscribe" // browser -> server
)

// Hello is the first message on every websocket.
type Hello struct {
	Type    string `json:"type"`
	Source  string `json:"source"`
	Version string `json:"version"`
	Go      string `json:"go"`
	// IntervalMs is the poll interval.
	IntervalMs int64 `json:"intervalMs"`
}

// SnapshotLimit caps the sockets a snapshot carries; SocketsTotal tells the
// real number.
const SnapshotLimit = 2000

// Snapshot is sent once per subscribe: the whole state of one port at Seq.
// Every later Tick for the port has a higher Seq; the browser drops ticks with
// Seq <= its snapshot's and resubscribes when it sees a gap.
type Snapshot struct {
	Type         string   `json:"type"`
	Port         uint16   `json:"port"`
	Seq          uint64   `json:"seq"`
	At           int64    `json:"at"` // Unix ms of the poll at Seq (0 before the first)
	Source       string   `json:"source"`
	Counts       Counts   `json:"counts"`
	Sockets      []Socket `json:"sockets"`
	SocketsTotal int      `json:"socketsTotal"`
	Timeline     Timeline `json:"timeline"`
	Experiment   string   `json:"experiment,omitempty"`
	Flow         *Flow    `json:"flow,omitempty"`
}

// ChangesLimit caps the changes one tick carries; past it Truncated is set
// and the browser resubscribes for a fresh snapshot.
const ChangesLimit = 1000

// Tick is one poll of one port: its counts and what changed since the
// previous poll.
type Tick struct {
	Type      string   `json:"type"`
	Port      uint16   `json:"port"`
	Seq       uint64   `json:"seq"`
	At        int64    `json:"at"` // Unix ms
	Counts    Counts   `json:"counts"`
	Changes   []Change `json:"changes"`
	Truncated bool     `json:"truncated,omitempty"`
	Flow      *Flow    `json:"flow,omitempty"`
}

// Ports is broadcast when the watched set changes.
type Ports struct {
	Type  string       `json:"type"`
	Ports []PortStatus `json:"ports"`
}

// Error is the body of every HTTP error and the payload of a websocket error.
type Error struct {
	Code    string `json:"code"`            // machine-readable, e.g. "invalid_port"
	Message string `json:"message"`         // for people
	Field   string `json:"field,omitempty"` // the input field at fault
}

// ErrorBody wraps Error for HTTP: {"error":{...}}.
type ErrorBody struct {
	Error Error `json:"error"`
}

// ErrorMessage is a websocket error.
type ErrorMessage struct {
	Type  string `json:"type"`
	Error Error  `json:"error"`
}

// Request is what the browser sends: subscribe or unsubscribe to a port.
type Request struct {
	Type string `json:"type"`
	Port uint16 `json:"port,omitempty"`
	// Experiment subscribes to a Lab experiment's events instead of a port.
	Experiment string `json:"experiment,omitempty"`
}

// System is GET /api/system.
type System struct {
	Source string `json:"source"`
	// SourceNote explains a limit of the live source (e.g. TIME_WAIT invisible on macOS).
	SourceNote string `json:"sourceNote,omitempty"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	Version    string `json:"version"`
	IntervalMs int64  `json:"intervalMs"`
	// HistoryMs is the span of timeline each watched port keeps (-history):
	// what GET /api/ports/{port}/timeline and a snapshot hold at most.
	HistoryMs int64 `json:"historyMs"`
	// Knobs maps a sysctl name (e.g. "net.ipv4.tcp_tw_reuse") to its value,
	// as read from /proc/sys; absent where unreadable.
	Knobs map[string]string `json:"knobs"`
	// EphemeralPorts is the size of ip_local_port_range (0 when unknown).
	EphemeralPorts int `json:"ephemeralPorts"`
	// Transitions is where Watch learns who opens and closes connections:
	// "ebpf" (kernel transitions, exact) or "polls" (lower bounds);
	// TransitionsNote says why eBPF is not in use.
	Transitions     string `json:"transitions"`
	TransitionsNote string `json:"transitionsNote,omitempty"`
	// UID is the effective user id connlab runs as (-1 on Windows).
	UID int `json:"uid"`
	// OwnersNote says why the process owning some sockets cannot be named
	// (connlab is not root, or lacks ptrace access to some processes);
	// absent when every owner can be named.
	OwnersNote string `json:"ownersNote,omitempty"`
}

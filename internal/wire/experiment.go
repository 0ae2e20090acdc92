package wire

import "encoding/json"

// Lab experiments. An experiment's events go to websocket subscribers of
// topic "exp:<id>": first one ExpSnapshot (the whole result so far), then one
// ExpUpdate per batch (about 4 per second) until the one with Done set.
// Times inside an experiment are milliseconds since its start (StartedAtMs,
// Unix ms), except Timeline.T, which is Unix ms like the Watch timeline.

// Message types of experiment events.
const (
	TypeExpSnapshot = "exp-snapshot" // server -> browser, after subscribe
	TypeExpUpdate   = "exp-update"   // server -> browser, one per batch
)

// Experiment statuses.
const (
	ExpRunning   = "running"
	ExpCompleted = "completed"
	ExpStopped   = "stopped"
	ExpFailed    = "failed"
)

// Experiment phases, in order.
const (
	PhaseWorkload = "workload" // the client is sending requests
	PhaseObserve  = "observe"  // workload over, connections left as they are, kernel still watched
	PhaseTeardown = "teardown" // closing what is left (idle pools, server)
	PhaseDone     = "done"
)

// Limits on what one ExpUpdate carries.
const (
	// ExpLogPerUpdate caps the request-log lines of one update (the most
	// recent are kept; LogSkipped counts the others).
	ExpLogPerUpdate = 200
	// ExpLanesPerUpdate caps the lanes of one update (the most recent
	// connections are kept; LanesSkipped counts the others).
	ExpLanesPerUpdate = 500
)

// ExperimentResult is an experiment's status and everything it measured so
// far: GET /api/experiments/{id}, `connlab run -json`, and the Result of an
// ExpSnapshot. Scripts rely on: preset, go, port, requests.{total,errors,
// reused,retried}, connections.{opened,reset}, connections.closedFirst.
// {server,client,simultaneous}, kernel.timeWaitPeak.{server,client},
// latency.{p50Ms,p99Ms}, findings[].{id,text,evidence[]}.
type ExperimentResult struct {
	ID     string `json:"id"`
	Preset string `json:"preset"`
	// Go is runtime.Version(): HTTP behaviour differs between Go releases.
	Go string `json:"go"`
	// Port is the in-process server's port on 127.0.0.1.
	Port   uint16 `json:"port"`
	Status string `json:"status"` // ExpRunning, ExpCompleted, ExpStopped, ExpFailed
	Error  string `json:"error,omitempty"`
	// Spec is the experiment spec as run (the JSON of experiment.Spec: the
	// same shape GET /api/presets returns and POST /api/experiments accepts).
	Spec json.RawMessage `json:"spec"`
	// StartedAt is RFC3339Nano; StartedAtMs the same instant in Unix ms.
	StartedAt   string `json:"startedAt"`
	StartedAtMs int64  `json:"startedAtMs"`
	// ExpMeasures: progress, requests, connections, kernel, latency and
	// findings, as in every ExpUpdate (embedded: its fields are this
	// object's).
	ExpMeasures

	// Lanes are the most recent connections in detail, oldest first;
	// LanesTotal counts every connection (the others are in the counters).
	Lanes      []Lane `json:"lanes"`
	LanesTotal int    `json:"lanesTotal"`
	// Log is the tail of the request log, oldest first; LogTotal counts every
	// request.
	Log      []RequestLine `json:"log"`
	LogTotal int           `json:"logTotal"`
	// Timeline is the kernel's per-poll counts of the port (both sides).
	Timeline Timeline `json:"timeline"`
}

// ExpSummary is an element of GET /api/experiments.
type ExpSummary struct {
	ID          string      `json:"id"`
	Preset      string      `json:"preset"`
	Port        uint16      `json:"port"`
	Status      string      `json:"status"`
	Error       string      `json:"error,omitempty"`
	StartedAt   string      `json:"startedAt"`
	StartedAtMs int64       `json:"startedAtMs"`
	Progress    ExpProgress `json:"progress"`
	Requests    int         `json:"requests"`
	Errors      int         `json:"errors"`
	Connections int         `json:"connections"`
	// Answer is the run's one-line answer to its preset's question (as in
	// ExpMeasures), when the verdict gave one.
	Answer string `json:"answer,omitempty"`
	// Saved is set when the run is in the state directory: it is listed,
	// and its result served, after a restart too.
	Saved bool `json:"saved,omitempty"`
}

// ExpMeasures is every measure of an experiment at one moment: what the
// result (ExperimentResult) and the live update (ExpUpdate) share. Both
// embed it, so its fields sit inline in their JSON, in this order.
type ExpMeasures struct {
	Progress    ExpProgress    `json:"progress"`
	Requests    ExpRequests    `json:"requests"`
	Connections ExpConnections `json:"connections"`
	Kernel      ExpKernel      `json:"kernel"`
	Latency     ExpLatency     `json:"latency"`
	// Findings are the verdict, computed from the measurements only.
	Findings []Finding `json:"findings"`
	// Answer is one line answering the preset's question from the measured
	// evidence; set by the verdict.
	Answer string `json:"answer,omitempty"`
}

// ExpProgress says how far an experiment got.
type ExpProgress struct {
	Phase string `json:"phase"` // PhaseWorkload, PhaseObserve, PhaseTeardown, PhaseDone
	// ElapsedMs since the start; WorkloadMs is how long the workload ran (so
	// far, or in all once it ended).
	ElapsedMs  float64 `json:"elapsedMs"`
	WorkloadMs float64 `json:"workloadMs"`
	// RequestsDone so far; RequestsTarget is the requests bound (0: none).
	RequestsDone   int `json:"requestsDone"`
	RequestsTarget int `json:"requestsTarget"`
	// DurationMs is the workload's time bound (0: none); ObserveMs the
	// planned observe tail.
	DurationMs float64 `json:"durationMs"`
	ObserveMs  float64 `json:"observeMs"`
	// UntilStopped: neither requests nor duration bound the run (it stops on
	// Stop, or at the 10 minute cap).
	UntilStopped bool `json:"untilStopped,omitempty"`
	// ObserveEnded says why the observe phase ended before ObserveMs:
	// "drained" (no TIME_WAIT left and no connection event for a while),
	// "skipped" (asked to); "" while it runs or when it ran its full time.
	ObserveEnded string `json:"observeEnded,omitempty"`
}

// ExpRequests is what the client and the server saw of the requests.
type ExpRequests struct {
	// Total requests finished (ok or failed); requests cut short by Stop are
	// Canceled and not in Total.
	Total    int `json:"total"`
	OK       int `json:"ok"`
	Errors   int `json:"errors"`
	Canceled int `json:"canceled"`
	// Reused / WasIdle: httptrace GotConn said so (for the raw HTTP/1.0
	// client: the request went out on a connection that had carried one).
	Reused  int `json:"reused"`
	WasIdle int `json:"wasIdle"`
	// Retried: GotConn fired more than once (a silent retry on a new
	// connection after a dead pooled one).
	Retried int `json:"retried"`
	// RespClose: responses with resp.Close (the server announced it closes).
	RespClose int `json:"respClose"`
	// BodyUnread: bodies closed before EOF.
	BodyUnread int `json:"bodyUnread"`
	// ServerSaw counts requests the server handled by the Connection header
	// it received, lower-cased ("close", "keep-alive", "" for absent).
	ServerSaw map[string]int `json:"serverSaw"`
	// Protos counts requests the server handled by protocol ("HTTP/1.1", ...).
	Protos map[string]int `json:"protos"`
	// Framing counts responses by framing: "content-length", "chunked",
	// "eof" (delimited by close), "h2" (HTTP/2 DATA frames, no length).
	Framing map[string]int `json:"framing"`
	// Status counts responses by status code ("200").
	Status map[string]int `json:"status"`
	// ErrorSamples maps an error message (ports stripped) to its count.
	ErrorSamples map[string]int `json:"errorSamples,omitempty"`
}

// ClosedFirst counts ended connections by the side that closed first.
type ClosedFirst struct {
	Server       int `json:"server"`
	Client       int `json:"client"`
	Simultaneous int `json:"simultaneous"`
}

// ExpConnections is what the instrumented listener, conns and dialer saw.
type ExpConnections struct {
	// Opened: accepted by the server's listener. Dialed: by the client.
	Opened int `json:"opened"`
	Dialed int `json:"dialed"`
	// Open now (not ended on both sides).
	Open int `json:"open"`
	// Reset: ended with an RST (a side saw ECONNRESET, or closed with
	// unread data in its receive queue).
	Reset       int         `json:"reset"`
	ClosedFirst ClosedFirst `json:"closedFirst"`
	// ServerIdleClosed: the server closed it while idle (ConnState idle ->
	// closed: IdleTimeout), not counting the experiment's teardown.
	ServerIdleClosed int `json:"serverIdleClosed"`
	// Teardown: connections still open at the end, closed by the teardown.
	Teardown int `json:"teardown"`
	// The connection counts every view shows, under these names: Opened
	// ("opened"), Carried ("carried requests"), Unused ("never used") and
	// Teardown ("closed by teardown"). Once the run is over Opened =
	// Carried + Unused.
	//
	// Unused: accepted connections that carried no request ("never
	// used"), counted when they end; Carried: accepted connections that
	// carried at least one.
	Unused             int     `json:"unused"`
	Carried            int     `json:"carried"`
	MaxRequestsPerConn int     `json:"maxRequestsPerConn"`
	PeakOpen           int     `json:"peakOpen"`
	MedianLifetimeMs   float64 `json:"medianLifetimeMs"`
	// ReusedRequests: requests the server served on a connection that had
	// already served one (the server's count of reuse: requests served
	// minus Carried). httptrace's figure is Requests.Reused.
	ReusedRequests int `json:"reusedRequests"`
	// ServedRequests: requests the server served (Carried +
	// ReusedRequests), the population of the reuse ratio
	// ReusedRequests / ServedRequests. Requests.Total counts what the
	// client finished, errors included: not the same population.
	ServedRequests int `json:"servedRequests"`
	// CloseWaitMedianMs and CloseWaitMaxMs: how long the side that did not
	// close first took to close after its peer (its socket sat in
	// CLOSE_WAIT), over the connections ended by FINs; CloseWaitOver counts
	// those slower than 1 s. LeftInCloseWait, by side: connections whose
	// peer had closed and that side never did, when the teardown began.
	CloseWaitMedianMs float64  `json:"closeWaitMedianMs"`
	CloseWaitMaxMs    float64  `json:"closeWaitMaxMs"`
	CloseWaitOver     int      `json:"closeWaitOver"`
	LeftInCloseWait   SidePair `json:"leftInCloseWait"`
	// TeardownTimeWait: the TIME_WAIT sockets connlab's own teardown left,
	// by side (not in the kernel evidence, which stops at the teardown).
	TeardownTimeWait SidePair `json:"teardownTimeWait"`
}

// SidePair is one number per side of the port.
type SidePair struct {
	Server int `json:"server"`
	Client int `json:"client"`
}

// ExpKernel is what the kernel polls showed for the experiment's port.
type ExpKernel struct {
	Source string `json:"source,omitempty"` // "netlink" | "gopsutil" | "" (no kernel evidence)
	Polls  int    `json:"polls"`
	// Peaks over the experiment, per side.
	TimeWaitPeak    SidePair `json:"timeWaitPeak"`
	EstablishedPeak SidePair `json:"establishedPeak"`
	CloseWaitPeak   SidePair `json:"closeWaitPeak"`
	// KeepalivePeak: most sockets seen at once with a TCP keepalive timer armed.
	KeepalivePeak SidePair `json:"keepalivePeak"`
	// KeepaliveMinMs: the shortest keepalive timer seen per side (ms left;
	// 0 when none).
	KeepaliveMinMs SidePair `json:"keepaliveMinMs"`
	// TimeWaitEnd: TIME_WAIT at the last poll.
	TimeWaitEnd SidePair `json:"timeWaitEnd"`
	// DrainedMs: ms after the workload ended when TIME_WAIT reached zero on
	// both sides; -1 when it had not drained by the last poll.
	DrainedMs float64 `json:"drainedMs"`
	// Last is the counts at the last poll.
	Last Counts `json:"last"`
}

// ExpLatency of successful requests and throughput.
type ExpLatency struct {
	P50Ms          float64 `json:"p50Ms"`
	P99Ms          float64 `json:"p99Ms"`
	MeanMs         float64 `json:"meanMs"`
	MaxMs          float64 `json:"maxMs"`
	RequestsPerSec float64 `json:"requestsPerSec"`
}

// Finding is one verdict conclusion (mirrors verdict.Finding).
type Finding struct {
	ID       string   `json:"id"`
	Level    string   `json:"level"` // "good" | "info" | "warn" | "bad"
	Text     string   `json:"text"`
	Evidence []string `json:"evidence"`
	Why      string   `json:"why,omitempty"`
	Change   string   `json:"change,omitempty"`
	// Lab: the Lab preset that reproduces what the finding describes
	// (Watch findings), when there is one.
	Lab string `json:"lab,omitempty"`
}

// Lane is one connection, for the swimlanes. Both ends live in the same
// process, so one Lane pairs the client's dialed conn with the server's
// accepted conn (by the client's port).
type Lane struct {
	ID         uint64 `json:"id"`
	ClientPort uint16 `json:"clientPort"`
	// OpenedMs: when the dial (or accept, if first) completed.
	OpenedMs float64 `json:"openedMs"`
	// ConnectMs: how long the dial took (0 when not dialed by our client).
	ConnectMs float64 `json:"connectMs"`
	Dialed    bool    `json:"dialed"`
	Accepted  bool    `json:"accepted"`
	// Requests the connection carried (server's count when accepted).
	Requests   int     `json:"requests"`
	FirstReqMs float64 `json:"firstReqMs,omitempty"`
	LastReqMs  float64 `json:"lastReqMs,omitempty"`
	// ServerState is the last http.ConnState: "new", "active", "idle",
	// "closed", "hijacked" ("" when not accepted).
	ServerState string `json:"serverState,omitempty"`
	// ClosedBy once ended: "server", "client" or "simultaneous" ("" while open).
	ClosedBy string `json:"closedBy,omitempty"`
	// ClosedMs: the first Close (of either side); EndedMs: both sides done.
	ClosedMs float64 `json:"closedMs,omitempty"`
	EndedMs  float64 `json:"endedMs,omitempty"`
	// End: "fin" (orderly) or "rst" (reset), once ended.
	End string `json:"end,omitempty"`
	// ResetBy: the side whose Close sent the RST (unread data), if known.
	ResetBy string `json:"resetBy,omitempty"`
	// IdleClosed: the server closed it idle (IdleTimeout).
	IdleClosed bool `json:"idleClosed,omitempty"`
	// Teardown: closed by the experiment's teardown, not by the workload.
	Teardown bool `json:"teardown,omitempty"`
	// ServerSaw / ClientSaw: the first error each side's reads or writes hit:
	// "eof", "reset", "other" ("" none).
	ServerSaw string `json:"serverSaw,omitempty"`
	ClientSaw string `json:"clientSaw,omitempty"`
	// TimeWait: whose socket the kernel showed in TIME_WAIT for this
	// 4-tuple: "server", "client", "both" ("" none seen). TimeWaitMs is when
	// it was first seen and TimeWaitLeftMs the countdown then (the lane
	// draws TIME_WAIT until TimeWaitMs + TimeWaitLeftMs).
	TimeWait       string  `json:"timeWait,omitempty"`
	TimeWaitMs     float64 `json:"timeWaitMs,omitempty"`
	TimeWaitLeftMs float64 `json:"timeWaitLeftMs,omitempty"`
	// PortReused: a later connection of this run took the same client port
	// (Linux's tcp_tw_reuse lets a loopback connect take over a TIME_WAIT
	// more than a second old), so the kernel may never have shown this
	// connection's TIME_WAIT to a poll.
	PortReused bool `json:"portReused,omitempty"`
}

// RequestLine is one request of the request log.
type RequestLine struct {
	Seq    uint64  `json:"seq"`
	AtMs   float64 `json:"atMs"`
	Worker int     `json:"worker"`
	// Conn is the Lane ID the request went out on (0 when it never got one).
	Conn       uint64 `json:"conn,omitempty"`
	ClientPort uint16 `json:"clientPort,omitempty"`
	Method     string `json:"method"`
	// Proto and Connection: what the server saw (its protocol and the
	// Connection request header, lower-cased; "" absent).
	Proto      string `json:"proto,omitempty"`
	Connection string `json:"connection"`
	// Reused, WasIdle, IdleMs: httptrace GotConn of the attempt that won.
	Reused  bool    `json:"reused"`
	WasIdle bool    `json:"wasIdle"`
	IdleMs  float64 `json:"idleMs,omitempty"`
	// Attempts: GotConn calls; more than 1 is a silent retry.
	Attempts  int     `json:"attempts"`
	Status    int     `json:"status,omitempty"`
	Framing   string  `json:"framing,omitempty"`
	RespClose bool    `json:"respClose,omitempty"`
	Error     string  `json:"error,omitempty"`
	ConnectMs float64 `json:"connectMs,omitempty"`
	TTFBMs    float64 `json:"ttfbMs,omitempty"`
	TotalMs   float64 `json:"totalMs"`
}

// ExpSnapshot is sent once per subscribe: the experiment's whole result at
// Seq. The browser ignores updates with Seq <= the snapshot's.
type ExpSnapshot struct {
	Type   string           `json:"type"`
	ID     string           `json:"id"`
	Seq    uint64           `json:"seq"`
	Result ExperimentResult `json:"result"`
}

// ExpUpdate is one batch of an experiment's events. Counters, progress and
// findings are absolute (replace); Lanes are upserts by ID; Log lines and
// Timeline rows are new since the previous update. The last update of an
// experiment has Done set and its final status.
type ExpUpdate struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Seq    uint64 `json:"seq"`
	At     int64  `json:"at"` // Unix ms
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Done   bool   `json:"done,omitempty"`
	// ExpMeasures: absolute, as in ExperimentResult (embedded).
	ExpMeasures

	Lanes        []Lane        `json:"lanes"`
	LanesSkipped int           `json:"lanesSkipped,omitempty"`
	Log          []RequestLine `json:"log"`
	LogSkipped   int           `json:"logSkipped,omitempty"`
	// Timeline holds the kernel rows polled since the previous update.
	Timeline Timeline `json:"timeline"`
}

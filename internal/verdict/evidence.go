// Package verdict turns what an experiment measured into findings a person can
// act on. It is pure: Evidence in, Findings out, no I/O, no clock, and it never
// looks at the spec that was asked for — only at what the sockets and the
// kernel actually did.
package verdict

// Evidence is everything an experiment measured. Every field is an observed
// fact (counted by instrumented listeners, conns, dialers, httptrace hooks,
// handlers, or read from kernel polls), never a configured value.
type Evidence struct {
	// Focus is the finding that answers the run's question (a preset's):
	// Analyze puts it first, after a partial-run warning. "" keeps the
	// default order.
	Focus string `json:"focus,omitempty"`
	// Go is runtime.Version() of the process that ran the experiment.
	Go string `json:"go"`
	// Completed is false when the run was stopped or failed before the end.
	Completed bool `json:"completed"`
	// Running is true while the run goes on: the findings are live, not
	// final, and an unfinished run is not a stopped one.
	Running bool `json:"running,omitempty"`
	// Failure is the error that ended the run early ("" when it completed or
	// was stopped on request).
	Failure string `json:"failure,omitempty"`
	// DurationMs is the wall time of the workload (not the observe tail).
	DurationMs float64 `json:"durationMs"`

	Requests    Requests    `json:"requests"`
	Connections Connections `json:"connections"`
	Kernel      Kernel      `json:"kernel"`
	Latency     Latency     `json:"latency"`
}

// Requests is what the client and the server saw of the requests.
type Requests struct {
	// Total requests the client attempted; Errors of them failed.
	Total  int `json:"total"`
	Errors int `json:"errors"`
	// ErrorSamples maps an error message (ports stripped) to how often it occurred.
	ErrorSamples map[string]int `json:"errorSamples,omitempty"`
	// Reused: httptrace GotConn.Reused was true. WasIdle: the conn came from the idle pool.
	Reused  int `json:"reused"`
	WasIdle int `json:"wasIdle"`
	// Retried: requests whose GotConn fired more than once (the Transport hit a
	// dead pooled connection and silently retried on a new one).
	Retried int `json:"retried"`
	// ServerSaw counts requests by the Connection header value the server
	// received, lower-cased ("close", "keep-alive", "" for absent).
	ServerSaw map[string]int `json:"serverSaw"`
	// Protos counts requests by the protocol the server saw ("HTTP/1.0", "HTTP/1.1", "HTTP/2.0").
	Protos map[string]int `json:"protos"`
	// RespClose counts responses where the client saw resp.Close (the server
	// announced it would close).
	RespClose int `json:"respClose"`
	// Framing counts responses by framing the client saw: "content-length",
	// "chunked", "eof" (body delimited by close).
	Framing map[string]int `json:"framing"`
	// Status counts responses by status code ("200", ...).
	Status map[string]int `json:"status"`
	// BodyUnread counts responses whose body the client closed before EOF.
	BodyUnread int `json:"bodyUnread"`
	// PeakInFlight is the most requests the server's handler was serving at
	// once (more than PeakOpen connections proves HTTP/2 multiplexing).
	PeakInFlight int `json:"peakInFlight"`
}

// Connections is what the instrumented listener, conns and dialer saw.
type Connections struct {
	// Accepted by the server's listener; Dialed by the client's dialer.
	Accepted int `json:"accepted"`
	Dialed   int `json:"dialed"`
	// ClosedFirst counts ended connections by which side called Close (or
	// saw the peer's FIN/RST) first. Open counts those not ended yet.
	ClosedFirstServer       int `json:"closedFirstServer"`
	ClosedFirstClient       int `json:"closedFirstClient"`
	ClosedFirstSimultaneous int `json:"closedFirstSimultaneous"`
	Open                    int `json:"open"`
	// Reset counts connections that ended with an RST (ECONNRESET seen by a
	// side, or a close with unread data / SO_LINGER 0).
	Reset int `json:"reset"`
	// ServerIdleClosed: server closed the conn while it was idle (ConnState
	// StateIdle -> StateClosed), i.e. by IdleTimeout or shutdown.
	ServerIdleClosed int `json:"serverIdleClosed"`
	// Unused: accepted connections that carried no request.
	Unused int `json:"unused"`
	// MaxRequestsPerConn is the most requests one connection carried.
	MaxRequestsPerConn int `json:"maxRequestsPerConn"`
	// PeakOpen is the most connections open at once (server side).
	PeakOpen int `json:"peakOpen"`
	// MedianLifetimeMs of ended connections.
	MedianLifetimeMs float64 `json:"medianLifetimeMs"`
	// Carried: accepted connections that carried at least one request;
	// ReusedRequests: requests the server served on an already-used
	// connection (the server's count of reuse).
	Carried        int `json:"carried"`
	ReusedRequests int `json:"reusedRequests"`
	// CloseWaitMedianMs and CloseWaitMaxMs: how long the side that did not
	// close first took to close (its CLOSE_WAIT); CloseWaitOver: those
	// slower than 1 s; LeftInCloseWait*: connections whose peer had closed
	// and that side never did, by side, when the teardown began.
	CloseWaitMedianMs     float64 `json:"closeWaitMedianMs"`
	CloseWaitMaxMs        float64 `json:"closeWaitMaxMs"`
	CloseWaitOver         int     `json:"closeWaitOver"`
	LeftInCloseWaitServer int     `json:"leftInCloseWaitServer"`
	LeftInCloseWaitClient int     `json:"leftInCloseWaitClient"`
	// TeardownTimeWait*: TIME_WAIT left by connlab's own teardown, by side.
	TeardownTimeWaitServer int `json:"teardownTimeWaitServer"`
	TeardownTimeWaitClient int `json:"teardownTimeWaitClient"`
}

// Kernel is what the kernel polls showed for the experiment's port.
type Kernel struct {
	// Polls is how many polls observed the port; zero means no kernel evidence.
	Polls int `json:"polls"`
	// Source is the sampler ("netlink" or "gopsutil").
	Source string `json:"source"`
	// TimeWaitPeak per side, and when each peak was first reached (ms from start).
	TimeWaitPeakServer int `json:"timeWaitPeakServer"`
	TimeWaitPeakClient int `json:"timeWaitPeakClient"`
	// TimeWaitEndServer/Client: TIME_WAIT count at the last poll.
	TimeWaitEndServer int `json:"timeWaitEndServer"`
	TimeWaitEndClient int `json:"timeWaitEndClient"`
	// DrainedMs: ms after the workload ended when TIME_WAIT reached zero on
	// both sides; negative when it had not drained by the end of observation.
	DrainedMs float64 `json:"drainedMs"`
	// EstablishedPeak per side.
	EstablishedPeakServer int `json:"establishedPeakServer"`
	EstablishedPeakClient int `json:"establishedPeakClient"`
	// CloseWaitPeak per side (an app that never closes shows up here).
	CloseWaitPeakServer int `json:"closeWaitPeakServer"`
	CloseWaitPeakClient int `json:"closeWaitPeakClient"`
	// KeepaliveTimers: most sockets seen at once with a TCP keepalive timer armed.
	KeepaliveTimers int `json:"keepaliveTimers"`
}

// Latency of successful requests, in ms, and throughput.
type Latency struct {
	P50Ms          float64 `json:"p50Ms"`
	P99Ms          float64 `json:"p99Ms"`
	RequestsPerSec float64 `json:"requestsPerSec"`
}

// Finding is one conclusion with the evidence lines that support it.
type Finding struct {
	// ID is stable (scripts rely on it), e.g. "reuse", "closed-first", "time-wait", "retries", "errors".
	ID string `json:"id"`
	// Level is "good", "info", "warn" or "bad".
	Level string `json:"level"`
	// Text is the one-line conclusion, e.g. "The server closed 20 of 20 connections first".
	Text string `json:"text"`
	// Evidence lines, each a measured fact with its number and source,
	// e.g. "server saw `Connection: close` on 20 of 20 requests".
	Evidence []string `json:"evidence"`
	// Why explains the mechanism; Change says what to change.
	Why    string `json:"why,omitempty"`
	Change string `json:"change,omitempty"`
	// Lab names the Lab preset that reproduces what the finding describes
	// (Watch findings), "" when none.
	Lab string `json:"lab,omitempty"`
}

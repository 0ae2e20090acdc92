package experiment

import (
	"fmt"
	"strings"
	"time"
)

// PresetInfo is a named experiment: the question it answers, what to look
// at, and its spec.
type PresetInfo struct {
	Name     string `json:"name"`
	Question string `json:"question"`
	LookAt   string `json:"lookAt"`
	Spec     Spec   `json:"spec"`
	// Answers is the verdict finding that answers Question (a verdict.ID*
	// value): the Lab puts it first and makes it the run's answer line.
	Answers string `json:"-"`
}

// Finding IDs the presets' questions are answered by (internal/verdict's
// IDs; spelled here so this package stays a leaf).
const (
	answersReuse     = "reuse"
	answersCloser    = "closed-first"
	answersRetries   = "retries"
	answersKeepalive = "keepalive-probes"
)

// Answers names the finding that answers preset name's question, "" for
// none (an unknown preset, or a spec without one).
func Answers(name string) string {
	for _, p := range presets {
		if p.Name == name {
			return p.Answers
		}
	}
	return ""
}

// Preset names. They are stable: scripts use them.
const (
	PresetKeepaliveDefault       = "keepalive-default"
	PresetClientDisableKeepalive = "client-disable-keepalive"
	PresetBodyNotRead            = "body-not-read"
	PresetBodyNotClosed          = "body-not-closed"
	PresetServerDisableKeepalive = "server-disable-keepalive"
	PresetServerIdleTimeout      = "server-idle-timeout"
	PresetIdleTimeoutRace        = "idle-timeout-race"
	PresetClientIdleTimeout      = "client-idle-timeout"
	PresetPoolChurn              = "pool-churn"
	PresetPoolSized              = "pool-sized"
	PresetHTTP10                 = "http10"
	PresetHTTP10KeepAlive        = "http10-keepalive"
	PresetH2CMultiplex           = "h2c-multiplex"
	PresetServerRestart          = "server-restart"
	PresetTCPKeepalive           = "tcp-keepalive"
)

func ms(n int) Duration { return Duration(time.Duration(n) * time.Millisecond) }

// presets, in the order the UI lists them. Workloads are short so that
// `go test` runs them all quickly; -set makes them longer.
var presets = []PresetInfo{
	{
		Name:     PresetKeepaliveDefault,
		Answers:  answersReuse,
		Question: "With Go's defaults on both sides, how many connections do 20 sequential requests need?",
		LookAt:   "Connections opened vs requests: expect one connection carrying the 20 requests (the server counts the requests it served on an already-used connection). No TIME_WAIT until the idle connection is finally closed, by connlab's teardown.",
		Spec:     with(func(s *Spec) { s.Interval = ms(50) }),
	},
	{
		Name:     PresetClientDisableKeepalive,
		Answers:  answersCloser,
		Question: "What happens when the client turns keep-alive off (Transport.DisableKeepAlives)?",
		LookAt:   "A connection per request, and the server saw `Connection: close` on the requests: it closes most connections first, so TIME_WAIT piles up on the server side. On loopback the client wins the close race on a few: their TIME_WAIT is on the client. The seed article's run: -set interval=1s -set requests=0.",
		Spec:     with(func(s *Spec) { s.Interval = ms(50); s.Client.DisableKeepAlives = true }),
	},
	{
		Name:     PresetBodyNotRead,
		Answers:  answersCloser,
		Question: "What happens when the client closes response bodies without reading them?",
		LookAt:   "No reuse: a new connection per request. The client closes first with the body still in its receive queue, so the connection ends with an RST (and leaves no TIME_WAIT on either side). With a small body (-set bodyBytes=100) nothing is left unread and the close is a FIN.",
		Spec:     with(func(s *Spec) { s.Interval = ms(50); s.BodyBytes = 64 << 10; s.Client.Body = BodyCloseUnread }),
	},
	{
		Name:     PresetBodyNotClosed,
		Answers:  answersReuse,
		Question: "Does a body read to EOF but never closed stop the connection from being reused?",
		LookAt:   "Requests on an already-used connection: Go's Transport returns the connection to the pool at EOF, Close or not. Try -set client.body=partial-close to see what a half-read body costs.",
		Spec:     with(func(s *Spec) { s.Interval = ms(50); s.Client.Body = BodyReadNoClose }),
	},
	{
		Name:     PresetServerDisableKeepalive,
		Answers:  answersCloser,
		Question: "Who closes first when the server turns keep-alives off (SetKeepAlivesEnabled(false))?",
		LookAt:   "The server answers with `Connection: close` (resp.Close) and closes most connections first: a connection per request and TIME_WAIT mostly on the server side. On loopback the client wins the close race on a few.",
		Spec:     with(func(s *Spec) { s.Interval = ms(50); s.Server.KeepAlives = false }),
	},
	{
		Name:     PresetServerIdleTimeout,
		Answers:  answersCloser,
		Question: "What happens when the client pauses longer than the server's IdleTimeout?",
		LookAt:   "The server closes idle connections (ConnState idle -> closed) before the next request; the client notices the FIN, dials again without an error, and TIME_WAIT lands on the server side. Count the idle closes against the connections opened.",
		Spec: with(func(s *Spec) {
			s.Requests = 5
			s.Interval = ms(400)
			s.Server.IdleTimeout = ms(200)
		}),
	},
	{
		Name:     PresetIdleTimeoutRace,
		Answers:  answersRetries,
		Question: "What happens when a request leaves just as the server's IdleTimeout closes its connection?",
		LookAt:   "Requests on a connection the server closed a moment before: GET is retried silently on a new connection (GotConn fires twice); a POST (-set method=POST) is not retried and fails. The race is timing-dependent: count retries and errors, not one request.",
		Spec: with(func(s *Spec) {
			s.Requests = 0
			s.Duration = ms(3000)
			s.Concurrency = 10
			s.Interval = ms(100)
			s.Server.IdleTimeout = ms(100)
			s.Client.MaxIdleConnsPerHost = 10 // one idle conn per worker: no pool churn
		}),
	},
	{
		Name:     PresetClientIdleTimeout,
		Answers:  answersCloser,
		Question: "Who closes when the client's IdleConnTimeout is shorter than its pause between requests?",
		LookAt:   "The client closes its idle connections first, so TIME_WAIT lands on the client side, each pinning one of its ephemeral ports toward the server for 60 s.",
		Spec: with(func(s *Spec) {
			s.Requests = 5
			s.Interval = ms(400)
			s.Client.IdleConnTimeout = ms(200)
		}),
	},
	{
		Name:     PresetPoolChurn,
		Answers:  answersReuse,
		Question: "Why does a busy client with 50 workers keep opening new connections?",
		LookAt:   "Connections opened above 50 (how far above depends on scheduling): the idle pool keeps only 2 per host (MaxIdleConnsPerHost), so when no worker is waiting the client closes the connection after its response and dials again; TIME_WAIT piles up on the client side. Some dialled connections carry no request at all (pool races).",
		Spec: with(func(s *Spec) {
			s.Requests = 2000
			s.Concurrency = 50
			s.Client.MaxIdleConnsPerHost = 2
		}),
	},
	{
		Name:     PresetPoolSized,
		Answers:  answersReuse,
		Question: "Does sizing the idle pool to the concurrency stop the churn of pool-churn?",
		LookAt:   "About 50 connections carrying the same 2000 requests, reused; a few extra from the cold start, and TIME_WAIT only for those. The teardown's closes leave TIME_WAIT too, reported apart.",
		Spec: with(func(s *Spec) {
			s.Requests = 2000
			s.Concurrency = 50
			s.Client.MaxIdleConnsPerHost = 50
		}),
	},
	{
		Name:     PresetHTTP10,
		Answers:  answersCloser,
		Question: "How does a plain HTTP/1.0 client (no keep-alive) fare?",
		LookAt:   "A connection per request, closed first by the server after its response on most of them (the raw client closes after reading Content-Length bytes and sometimes wins the race); TIME_WAIT mostly on the server side.",
		Spec:     with(func(s *Spec) { s.Interval = ms(50); s.Client.Protocol = ProtoHTTP10 }),
	},
	{
		Name:     PresetHTTP10KeepAlive,
		Answers:  answersReuse,
		Question: "Does `Connection: keep-alive` let an HTTP/1.0 client reuse its connection?",
		LookAt:   "Expect one connection carrying the requests, as long as responses carry a Content-Length. With -set server.framing=chunked the server cannot chunk for HTTP/1.0: it ends each body by closing.",
		Spec:     with(func(s *Spec) { s.Interval = ms(50); s.Client.Protocol = ProtoHTTP10KeepAlive }),
	},
	{
		Name:     PresetH2CMultiplex,
		Answers:  answersReuse,
		Question: "How many connections do 10 concurrent workers need over HTTP/2 (h2c)?",
		LookAt:   "The requests go as HTTP/2 streams over one connection (the server saw HTTP/2.0); at the cold start the Transport may dial several more that never carry a request. Compare -set client.protocol=http1: up to 10 connections carrying requests.",
		Spec: with(func(s *Spec) {
			s.Requests = 200
			s.Concurrency = 10
			s.Server.Protocol = ProtoH2C
			s.Client.Protocol = ProtoH2C
		}),
	},
	{
		Name:     PresetServerRestart,
		Answers:  answersRetries,
		Question: "What does the client see when the server restarts while it holds idle connections?",
		LookAt:   "The restart closes the server's connections, server first. Requests during the downtime fail (connection refused); after it the client dials new connections. Requests caught on a dying connection are retried (GET) or fail.",
		Spec: with(func(s *Spec) {
			s.Requests = 0
			s.Duration = ms(2000)
			s.Concurrency = 2
			s.Interval = ms(50)
			s.Server.RestartAfter = 10
		}),
	},
	{
		Name:     PresetTCPKeepalive,
		Answers:  answersKeepalive,
		Question: "What is TCP keepalive doing on an idle HTTP keep-alive connection?",
		LookAt:   "The kernel's keepalive timer on the idle sockets: client side probes after 1 s idle, then every 1 s (server side: Go's default 15 s). TCP keepalive only checks the peer is there; HTTP keep-alive decides reuse.",
		Spec: with(func(s *Spec) {
			s.Requests = 2
			s.Concurrency = 2
			s.Server.Delay = ms(20) // both requests in flight at once: two connections
			s.Observe = ms(3000)
			s.Client.TCPKeepAlive = TCPKeepAlive{Enable: true, Idle: ms(1000), Interval: ms(1000), Count: 3}
		}),
	},
}

func with(f func(*Spec)) Spec {
	s := Default()
	f(&s)
	return s
}

func init() {
	for i := range presets {
		presets[i].Spec.Preset = presets[i].Name
		if err := presets[i].Spec.Validate(); err != nil {
			panic(fmt.Sprintf("preset %s: %v", presets[i].Name, err))
		}
	}
}

// Lookup returns the named preset.
func Lookup(name string) (PresetInfo, bool) {
	for _, p := range presets {
		if p.Name == name {
			return p, true
		}
	}
	return PresetInfo{}, false
}

// Presets lists every preset, in display order (a copy).
func Presets() []PresetInfo {
	return append([]PresetInfo(nil), presets...)
}

// PresetNames lists the preset names, in display order.
func PresetNames() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}

// Preset returns the spec of the named preset (its Preset field set).
func Preset(name string) (Spec, error) {
	p, ok := Lookup(name)
	if !ok {
		return Spec{}, &FieldError{Field: "preset", Message: fmt.Sprintf("unknown preset %q (want one of %s)", name, strings.Join(PresetNames(), ", "))}
	}
	return p.Spec, nil
}

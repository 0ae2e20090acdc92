// Package server is connlab's HTTP surface and nothing else: the JSON API, the
// websocket that pushes live data, the embedded single-page app, and the
// guards every request passes (Host check, content types, one error format).
// It owns no state of its own: the watched ports live in the monitor, the
// fan-out in the hub, experiments in the experiment manager. It is the only
// package that imports chi and gorilla/websocket.
package server

import (
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/wire"
)

// Limits and timings of the HTTP surface.
const (
	apiTimeout   = 10 * time.Second // per API request (never applied to /ws)
	maxBodyBytes = 64 << 10         // JSON request bodies
	wsQueue      = 512              // messages queued per websocket before it is evicted
	wsQueueBytes = 8 << 20          // bytes queued per websocket before it is evicted (a snapshot is up to ~0.5 MB)
	wsQueueTotal = 24 << 20         // bytes queued for all websockets together: past it, one with a backlog is evicted
	wsWriteWait  = 5 * time.Second  // one websocket write, including pings
	wsPongWait   = 60 * time.Second // a browser silent this long is gone
	wsPingEvery  = 25 * time.Second // must be < wsPongWait
	wsMaxRequest = 4 << 10          // one browser -> server websocket message
	wsMaxTopics  = 64               // subscriptions per websocket (ports and experiments)
	wsHandshake  = 5 * time.Second  // websocket upgrade
	wsMaxMessage = 300              // bytes of an error message sent over the websocket (it may quote the request)
)

// Monitor is what the server needs of the poll loop (internal/monitor).
type Monitor interface {
	Add(port uint16) error
	Remove(port uint16) error
	Ports() []wire.PortStatus
	Status(port uint16) (wire.PortStatus, error)
	Sockets(port uint16) ([]wire.Socket, error)
	Timeline(port uint16, since uint64) (wire.Timeline, error)
	Verdict(port uint16) ([]wire.Finding, error)
	Connections(port uint16) (wire.FlowConns, error)
	Subscribe(port uint16, reserve func() bool, fill func(snapshot []byte)) error
	SubscribePorts(fn func(ports []byte)) error
	Source() string
	Interval() time.Duration
}

// Hub is what the server needs of the fan-out (internal/hub).
type Hub interface {
	SubscribeBounded(queue int, maxBytes int64) *hub.Sub
	SetTotalBudget(max int64)
	Join(s *hub.Sub, topic string)
	Reserve(s *hub.Sub, topic string) bool
	Fill(s *hub.Sub, topic string, first []byte) bool
	Leave(s *hub.Sub, topic string)
	Unsubscribe(s *hub.Sub)
}

// Config wires the server to the rest of connlab.
type Config struct {
	// Addr is the address the listener is bound to ("127.0.0.1:9000"); it
	// decides which Host headers are accepted.
	Addr    string
	Assets  fs.FS
	Monitor Monitor
	Hub     Hub
	// Experiments runs Lab experiments; nil leaves the Lab API answering 404.
	Experiments Experiments
	// Metrics serves GET /metrics (the Prometheus exposition, see
	// internal/metrics) behind the same guards as the API; nil leaves
	// /metrics to the single-page app.
	Metrics http.Handler
	// System reports the host facts for GET /api/system.
	System  func() wire.System
	Version string
	Log     *slog.Logger
	// WSQueue, WSQueueBytes and WSWriteWait override the websocket queue
	// length, its byte budget and the write deadline (zero: wsQueue,
	// wsQueueBytes, wsWriteWait); tests shorten them.
	WSQueue      int
	WSQueueBytes int64
	// WSQueueTotal bounds the bytes queued for all websockets together
	// (zero: wsQueueTotal).
	WSQueueTotal int64
	WSWriteWait  time.Duration
	// Token, when not empty, is required of every request but /healthz: the
	// cookie the page gets from ?token=, an "Authorization: Bearer" header,
	// or ?token=. main sets it whenever the address is not loopback.
	Token string
	// AllowHosts are Host names accepted besides the localhost names; when
	// the address is not loopback they turn the Host check back on.
	AllowHosts []string
	// MaxWebsockets caps the websocket sessions open at once (zero:
	// maxWebsockets); past it an upgrade is refused with 503.
	MaxWebsockets int
}

// Server is the http.Handler of connlab.
type Server struct {
	cfg     Config
	log     *slog.Logger
	hosts   hostPolicy
	token   *tokenGuard // nil: no token required
	router  http.Handler
	sockets wsSlots

	wsMu     sync.Mutex // guards wsClosed and the Add of wsActive
	wsClosed bool
	wsActive sync.WaitGroup // websocket handlers running
}

// New builds the handler. It starts no goroutines; websocket pumps belong to
// the requests that start them and end when the hub drops their subscriber.
// Wait joins those requests' handlers at shutdown.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.WSQueue <= 0 {
		cfg.WSQueue = wsQueue
	}
	if cfg.WSQueueBytes <= 0 {
		cfg.WSQueueBytes = wsQueueBytes
	}
	if cfg.WSQueueTotal <= 0 {
		cfg.WSQueueTotal = wsQueueTotal
	}
	if cfg.WSWriteWait <= 0 {
		cfg.WSWriteWait = wsWriteWait
	}
	if cfg.MaxWebsockets <= 0 {
		cfg.MaxWebsockets = maxWebsockets
	}
	s := &Server{cfg: cfg, log: cfg.Log, hosts: newHostPolicy(cfg.Addr, cfg.AllowHosts), token: newTokenGuard(cfg.Token, cfg.Addr)}
	cfg.Hub.SetTotalBudget(cfg.WSQueueTotal) // the browsers' queues, all together
	s.router = s.routes()
	return s
}

// Wait returns once every websocket handler has returned; upgrades asked
// from then on are refused (503). http.Server.Shutdown does not wait for
// them (their connections are hijacked): call Wait after it, once the hub
// is closed (that ends every websocket's write pump).
func (s *Server) Wait() {
	s.wsMu.Lock()
	s.wsClosed = true
	s.wsMu.Unlock()
	s.wsActive.Wait()
}

// wsEnter counts a websocket handler in, unless Wait was called.
func (s *Server) wsEnter() bool {
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	if s.wsClosed {
		return false
	}
	s.wsActive.Add(1)
	return true
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.router.ServeHTTP(w, r)
}

// IsLoopback reports whether addr ("host:port") binds only a loopback address.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

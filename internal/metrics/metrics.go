// Package metrics exports connlab's figures to Prometheus: GET /metrics in
// the text exposition format, so a fleet's Prometheus can scrape every
// host's watched ports. It is the only package that imports client_golang.
//
// Everything is read at scrape time through small interfaces declared here
// (Ports, Viewers, Runs): the monitor, the hub and the Lab keep no metric
// state of their own. The one exception is the sampler's poll histogram and
// error counter (Polls), fed by the monitor's Options.OnPoll hook.
//
// Metrics, per watched port (the ports added with -watch or the API, at
// most 64; a Lab experiment's own port is left out while the experiment
// holds it: it is kernel-picked, so every run would start new series):
//
//	connlab_tcp_sockets{port,side,state}                 gauge    sockets at the last poll, all 11 states of both sides, zeros included
//	connlab_tcp_connections_opened_total{port,side}      counter  this host's sockets seen opening (server: accepted, client: dialed)
//	connlab_tcp_closed_first_total{port,closer}          counter  connections by the end that closed first (server, client, simultaneous)
//	connlab_tcp_resets_total{port}                       counter  connections that ended with an RST
//	connlab_tcp_time_wait_entered_total{port,side}       counter  this host's sockets that entered TIME_WAIT
//	connlab_tcp_time_wait_steady_sockets{port,side}      gauge    TIME_WAIT held in steady state at the last minute's close rate
//	connlab_tcp_ephemeral_exhaustion_seconds{port}       gauge    time left before the client side runs out of ephemeral ports
//	                                                              toward its busiest destination (present only when finite)
//	connlab_tcp_flow_lower_bound{port}                   gauge    1: the flow counters come from polls and are lower bounds;
//	                                                              0: from kernel transitions (eBPF), exact
//
// and for the process:
//
//	connlab_sampler_poll_duration_seconds                histogram time one kernel sample of every watched port took
//	connlab_sampler_errors_total                         counter  samples that failed
//	connlab_websocket_viewers                            gauge    live websocket sessions (dashboard viewers)
//	connlab_lab_runs{status}                             gauge    Lab runs kept (in memory and saved), by status (running, completed, stopped, failed)
//	connlab_build_info{version,goversion}                gauge    always 1
//	go_*, process_*                                      the standard Go runtime and process collectors
//
// Label values: side is server (local port = the port) or client (remote
// port = the port); state is spelled as node_exporter's
// node_tcp_connection_states spells it, lower case (established,
// time_wait, close_wait, ...), so the two join and read alike.
//
// Flow counters count since the port began to be watched: they restart
// from 0 when a port is removed and added again, and when the kernel
// transition source fails and the counts fall back to polls (the lower
// bound gauge turns to 1 at that moment). rate() and increase() handle
// such resets. The flow lower bound is a gauge of its own rather than a
// label of the counters so that a change of source does not change the
// counters' series.
package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/connlab/connlab/internal/wire"
)

// Limits of the /metrics handler.
const (
	// maxScrapes is the scrapes served at once; more are answered 503.
	maxScrapes = 4
)

// Ports is what the collector needs of the monitor (monitor.Monitor
// satisfies it).
type Ports interface {
	// Ports lists the watched ports with their counts at the last poll.
	Ports() []wire.PortStatus
	// Status is one port's counts and flow; an error when it is no longer
	// watched.
	Status(port uint16) (wire.PortStatus, error)
}

// Viewers counts the live websocket sessions (hub.Hub satisfies it).
type Viewers interface {
	Len() int
}

// Runs lists the Lab's runs (the Lab manager satisfies it).
type Runs interface {
	List() []wire.ExpSummary
}

// Config says where the figures come from. Ports is required; a nil
// Viewers, Lab or Polls leaves its metrics out.
type Config struct {
	Ports   Ports
	Viewers Viewers
	Lab     Runs
	Polls   *Polls
	// Version is connlab's version, for connlab_build_info.
	Version string
	// Log receives the errors of a scrape (nil: discarded).
	Log *slog.Logger
}

// Metrics is connlab's Prometheus registry and its HTTP handler.
type Metrics struct {
	reg     *prometheus.Registry
	cs      []prometheus.Collector // registered in reg
	handler http.Handler
}

// New registers connlab's collectors, the Go runtime's and the process's.
func New(cfg Config) (*Metrics, error) {
	if cfg.Ports == nil {
		return nil, fmt.Errorf("metrics: Config.Ports is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	cs := []prometheus.Collector{
		newCollector(cfg),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "connlab_build_info",
			Help:        "connlab's version and the Go release that built it; always 1.",
			ConstLabels: prometheus.Labels{"version": cfg.Version, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
	}
	if cfg.Polls != nil {
		cs = append(cs, cfg.Polls.took, cfg.Polls.errors)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics collector: %w", err)
		}
	}
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            reg,
		MaxRequestsInFlight: maxScrapes,
	})
	return &Metrics{reg: reg, cs: cs, handler: promhttp.InstrumentMetricHandler(reg, h)}, nil
}

// Handler serves the metrics in the Prometheus text format (GET /metrics).
// It does no access control: mount it behind the API's Host and token
// checks.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Gatherer is the registry, for tests and other exporters.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

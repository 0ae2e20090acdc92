package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/connlab/connlab/internal/wire"
)

// states maps the wire's state names (as ss spells them) to label values
// (as node_exporter's node_tcp_connection_states spells them), in the
// order sockstat.States lists them.
var states = [...]struct{ wire, label string }{
	{"ESTABLISHED", "established"},
	{"SYN_SENT", "syn_sent"},
	{"SYN_RECV", "syn_recv"},
	{"FIN_WAIT1", "fin_wait1"},
	{"FIN_WAIT2", "fin_wait2"},
	{"TIME_WAIT", "time_wait"},
	{"CLOSE", "close"},
	{"CLOSE_WAIT", "close_wait"},
	{"LAST_ACK", "last_ack"},
	{"LISTEN", "listen"},
	{"CLOSING", "closing"},
}

// labRunStatuses are always exported, zeros included.
var labRunStatuses = [...]string{wire.ExpRunning, wire.ExpCompleted, wire.ExpStopped, wire.ExpFailed}

// Label values of side and closer.
const (
	server       = "server"
	client       = "client"
	simultaneous = "simultaneous"
)

// collector reads the monitor, the hub and the Lab at every scrape.
type collector struct {
	cfg Config

	sockets, opened, closedFirst, resets, timeWaitEntered *prometheus.Desc
	timeWaitSteady, exhaustion, lowerBound                *prometheus.Desc
	viewers, labRuns                                      *prometheus.Desc
}

func newCollector(cfg Config) *collector {
	d := prometheus.NewDesc
	return &collector{
		cfg: cfg,
		sockets: d("connlab_tcp_sockets",
			"TCP sockets of a watched port at the last poll, by side (server: local port is the port; client: remote port is) and state.",
			[]string{"port", "side", "state"}, nil),
		opened: d("connlab_tcp_connections_opened_total",
			"This host's sockets of a watched port seen opening, by side (server: accepted; client: dialed), since the port is watched.",
			[]string{"port", "side"}, nil),
		closedFirst: d("connlab_tcp_closed_first_total",
			"Connections of a watched port by the end that closed first (server, client, simultaneous), since the port is watched.",
			[]string{"port", "closer"}, nil),
		resets: d("connlab_tcp_resets_total",
			"Connections of a watched port that ended with an RST, since the port is watched (always 0 from polls, which cannot see them).",
			[]string{"port"}, nil),
		timeWaitEntered: d("connlab_tcp_time_wait_entered_total",
			"This host's sockets of a watched port that entered TIME_WAIT, by side, since the port is watched.",
			[]string{"port", "side"}, nil),
		timeWaitSteady: d("connlab_tcp_time_wait_steady_sockets",
			"Forecast: TIME_WAIT sockets each side holds in steady state if closes go on at the last minute's rate (each lasts 60 s).",
			[]string{"port", "side"}, nil),
		exhaustion: d("connlab_tcp_ephemeral_exhaustion_seconds",
			"Forecast: seconds until the client side runs out of ephemeral ports toward its busiest destination at the last minute's rate; absent when that rate never does.",
			[]string{"port"}, nil),
		lowerBound: d("connlab_tcp_flow_lower_bound",
			"1 when a watched port's flow counters come from polls and are lower bounds; 0 when they come from kernel transitions (eBPF) and are exact.",
			[]string{"port"}, nil),
		viewers: d("connlab_websocket_viewers",
			"Live websocket sessions (dashboard viewers).", nil, nil),
		labRuns: d("connlab_lab_runs",
			"Lab runs connlab keeps, by status: in memory (up to -lab-memory) and saved in the state directory (the newest 100), the oldest forgotten first.",
			[]string{"status"}, nil),
	}
}

func (c *collector) descs() []*prometheus.Desc {
	return []*prometheus.Desc{c.sockets, c.opened, c.closedFirst, c.resets, c.timeWaitEntered,
		c.timeWaitSteady, c.exhaustion, c.lowerBound, c.viewers, c.labRuns}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs() {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.cfg.Ports.Ports() {
		if p.Experiment != "" {
			continue // a Lab experiment's port (see the package doc)
		}
		st, err := c.cfg.Ports.Status(p.Port)
		if err != nil {
			continue // removed since the list was taken
		}
		c.collectPort(ch, &st)
	}
	if c.cfg.Viewers != nil {
		ch <- prometheus.MustNewConstMetric(c.viewers, prometheus.GaugeValue, float64(c.cfg.Viewers.Len()))
	}
	if c.cfg.Lab != nil {
		c.collectRuns(ch)
	}
}

// collectPort sends one watched port's metrics.
func (c *collector) collectPort(ch chan<- prometheus.Metric, st *wire.PortStatus) {
	port := strconv.Itoa(int(st.Port))
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{port}, labels...)...)
	}
	counter := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{port}, labels...)...)
	}
	if st.At != "" { // before the first poll there are no counts to tell
		for _, s := range states {
			gauge(c.sockets, float64(st.Counts.Server[s.wire]), server, s.label)
			gauge(c.sockets, float64(st.Counts.Client[s.wire]), client, s.label)
		}
	}
	f := st.Flow
	if f == nil {
		return
	}
	t := &f.Total
	counter(c.opened, t.OpenedBy.Server, server)
	counter(c.opened, t.OpenedBy.Client, client)
	counter(c.closedFirst, t.ClosedFirst.Server, server)
	counter(c.closedFirst, t.ClosedFirst.Client, client)
	counter(c.closedFirst, t.ClosedFirst.Simultaneous, simultaneous)
	counter(c.resets, t.Reset)
	counter(c.timeWaitEntered, t.TimeWait.Server, server)
	counter(c.timeWaitEntered, t.TimeWait.Client, client)
	gauge(c.timeWaitSteady, f.Forecast.TimeWaitSteady.Server, server)
	gauge(c.timeWaitSteady, f.Forecast.TimeWaitSteady.Client, client)
	if e := f.Forecast.EphemeralExhaustSec; e != nil {
		gauge(c.exhaustion, *e)
	}
	lb := 0.0
	if f.LowerBound {
		lb = 1
	}
	gauge(c.lowerBound, lb)
}

// collectRuns sends the Lab runs by status: the four known ones always,
// any other the Lab reports as it spells it.
func (c *collector) collectRuns(ch chan<- prometheus.Metric) {
	n := map[string]int{}
	for _, s := range labRunStatuses {
		n[s] = 0
	}
	for _, r := range c.cfg.Lab.List() {
		n[r.Status]++
	}
	for status, v := range n {
		ch <- prometheus.MustNewConstMetric(c.labRuns, prometheus.GaugeValue, float64(v), status)
	}
}

// Package loadgen is a Lab experiment's client: Concurrency workers sending
// requests to the experiment's server through a tapped dialer (package
// tap), paced by an interval or a target rate, until the request budget is
// spent, a deadline passes or the context ends. It speaks HTTP through Go's
// Transport (HTTP/1.1 or h2c, traced with httptrace) or as a raw HTTP/1.0
// client over net.Conn, and does with each response body what the spec
// says (read, close unread, never close, half-read). Every request is
// measured into its worker's Tally and log line; the caller drains them.
//
// Locks: each worker's stats mutex is a leaf, taken by the worker and by
// Drain/Tally.
package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/tap"
	"github.com/connlab/connlab/internal/wire"
)

// Limits and sizes of the client.
const (
	// postBodyBytes is the size of a POST request's body.
	postBodyBytes = 64
	// partialReadBytes is how much of a body "partial-close" reads.
	partialReadBytes = 512
	// maxLeaked bounds the connections the raw client leaves open in
	// "read-no-close" mode (the oldest is closed past it).
	maxLeaked = 256
	// workerLogCap bounds a worker's undrained log lines (the most recent
	// are kept).
	workerLogCap = 256
	// maxErrorSamples is how many distinct error messages are counted
	// separately; the rest count under "other errors".
	maxErrorSamples = 20
)

// Config is what the client needs: where to send, how, and how much.
type Config struct {
	// Addr is the server's host:port; Dialer dials it (and nothing else).
	Addr   string
	Dialer *tap.Dialer
	// Tracker times the requests (since the experiment's start).
	Tracker *tap.Tracker
	// Method is experiment.MethodGet or MethodPost.
	Method string
	// Requests bounds the requests of all workers together (0: none).
	Requests int
	// Concurrency is the number of workers (at least 1).
	Concurrency int
	// Interval is each worker's pause between requests; Rate, when
	// positive, replaces it with a total target rate (per second).
	Interval time.Duration
	Rate     float64
	// Client is the client side of the spec.
	Client experiment.ClientSpec
}

// Client is the workers of one experiment. Run it once.
type Client struct {
	cfg       Config
	transport *http.Transport // nil for the raw client
	rawReq    []byte          // the raw client's request
	workers   []*worker
	issued    atomic.Int64
}

// New builds the client and its workers; ctx is the context of every
// request (cancel it to stop the workload).
func New(ctx context.Context, cfg Config) (*Client, error) {
	c := &Client{cfg: cfg}
	if c.raw() {
		c.rawReq = rawRequest(cfg.Method, cfg.Addr, cfg.Client.Protocol == experiment.ProtoHTTP10KeepAlive)
	} else {
		c.transport = newTransport(&cfg.Client, cfg.Dialer)
	}
	n := max(1, cfg.Concurrency)
	c.workers = make([]*worker, n)
	for i := range c.workers {
		w := &worker{id: i + 1, c: c, stats: newWorkerStats(), partial: make([]byte, partialReadBytes)}
		w.pace.interval = cfg.Interval
		if cfg.Rate > 0 {
			w.pace.period = time.Duration(float64(n) / cfg.Rate * float64(time.Second))
			w.pace.offset = w.pace.period * time.Duration(i) / time.Duration(n)
		}
		if !c.raw() {
			if err := w.initHTTP(ctx, "http://"+cfg.Addr+"/"); err != nil {
				return nil, fmt.Errorf("build request: %w", err)
			}
		}
		c.workers[i] = w
	}
	return c, nil
}

// raw says the raw HTTP/1.0 client is used instead of Go's Transport.
func (c *Client) raw() bool {
	p := c.cfg.Client.Protocol
	return p == experiment.ProtoHTTP10 || p == experiment.ProtoHTTP10KeepAlive
}

// Run runs the workers until the requests are sent, deadline passes or ctx
// is done, and returns once every worker has returned.
func (c *Client) Run(ctx context.Context, deadline time.Time) {
	var wg sync.WaitGroup
	for _, w := range c.workers {
		wg.Go(func() { w.loop(ctx, deadline) })
	}
	wg.Wait()
}

// CloseIdle closes what the client holds between requests: the
// Transport's idle connections and the raw client's connections. Call it
// only when Run has returned.
func (c *Client) CloseIdle() {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
	for _, w := range c.workers {
		w.raw.closeAll()
	}
}

// Tally adds up every worker's requests so far.
func (c *Client) Tally() *Tally {
	t := new(Tally)
	for _, w := range c.workers {
		w.stats.mergeInto(t)
	}
	return t
}

// Drain appends the log lines recorded since the last Drain to dst (worker
// by worker, not in request order) and returns it, with how many lines were
// evicted unseen (a worker keeps at most workerLogCap).
func (c *Client) Drain(dst []wire.RequestLine) ([]wire.RequestLine, int) {
	dropped := 0
	for _, w := range c.workers {
		var d int
		dst, d = w.stats.drain(dst)
		dropped += d
	}
	return dst, dropped
}

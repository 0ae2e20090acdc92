package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/connlab/connlab/internal/app"
	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/wire"
)

// rig is connlab with full instrumentation, built by the composition root
// as `connlab` serves the dashboard: the socket sampler, the kernel monitor
// polling at its default interval and publishing on the hub (no browser
// subscribed), and the Lab publishing its batches on the same hub.
type rig struct {
	app *app.App
	mgr *lab.Manager

	stop context.CancelFunc // ends app.Run
	done chan error         // app.Run's result
}

func newLab(log *slog.Logger) (*rig, error) {
	a, err := app.New(app.Config{Log: log})
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	l := &rig{app: a, mgr: a.Lab, stop: stop, done: make(chan error, 1)}
	go func() { l.done <- a.Run(ctx) }() // stopped by l.stop, waited for in close
	return l, nil
}

// source names the kernel sampler in use.
func (l *rig) source() string { return l.app.Monitor.Source() }

// close shuts connlab down in the app's order (every experiment first) and
// waits for it.
func (l *rig) close() {
	l.stop()
	<-l.done
}

// workloadSpec is the measured workload: the pool-sized preset (an idle
// pool as large as the concurrency, as hey sizes its own) sending n
// requests as fast as it can: no interval, no rate, no observe tail.
func workloadSpec(n, c int, keepAlive bool) (experiment.Spec, error) {
	s, err := experiment.Preset(experiment.PresetPoolSized)
	if err != nil {
		return s, err
	}
	for _, kv := range [][2]string{
		{"requests", strconv.Itoa(n)},
		{"concurrency", strconv.Itoa(c)},
		{"interval", "0s"}, // no pause between a worker's requests
		{"rate", "0"},      // no pacing
		{"observe", "0s"},  // the run ends with its last request
		{"client.maxIdleConnsPerHost", strconv.Itoa(c)},
		{"client.disableKeepAlives", strconv.FormatBool(!keepAlive)},
	} {
		if err := experiment.Set(&s, kv[0], kv[1]); err != nil {
			return s, fmt.Errorf("bench spec: %w", err)
		}
	}
	return s, s.Validate()
}

// parkedSpec is workloadSpec's twin whose client is parked: one worker
// sends one request, then waits parkInterval. Its server, instrumentation
// and kernel hold are those of a measured run; hey is pointed at it.
func parkedSpec(c int, keepAlive bool) (experiment.Spec, error) {
	s, err := workloadSpec(1, c, keepAlive)
	if err != nil {
		return s, err
	}
	for _, kv := range [][2]string{
		{"requests", "0"}, // until stopped
		{"concurrency", "1"},
		{"interval", parkInterval.String()},
	} {
		if err := experiment.Set(&s, kv[0], kv[1]); err != nil {
			return s, fmt.Errorf("parked spec: %w", err)
		}
	}
	return s, s.Validate()
}

// sample is one measured run.
type sample struct {
	rps      float64
	requests int
	errors   int
	conns    int // connections the server accepted
	served   int // requests the (instrumented) server counted
	// cpu is this process's CPU time over the run (client, server and
	// monitor together); 0 when unknown.
	cpu time.Duration
	// wall is the time from Start to the end of Wait.
	wall time.Duration
}

// runWorkload runs one experiment to its end and returns its throughput as
// connlab reports it (requests / workload time).
func (l *rig) runWorkload(ctx context.Context, spec experiment.Spec) (sample, error) {
	t0 := time.Now()
	cpu0, cpuOK := processCPU()
	id, err := l.mgr.Start(ctx, spec)
	if err != nil {
		return sample{}, fmt.Errorf("start the workload: %w", err)
	}
	res, err := l.mgr.Wait(ctx, id)
	if err != nil {
		_ = l.mgr.Stop(id)
		return sample{}, fmt.Errorf("wait for the workload: %w", err)
	}
	if res.Status != wire.ExpCompleted {
		return sample{}, fmt.Errorf("workload %s: %s %s", id, res.Status, res.Error)
	}
	s := sample{
		rps:      res.Latency.RequestsPerSec,
		requests: res.Requests.Total,
		errors:   res.Requests.Errors,
		conns:    res.Connections.Opened,
		served:   servedBy(res),
		wall:     time.Since(t0),
	}
	if cpu1, ok := processCPU(); ok && cpuOK {
		s.cpu = cpu1 - cpu0
	}
	return s, nil
}

// parked is a running experiment whose client is parked: its instrumented
// server is a target for hey.
type parked struct {
	l  *rig
	id string
	// url is the experiment server's address.
	url string
}

func (l *rig) park(ctx context.Context, spec experiment.Spec) (*parked, error) {
	id, err := l.mgr.Start(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("start the parked experiment: %w", err)
	}
	p := &parked{l: l, id: id}
	res, ok := l.mgr.Get(id)
	if !ok || res.Port == 0 {
		p.end(ctx)
		return nil, errors.New("parked experiment: no port")
	}
	p.url = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(int(res.Port))) + "/"
	return p, nil
}

// end stops the experiment and returns how many requests and connections
// its server counted (its own client's one request included).
func (p *parked) end(ctx context.Context) (served, conns int, err error) {
	if err := p.l.mgr.Stop(p.id); err != nil {
		return 0, 0, err
	}
	res, err := p.l.mgr.Wait(ctx, p.id)
	if err != nil {
		return 0, 0, fmt.Errorf("wait for the parked experiment: %w", err)
	}
	if res.Status == wire.ExpFailed {
		return 0, 0, fmt.Errorf("parked experiment %s failed: %s", p.id, res.Error)
	}
	return servedBy(res), res.Connections.Opened, nil
}

// servedBy adds up the requests the experiment's server saw.
func servedBy(res *lab.Result) int {
	n := 0
	for _, v := range res.Requests.ServerSaw {
		n += v
	}
	return n
}

// plainServer is the reference: an uninstrumented net/http server on
// 127.0.0.1:0 answering what the experiment's server answers by default
// (a 1 KiB Content-Length body and the Connlab-Saw header).
type plainServer struct {
	url string
	srv *http.Server
	wg  sync.WaitGroup // Serve
}

func startPlain(bodyBytes int) (*plainServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the plain server: %w", err)
	}
	body := make([]byte, bodyBytes)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	cl := []string{strconv.Itoa(bodyBytes)}
	saw := []string{"HTTP/1.1 "}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Connlab-Saw"] = saw
		w.Header()["Content-Length"] = cl
		_, _ = w.Write(body)
	})
	p := &plainServer{url: "http://" + ln.Addr().String() + "/", srv: &http.Server{Handler: h, ReadHeaderTimeout: time.Minute}}
	p.wg.Go(func() { _ = p.srv.Serve(ln) }) // ended by close
	return p, nil
}

func (p *plainServer) close() {
	_ = p.srv.Close()
	p.wg.Wait()
}

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/loadgen"
	"github.com/connlab/connlab/internal/ring"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/tap"
	"github.com/connlab/connlab/internal/target"
	"github.com/connlab/connlab/internal/wire"
)

// run is one experiment, from setup to its final update.
type run struct {
	id       string
	spec     experiment.Spec
	specJSON json.RawMessage
	log      *slog.Logger
	pub      Publisher
	topic    string
	every    time.Duration // batch interval
	start    time.Time
	port     uint16
	addr     string

	ctx      context.Context // done on Stop
	cancel   context.CancelFunc
	stopped  atomic.Bool
	skip     chan struct{} // closed by skipObserve
	skipOnce sync.Once
	done     chan struct{} // closed by the Manager once the run ended and its slot is free
	release  func()        // the kernel hold; nil without a kernel
	kernel   Kernel        // nil without a kernel

	tr     *tap.Tracker
	ks     *kernelState
	srv    *target.Server
	ln     net.Listener // the first listener, until run serves it
	dialer *tap.Dialer
	client *loadgen.Client

	mu      sync.Mutex
	phase   string
	err     error
	status  string
	workEnd time.Time
	ended   time.Time
	// observeEnded: why the observe phase ended early ("drained", "skipped").
	observeEnded string

	pubMu    sync.Mutex // serializes publishing and snapshots; guards final and the parts freeze lets go
	final    *Result    // set by freeze once the run ended: all that is kept
	size     int        // bytes final holds (its JSON size, an estimate)
	seq      uint64     // last update published
	kseq     uint64     // last kernel row published
	reqLog   *ring.Ring[wire.RequestLine]
	logTotal int
	scratch  []wire.RequestLine

	saved atomic.Bool // written to the Archive (Manager.save)
}

// setup listens, builds both sides and takes the kernel hold. On error
// nothing is left behind.
func (r *run) setup(ctx context.Context, kernel Kernel) (err error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	defer func() {
		if err != nil {
			_ = ln.Close()
		}
	}()
	r.ln = ln
	r.addr = ln.Addr().String()
	r.port = tap.PortOf(ln.Addr())
	r.tr = tap.NewTracker(r.start, laneDetail)
	source := ""
	if kernel != nil {
		source = kernel.Source()
	}
	r.ks = newKernelState(r.port, r.start, r.tr, source)
	r.srv = target.New(r.spec.Server, r.spec.BodyBytes, r.tr, r.log)
	ka := r.spec.Client.TCPKeepAlive
	r.dialer = tap.NewDialer(r.addr, r.tr, net.KeepAliveConfig{Enable: ka.Enable, Idle: ka.Idle.D(), Interval: ka.Interval.D(), Count: ka.Count})
	r.client, err = loadgen.New(r.ctx, loadgen.Config{
		Addr: r.addr, Dialer: r.dialer, Tracker: r.tr,
		Method: r.spec.Method, Requests: r.spec.Requests, Concurrency: r.spec.Concurrency,
		Interval: r.spec.Interval.D(), Rate: r.spec.Rate, Client: r.spec.Client,
	})
	if err != nil {
		return err
	}
	if kernel != nil {
		r.kernel = kernel
		rel, err := kernel.Hold(r.port, "experiment "+r.id, r.ks.observe)
		if err != nil {
			return fmt.Errorf("watch port %d: %w", r.port, err)
		}
		r.release = rel
	}
	return nil
}

func (r *run) setPhase(p string) {
	r.mu.Lock()
	r.phase = p
	r.mu.Unlock()
}

// fail records the first error that ends the run as failed and stops it.
func (r *run) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.cancel()
}

// stop ends the run early (status stopped unless it failed).
func (r *run) stop() {
	r.stopped.Store(true)
	r.cancel()
}

// execute runs the experiment to its end; the Manager's goroutine owns it.
// The Manager closes r.done once it has freed the run's slot.
func (r *run) execute() {
	defer r.cancel()

	var bg, rg sync.WaitGroup // the batcher; the restarter
	bctx, bstop := context.WithCancel(context.Background())
	bg.Go(func() { r.batcher(bctx) })
	r.srv.Serve(r.ln)
	rctx, rstop := context.WithCancel(r.ctx)
	if r.spec.Server.RestartAfter > 0 {
		rg.Go(func() {
			if err := r.srv.Restarter(rctx, r.addr); err != nil {
				r.fail(err)
			}
		})
	}

	// The workload: until the requests are sent, the duration is over (at
	// most MaxDuration) or Stop.
	r.client.Run(r.ctx, r.start.Add(r.spec.WorkloadLimit()))
	now := time.Now()
	r.mu.Lock()
	r.workEnd = now
	r.phase = wire.PhaseObserve
	r.mu.Unlock()
	r.ks.workloadEnded(now)
	r.observeTail()
	r.lastPoll()
	r.kernelResets()
	rstop()
	rg.Wait() // no restart may start a server after the teardown closed it

	r.setPhase(wire.PhaseTeardown)
	r.teardown()
	if r.release != nil {
		r.release()
	}
	bstop()
	bg.Wait()

	r.mu.Lock()
	r.ended = time.Now()
	switch {
	case r.err != nil:
		r.status = wire.ExpFailed
	case r.stopped.Load():
		r.status = wire.ExpStopped
	default:
		r.status = wire.ExpCompleted
	}
	r.phase = wire.PhaseDone
	r.mu.Unlock()
	r.publishBatch(true)
	r.log.Info("experiment ended", "preset", r.spec.Preset, "status", r.status) // r.log carries the id
}

// observeTail leaves connections as they are for at most Observe, or until
// Stop or SkipObserve. It ends sooner once the run has nothing left to
// show: no TIME_WAIT of the run's at a poll after the workload (none left,
// or none ever), and no connection opened or closed for observeQuiet plus
// the longer idle timeout of the spec (so idle closes still to come are
// waited for). Without a kernel it runs its full time.
func (r *run) observeTail() {
	d := r.spec.Observe.D()
	if d <= 0 {
		return
	}
	quiet := observeQuiet + max(r.spec.Server.IdleTimeout.D(), r.spec.Client.IdleConnTimeout.D(), r.spec.Server.ReadTimeout.D())
	if quiet >= d {
		quiet = d // never sooner than the idle timeouts: run the full time
	}
	limit := time.NewTimer(d)
	defer limit.Stop()
	check := time.NewTicker(observeCheck)
	defer check.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.skip:
			r.setObserveEnded("skipped")
			return
		case <-limit.C:
			return
		case <-check.C:
			drained, _ := r.ks.drained()
			last := r.start.Add(time.Duration(r.tr.LastEventNs()))
			if drained && time.Since(last) >= quiet && time.Since(r.workEndTime()) >= quiet {
				r.setObserveEnded("drained")
				return
			}
		}
	}
}

// SkipObserve ends the observe phase now (the teardown follows); it does
// nothing after it.
func (r *run) skipObserve() { r.skipOnce.Do(func() { close(r.skip) }) }

func (r *run) setObserveEnded(why string) {
	r.mu.Lock()
	r.observeEnded = why
	r.mu.Unlock()
}

func (r *run) workEndTime() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.workEnd
}

// lastPoll waits, bounded, for a kernel poll taken after now, so that every
// close of the run so far has its TIME_WAIT in the evidence before the
// teardown freezes it (on a loaded machine polls come late). A stopped run
// does not wait.
func (r *run) lastPoll() {
	if r.release == nil || r.ctx.Err() != nil {
		return // no kernel, or stopped (shutting down: the polls may be over)
	}
	now := time.Now()
	if !waitUntil(lastPollWait, func() bool { return r.ks.polledSince(now) }) {
		r.log.Warn("experiment: no kernel poll after the workload; TIME_WAIT of the last closes may be missing", "waited", lastPollWait)
	}
}

// kernelResets takes from the kernel's transitions (eBPF) the resets the
// Close probes could not see: an RST sent after both Closes, in reply to
// data that reached a socket already closed (a POST racing the server's
// idle close: FIN, then RST a fraction of a millisecond later).
func (r *run) kernelResets() {
	fk, ok := r.kernel.(flowKernel)
	if !ok {
		return
	}
	cs, err := fk.Connections(r.port)
	if err != nil || cs.Source != "ebpf" {
		return // polls cannot see resets
	}
	for _, c := range cs.Connections {
		if !c.Reset {
			continue
		}
		if ap, err := netip.ParseAddrPort(c.Client); err == nil && r.tr.MarkReset(ap.Port()) {
			r.log.Debug("experiment: reset seen by the kernel only", "client", c.Client)
		}
	}
}

// teardown closes what is left, client side first (so those closes are
// the client's), then the server; it waits, bounded, until every conn and
// its goroutines are gone.
func (r *run) teardown() {
	r.tr.BeginTeardown()
	r.ks.frozen.Store(true)
	waitUntil(teardownWait, func() bool { return r.dialer.Inflight() == 0 })
	r.client.CloseIdle()
	if !waitUntil(teardownWait/5, func() bool { return r.tr.Open(sockstat.Client) == 0 }) {
		// Bodies never closed hold their conns: close them under the transport.
		for _, c := range r.tr.OpenConns(sockstat.Client) {
			_ = c.Close()
		}
	}
	// The server notices the clients' FINs and closes its ends itself.
	waitUntil(teardownWait/5, func() bool { return r.tr.Open(sockstat.Server) == 0 })
	r.srv.Close()
	if !waitUntil(teardownWait, func() bool { return r.tr.ServerLive() <= 0 }) {
		r.log.Warn("experiment teardown: server connections still running", "id", r.id, "n", r.tr.ServerLive())
	}
	r.client.CloseIdle()
	r.tr.Finish()
}

// waitUntil polls cond every teardownPoll until it holds or d passes.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(teardownPoll)
	}
	return true
}

// batcher publishes an update every r.every until ctx is done.
func (r *run) batcher(ctx context.Context) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.publishBatch(false)
		}
	}
}

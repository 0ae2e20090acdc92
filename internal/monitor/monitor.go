// Package monitor is connlab's polling loop. Every interval it asks the
// sampler, in one call, for the sockets of every watched port, then per port:
// counts them by (side, state) into a Tally, diffs them against the previous
// poll by 4-tuple (opened / changed state / gone), appends the counts as one
// row to the port's fixed-capacity timeline ring, and publishes one encoded
// wire.Tick on the port's topic (Topic(port)). Changes to the watched set are
// published as wire.Ports on PortsTopic.
//
// Ordering. Ticks are encoded and published while holding the monitor's
// lock. Subscribe encodes a snapshot and hands it to a callback under that
// same lock, so a caller that joins the hub and queues the snapshot inside
// the callback can neither miss a tick nor receive one that the snapshot
// already contains: the subscriber sees the snapshot at seq N and then ticks
// N+1, N+2, ... The hub's operations are synchronous and non-blocking, which
// is what makes this safe (see package hub).
//
// Sequence numbers of a port only grow during the monitor's life: when a port
// is removed and added again, its numbering resumes after a gap of one, so a
// subscriber that stayed joined sees the gap and resubscribes.
//
// Memory: each port owns a ring of History/Interval rows allocated when it is
// added, and buffers that reach a steady size; nothing grows with running time.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/flow"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/timeline"
	"github.com/connlab/connlab/internal/wire"
)

// Defaults and limits.
const (
	// DefaultInterval is the poll interval when Options.Interval is zero.
	DefaultInterval = 250 * time.Millisecond
	// MinInterval is the shortest poll interval accepted; shorter is raised.
	MinInterval = 50 * time.Millisecond
	// DefaultHistory is how much timeline a port keeps when Options.History is zero.
	DefaultHistory = 15 * time.Minute
	// DefaultMaxPorts caps the ports a user may watch when Options.MaxPorts is zero.
	DefaultMaxPorts = 64
	// maxHolds caps the Lab holds active at once (they do not count against
	// MaxPorts, but every held port lengthens the kernel filter).
	maxHolds = 64
	// maxUnowned caps, per port, the sockets whose owner a subscriber has not
	// been told yet (their owner is looked up again every poll).
	maxUnowned = 4096
	// errLogEvery is the least time between two log lines about sample errors.
	errLogEvery = 10 * time.Second
	// eventFlush is how often queued kernel transitions are applied and
	// sent to subscribers (the ring buffer adds up to 5 ms before it).
	eventFlush = 10 * time.Millisecond
	// maxPendingEvents bounds the transitions queued between two flushes.
	maxPendingEvents = 1 << 16
)

// Topics on which the monitor publishes.
const (
	// PortsTopic carries wire.Ports whenever the watched set changes.
	PortsTopic = "ports"
)

// Topic is the topic that carries a port's ticks: "port:<n>".
func Topic(port uint16) string { return "port:" + strconv.Itoa(int(port)) }

// Errors of the watched-set operations; test with errors.Is.
var (
	ErrInvalidPort = errors.New("port must be between 1 and 65535")
	ErrExists      = errors.New("port is already watched")
	ErrLimit       = errors.New("too many watched ports")
	ErrNotWatched  = errors.New("port is not watched")
	ErrHeld        = errors.New("port is held by a lab experiment")
)

// Sampler reads the sockets of a set of ports (sockstat.Sampler satisfies
// it). The monitor calls it from one goroutine only.
type Sampler interface {
	// Sample appends to dst every TCP socket whose local or remote port is in
	// ports, and returns the extended slice.
	Sample(ports []uint16, dst []sockstat.Socket) ([]sockstat.Socket, error)
	// Source names the mechanism: "netlink" or "gopsutil".
	Source() string
}

// Publisher delivers an encoded message to the subscribers of a topic
// (hub.Hub satisfies it). Publish must not block and must not retain msg
// for modification: the monitor never touches msg again.
type Publisher interface {
	Publish(topic string, msg []byte)
}

// audience is implemented by publishers that can tell whether a topic has
// subscribers (hub.Hub does). A tick nobody listens to is neither diffed
// nor encoded: with nobody watching, a burst of thousands of connections
// costs the poll only its counts. Subscribers is read under the lock that
// also guards Subscribe, so a subscriber that joins gets a snapshot first.
type audience interface {
	Subscribers(topic string) int
}

// Owners names the process that owns a socket (sockstat.Owners satisfies
// it). Lookup must be cheap: it is called on the poll goroutine for every
// opened socket.
type Owners interface {
	Lookup(s *sockstat.Socket) (pid int32, name string, ok bool)
}

// Observer receives every poll of a held port, on the poll goroutine, after
// the port's tick was published and without the monitor's lock held (so it
// may call the Monitor). It must not block and must not retain t or sockets
// (they are reused on the next poll). sockets are the port's sockets,
// deduplicated by 4-tuple, in sample order. Polls whose sample failed are
// not observed.
type Observer func(at time.Time, t *Tally, sockets []sockstat.Socket)

// Options tune a Monitor; the zero value means the defaults.
type Options struct {
	// Interval between polls: DefaultInterval when zero, at least MinInterval.
	Interval time.Duration
	// History is the span of timeline each port keeps: DefaultHistory when
	// zero. Ring capacity = History / Interval rows (at least 1).
	History time.Duration
	// MaxPorts caps the ports added with Add: DefaultMaxPorts when zero.
	MaxPorts int
	// Owners names socket owners; nil leaves Process empty (except TIME_WAIT,
	// always "kernel").
	Owners Owners
	// PortRange is the number of ephemeral ports (ip_local_port_range), for
	// the exhaustion forecast of the flow figures; 0: unknown.
	PortRange int
	// Events, when not nil, delivers kernel transitions: the ports' flows
	// count from them (exact) instead of from polls (lower bounds).
	Events Events
	// OnPoll, when not nil, is called on the poll goroutine after every
	// kernel sample with the time the sample took and its error (nil on
	// success); while no port is watched nothing is sampled and it is not
	// called. It must not block: the next poll waits for it.
	OnPoll func(took time.Duration, err error)
}

// Monitor polls the watched ports. Its methods are safe for concurrent use;
// Run must be called once.
type Monitor struct {
	s         Sampler
	pub       Publisher
	aud       audience // nil: every tick is built
	owners    Owners
	log       *slog.Logger
	interval  time.Duration
	capacity  int // ring rows per port
	maxPorts  int
	portRange int
	onPoll    func(time.Duration, error) // nil: nobody asked
	wake      chan struct{}              // a port was added: poll now (buffered, 1)
	ev        *events                    // nil: no kernel transitions
	running   atomic.Bool

	mu      sync.Mutex // guards the fields below and serializes publishing
	ports   map[uint16]*port
	nUser   int               // ports added with Add
	nHolds  int               // active holds
	lastSeq map[uint16]uint64 // last seq of removed ports, so numbering never goes back
	source  string

	poller // owned by the poll goroutine
}

// port is one watched port. Fields marked "poll" are touched only by the
// poll goroutine; the rest are guarded by Monitor.mu.
type port struct {
	num   uint16
	topic string
	user  bool    // added with Add
	holds []*hold // Lab holds, oldest first
	base  uint64  // added to ring sequence numbers
	ring  *timeline.Ring
	cur   *socketSet // sockets at the last poll
	tally Tally      // counts at the last poll
	// unowned: sockets subscribers saw without a process (the owner pass had
	// not resolved them yet); a tick reports each again once it resolves.
	unowned map[sockstat.Key]struct{}
	at      time.Time // time of the last poll
	// flow follows the port's connections from open to close (fed by the
	// poll's changes, or by kernel transitions).
	flow *flow.Port

	// snap is the snapshot encoded since the last poll, shared by the
	// subscribers that join before the next one (nil: none yet).
	snap []byte

	spare   *socketSet // poll: next poll's sockets are gathered here
	changes []change   // poll
	tick    wire.Tick  // poll, under mu: reused encoding buffers
}

// hold is one Lab experiment's claim on a port.
type hold struct {
	owner string
	obs   Observer

	mu       sync.Mutex // held while obs runs and while releasing
	released bool
}

// New returns a monitor that samples with s and publishes on pub. log may be
// nil. Nothing runs until Run.
func New(s Sampler, pub Publisher, opts Options, log *slog.Logger) *Monitor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Interval < MinInterval {
		log.Warn("monitor: poll interval raised to the minimum", "asked", opts.Interval, "min", MinInterval)
		opts.Interval = MinInterval
	}
	if opts.History <= 0 {
		opts.History = DefaultHistory
	}
	if opts.MaxPorts <= 0 {
		opts.MaxPorts = DefaultMaxPorts
	}
	aud, _ := pub.(audience)
	var ev *events
	if opts.Events != nil {
		ev = &events{src: opts.Events, ready: make(chan struct{}, 1)}
	}
	return &Monitor{
		ev:        ev,
		s:         s,
		pub:       pub,
		aud:       aud,
		owners:    opts.Owners,
		log:       log,
		interval:  opts.Interval,
		capacity:  max(1, int(opts.History/opts.Interval)),
		maxPorts:  opts.MaxPorts,
		portRange: opts.PortRange,
		onPoll:    opts.OnPoll,
		wake:      make(chan struct{}, 1),
		ports:     make(map[uint16]*port),
		lastSeq:   make(map[uint16]uint64),
		source:    s.Source(),
		poller:    poller{byNum: make(map[uint16]*port)},
	}
}

// Run polls until ctx is done, then returns nil. It polls once at start,
// then every interval, and promptly after a port is added. Sample errors
// are logged (rate-limited) and polling goes on.
func (m *Monitor) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("monitor: Run called while already running")
	}
	defer m.running.Store(false)
	var wg sync.WaitGroup
	defer wg.Wait()
	if m.ev != nil {
		wg.Go(func() { m.runEvents(ctx) }) // stopped by ctx, waited for above
	}
	t := time.NewTicker(m.interval)
	defer t.Stop()
	m.poll()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.poll()
		case <-m.wake:
			m.poll()
		}
	}
}

// Source names the sampler in use ("netlink" or "gopsutil").
func (m *Monitor) Source() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.source
}

// Interval is the poll interval in use.
func (m *Monitor) Interval() time.Duration { return m.interval }

// Capacity is the number of timeline rows each port keeps.
func (m *Monitor) Capacity() int { return m.capacity }

// kick asks Run for a prompt poll, without blocking.
func (m *Monitor) kick() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// newPort builds a port's state; m.mu must be held.
func (m *Monitor) newPort(num uint16) *port {
	base := uint64(0)
	if last, ok := m.lastSeq[num]; ok {
		base = last + 1 // leave a gap: subscribers still joined resync
		delete(m.lastSeq, num)
	}
	return &port{
		num:     num,
		topic:   Topic(num),
		base:    base,
		ring:    timeline.New(m.capacity, Columns),
		cur:     newSocketSet(),
		spare:   newSocketSet(),
		unowned: make(map[sockstat.Key]struct{}),
		flow:    flow.New(num, m.flowSource(), time.Now()),
		changes: make([]change, 0, 16),
		tick: wire.Tick{
			Type:    wire.TypeTick,
			Port:    num,
			Counts:  wire.Counts{Server: map[string]int{}, Client: map[string]int{}},
			Changes: make([]wire.Change, 0, 16),
		},
	}
}

// dropPort stops watching p; m.mu must be held.
func (m *Monitor) dropPort(p *port) {
	m.lastSeq[p.num] = p.seq()
	delete(m.ports, p.num)
}

// seq is the port's public sequence number of its last poll (base when none).
func (p *port) seq() uint64 { return p.base + p.ring.Last() }

// errPort wraps err with the operation and port.
func errPort(op string, port uint16, err error) error {
	return fmt.Errorf("%s port %d: %w", op, port, err)
}

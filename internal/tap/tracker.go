package tap

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/hist"
	"github.com/connlab/connlab/internal/ring"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// simultaneousWindow: on systems without TCP_INFO, two Close calls this
// close together count as simultaneous.
const simultaneousWindow = 50 * time.Microsecond

// half is one end of a connection as its Conn saw it. Guarded by Tracker.mu.
type half struct {
	present  bool
	conn     *Conn
	openNs   int64          // since the experiment's start
	closeNs  int64          // first Close or CloseWrite; 0 while open
	probed   bool           // state and unread come from the kernel
	state    sockstat.State // TCP state just before that close
	unread   int            // bytes unread in the receive queue then
	idle     bool           // server: ConnState was idle at the close
	teardown bool           // closed by the experiment's teardown
	// lateWrite: this side wrote data after its peer's Close returned (see
	// Tracker.lateWrite).
	lateWrite bool
	saw       saw
	sawNs     int64
}

// Who closed first.
const (
	byNone uint8 = iota
	byServer
	byClient
	bySimultaneous
)

var byNames = [...]string{"", "server", "client", "simultaneous"}

// conn is one connection, paired from its two ends by the client's port.
// Fields without a comment are guarded by Tracker.mu. h is indexed by
// sockstat.Side (h[sockstat.SideNone] is unused).
type conn struct {
	id        uint64
	port      uint16 // the client's port
	h         [3]half
	connectNs int64
	sealed    bool // no server end can arrive any more (listener closed)

	// closed has bit sideBit(s) once side s's Close returned: its
	// socket is gone from the application, and bytes the other side
	// writes from then on reach nobody (read by that side's writes).
	closed    atomic.Uint32
	requests  atomic.Int64  // requests the server served on it
	firstReq  atomic.Int64  // ns since start of the first, 0 none
	lastReq   atomic.Int64  // ns since start of the last
	connState atomic.Uint32 // last http.ConnState + 1 (0: none)

	ended    bool
	endNs    int64
	closedBy uint8
	reset    bool
	resetBy  sockstat.Side
	resetKnw bool // resetBy is known
	tdown    bool // ended by the teardown

	tw     uint8 // bit 1<<side: the kernel showed that side (a sockstat.Side) in TIME_WAIT
	twNs   int64
	twLeft time.Duration

	portReused bool // a later conn of the run took the same client port

	version    uint32 // bumped on every change above
	pubVersion uint32 // version last published
	pubReqs    int64  // requests last published
	inRing     bool
}

// served counts one request the server handled on c; first says it was
// the connection's first.
func (c *conn) served(atNs int64) (first bool) {
	c.requests.Add(1)
	first = c.firstReq.CompareAndSwap(0, atNs)
	c.lastReq.Store(atNs)
	return first
}

// Tracker pairs and follows every connection of one experiment, keeps the
// most recent ones in detail (lanes) and folds every ended one into the
// aggregates. Connection events take mu; requests only touch atomics. Its
// methods are safe for concurrent use.
type Tracker struct {
	start    time.Time
	teardown atomic.Bool  // set when the teardown begins
	srvLive  atomic.Int64 // server conns between ConnState new and closed
	// carried counts the connections that served at least one request,
	// reusedN the requests served on a connection that had served one
	// before (the server's count of reuse); carried + reusedN is every
	// request served. Two counters, each bumped once per request: read
	// together they never go back nor below zero (a difference of two
	// counters bumped one after the other can, briefly).
	carried, reusedN atomic.Int64
	// lastEvent is when a connection last opened or closed (ns since start).
	lastEvent atomic.Int64
	// used has a bit per client port this experiment's conns used, so the
	// kernel observer can ignore sockets of the port's earlier lives (a
	// port freed by one experiment and bound by the next still has the
	// first one's TIME_WAIT for a minute).
	used [65536 / 64]atomic.Uint64

	mu      sync.Mutex
	nextID  uint64
	byPort  map[uint16]*conn // open conns, and ended ones still in the ring
	recent  *ring.Ring[*conn]
	agg     connAgg
	twFirst []*conn // AttributeTimeWait's scratch
}

// connAgg is what every connection, in detail or not, adds up to.
type connAgg struct {
	accepted, dialed, records, ended int
	openServer, openClient, peakOpen int
	closedFirst                      [4]int
	reset, idleClosed, teardown      int
	unused, maxRequests              int
	lifetime                         hist.Hist
	// closeWait: how long the passive side took to close after the first
	// closer (its socket sat in CLOSE_WAIT meanwhile); closeWaitOver counts
	// those longer than CloseWaitLeak.
	closeWait     hist.Hist
	closeWaitOver int
	// teardownBy: connections the teardown closed with a FIN, by who
	// closed first (each leaves a TIME_WAIT on that side, two when both).
	teardownBy [4]int
	// leftCloseWait by side: half-closed connections at the teardown, the
	// peer closed and this side never did (a CLOSE_WAIT leak).
	leftCloseWait [3]int
}

// CloseWaitLeak: a passive side slower than this to close after its peer
// is not a close in progress: it left its socket in CLOSE_WAIT.
const CloseWaitLeak = time.Second

// NewTracker follows the connections of an experiment that started at
// start, keeping the last lanes connections in detail.
func NewTracker(start time.Time, lanes int) *Tracker {
	return &Tracker{start: start, byPort: make(map[uint16]*conn), recent: ring.New[*conn](lanes)}
}

// SinceNs is the time since the experiment's start, in ns.
func (t *Tracker) SinceNs() int64 { return int64(time.Since(t.start)) }

// BeginTeardown says the experiment's teardown begins: closes from now on
// are the teardown's, not the workload's.
//
// Connections half closed then — the peer closed, this side never did —
// count as left in CLOSE_WAIT by that side (the teardown closes them).
func (t *Tracker) BeginTeardown() {
	t.mu.Lock()
	for _, c := range t.byPort {
		s, k := &c.h[sockstat.Server], &c.h[sockstat.Client]
		if !s.present || !k.present || (s.closeNs == 0) == (k.closeNs == 0) {
			continue
		}
		stuck := sockstat.Server
		if k.closeNs == 0 {
			stuck = sockstat.Client
		}
		t.agg.leftCloseWait[stuck]++
	}
	t.mu.Unlock()
	t.teardown.Store(true)
}

// sideBit is side s's bit in conn.closed.
func sideBit(s sockstat.Side) uint32 { return 1 << s }

// peerOf is the other end's side.
func peerOf(s sockstat.Side) sockstat.Side {
	if s == sockstat.Server {
		return sockstat.Client
	}
	return sockstat.Server
}

// lateWrite records that tc's side wrote data after its peer's application
// had closed its socket (a full Close returned, not CloseWrite). Those bytes
// reach a socket nobody will read, and the kernel aborts it with an RST
// (Linux resets a closed socket that receives data). So the peer resets the
// connection, even when both Closes were probed before the RST (a request
// racing the server's idle close: the client's writer sends it while its
// reader, having seen the server's FIN, closes). The Close probes alone
// miss that RST; a connection already ended is corrected here. A write
// that starts while the peer is still inside Close is not counted: the
// peer may still read it (then its close is a FIN), or not (an RST the
// probes see only if the bytes arrived before the probe).
func (t *Tracker) lateWrite(tc *Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := tc.rec
	h := &c.h[tc.side]
	if h.lateWrite {
		return
	}
	h.lateWrite = true
	c.version++
	if c.ended {
		t.resetLocked(c, peerOf(tc.side))
	}
}

// resetLocked marks the ended connection c as reset by by, if it was not.
func (t *Tracker) resetLocked(c *conn, by sockstat.Side) bool {
	if c.reset {
		return false
	}
	c.reset, c.resetBy, c.resetKnw = true, by, by != sockstat.SideNone
	c.version++
	t.agg.reset++
	if c.tdown {
		t.agg.teardownBy[c.closedBy]--
	}
	return true
}

// MarkReset records that the kernel saw connection port end with an RST
// that the Close probes could not see (one sent after both Closes, e.g. in
// reply to data that reached a closed socket). It reports whether an ended
// connection not yet counted as reset had that port.
func (t *Tracker) MarkReset(port uint16) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byPort[port]
	if c == nil || !c.ended {
		return false
	}
	return t.resetLocked(c, sockstat.SideNone)
}

// ServerLive is the number of server conns between ConnState new and closed.
func (t *Tracker) ServerLive() int64 { return t.srvLive.Load() }

func (t *Tracker) markUsed(port uint16) { t.used[port/64].Or(1 << (port % 64)) }

// UsedPort says whether a conn of this experiment had client port port.
func (t *Tracker) UsedPort(port uint16) bool { return t.used[port/64].Load()&(1<<(port%64)) != 0 }

// newConnLocked makes the record for port and puts it in the ring.
func (t *Tracker) newConnLocked(port uint16) *conn {
	t.lastEvent.Store(t.SinceNs())
	t.nextID++
	c := &conn{id: t.nextID, port: port, inRing: true}
	if old, ok := t.recent.Push(c); ok {
		old.inRing = false
		if old.ended && t.byPort[old.port] == old {
			delete(t.byPort, old.port)
		}
	}
	if old := t.byPort[port]; old != nil {
		old.portReused = true // its TIME_WAIT, if any, was taken over
		old.version++
	}
	t.byPort[port] = c
	t.markUsed(port)
	t.agg.records++
	return c
}

func (t *Tracker) tap(nc net.Conn, c *conn, s sockstat.Side) *Conn {
	tc := &Conn{Conn: nc, rec: c, tr: t, side: s, raw: rawConnOf(nc)}
	c.h[s] = half{present: true, conn: tc, openNs: t.SinceNs()}
	c.version++
	return tc
}

// Accepted taps a conn the server's listener accepted.
func (t *Tracker) Accepted(nc net.Conn) *Conn {
	port := PortOf(nc.RemoteAddr())
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byPort[port]
	if c == nil || c.h[sockstat.Server].present || !c.h[sockstat.Client].present || c.sealed {
		c = t.newConnLocked(port)
	}
	t.agg.accepted++
	t.agg.openServer++
	t.agg.peakOpen = max(t.agg.peakOpen, t.agg.openServer)
	return t.tap(nc, c, sockstat.Server)
}

// Dialed taps a conn the client's dialer made; connect is how long the
// dial took.
func (t *Tracker) Dialed(nc net.Conn, connect time.Duration) *Conn {
	port := PortOf(nc.LocalAddr())
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byPort[port]
	if c == nil || c.h[sockstat.Client].present || !c.h[sockstat.Server].present || c.h[sockstat.Server].closeNs != 0 {
		c = t.newConnLocked(port)
	}
	c.connectNs = int64(connect)
	t.agg.dialed++
	t.agg.openClient++
	return t.tap(nc, c, sockstat.Client)
}

// saw records the first error a side hit.
func (t *Tracker) saw(tc *Conn, s saw) {
	now := t.SinceNs()
	t.mu.Lock()
	h := &tc.rec.h[tc.side]
	if h.saw == sawNone {
		h.saw, h.sawNs = s, now
		tc.rec.version++
	}
	t.mu.Unlock()
}

// closing records a side's first close, probing the socket first.
// LastEventNs is when a connection last opened or closed, in ns since the
// experiment's start (0: never).
func (t *Tracker) LastEventNs() int64 { return t.lastEvent.Load() }

func (t *Tracker) closing(tc *Conn) {
	t.lastEvent.Store(t.SinceNs())
	st, unread, ok := probeClose(tc.raw)
	idle := tc.side == sockstat.Server && tc.rec.connState.Load() == uint32(http.StateIdle)+1
	now := t.SinceNs()
	td := t.teardown.Load()
	t.mu.Lock()
	defer t.mu.Unlock()
	c := tc.rec
	h := &c.h[tc.side]
	h.closeNs, h.probed, h.state, h.unread, h.idle, h.teardown = now, ok, st, unread, idle, td
	if tc.side == sockstat.Server {
		t.agg.openServer--
	} else {
		t.agg.openClient--
	}
	c.version++
	t.maybeEndLocked(c, false)
}

// Seal says no server end will be accepted any more for conns not yet
// accepted (the listener closed): they end with their client end.
func (t *Tracker) Seal() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.byPort {
		if !c.h[sockstat.Server].present && !c.sealed {
			c.sealed = true
			t.maybeEndLocked(c, false)
		}
	}
}

// maybeEndLocked ends c once every end that exists (or can still arrive)
// has closed; final ends whatever has closed.
func (t *Tracker) maybeEndLocked(c *conn, final bool) {
	if c.ended {
		return
	}
	s, k := &c.h[sockstat.Server], &c.h[sockstat.Client]
	sDone := s.present && s.closeNs != 0
	kDone := k.present && k.closeNs != 0
	switch {
	case s.present && k.present:
		if !sDone || !kDone {
			return
		}
	case k.present: // never accepted (yet)
		if !kDone || (!c.sealed && !final) {
			return
		}
	case s.present: // not dialed by our client
		if !sDone || !final {
			return
		}
	default:
		return
	}
	c.ended = true
	c.endNs = max(s.closeNs, k.closeNs)
	c.closedBy = firstCloser(s, k)
	c.reset, c.resetBy, c.resetKnw = resetOf(s, k)
	first := s
	if c.closedBy == byClient || (c.closedBy == bySimultaneous && k.closeNs < s.closeNs) || !s.present {
		first = k
	}
	c.tdown = first.teardown
	c.version++

	a := &t.agg
	a.ended++
	if c.tdown {
		a.teardown++
		if !c.reset {
			a.teardownBy[c.closedBy]++
		}
	} else {
		a.closedFirst[c.closedBy]++
		if s.idle && c.closedBy != byClient {
			a.idleClosed++
		}
		if (c.closedBy == byServer || c.closedBy == byClient) && !c.reset && s.present && k.present {
			wait := time.Duration(max(s.closeNs, k.closeNs) - min(s.closeNs, k.closeNs))
			a.closeWait.Add(wait)
			if wait > CloseWaitLeak {
				a.closeWaitOver++
			}
		}
	}
	if c.reset {
		a.reset++
	}
	n := int(c.requests.Load())
	if s.present && n == 0 {
		a.unused++
	}
	a.maxRequests = max(a.maxRequests, n)
	open := s.openNs
	if k.present && (!s.present || k.openNs < open) {
		open = k.openNs
	}
	a.lifetime.Add(time.Duration(c.endNs - open))
	if !c.inRing && t.byPort[c.port] == c {
		delete(t.byPort, c.port)
	}
}

// firstCloser decides who closed first. With the kernel's word (Linux): the
// side whose socket was still ESTABLISHED when it closed sent the first FIN;
// both means the FINs crossed (a simultaneous close). Otherwise the earlier
// Close wins, unless a side saw the peer's EOF or RST before its own Close.
func firstCloser(s, k *half) uint8 {
	sc, kc := s.present && s.closeNs != 0, k.present && k.closeNs != 0
	switch {
	case sc && !kc:
		return byServer
	case kc && !sc:
		return byClient
	case !sc && !kc:
		return byNone
	}
	if s.probed && k.probed {
		sa, ka := s.state == sockstat.Established, k.state == sockstat.Established
		switch {
		case sa && ka:
			return bySimultaneous
		case sa:
			return byServer
		case ka:
			return byClient
		}
	}
	peerFirst := func(h *half) bool { return (h.saw == sawEOF || h.saw == sawReset) && h.sawNs <= h.closeNs }
	switch {
	case peerFirst(s) && !peerFirst(k):
		return byClient
	case peerFirst(k) && !peerFirst(s):
		return byServer
	}
	d := time.Duration(s.closeNs - k.closeNs)
	switch {
	case d.Abs() < simultaneousWindow:
		return bySimultaneous
	case d < 0:
		return byServer
	}
	return byClient
}

// resetOf says whether the connection ended with an RST and, if known, which
// side sent it: a close with unread data sends one; a side that saw
// ECONNRESET/EPIPE, or was already in CLOSE, received one; so does a side
// that wrote after its peer began to close (lateWrite), from the peer.
func resetOf(s, k *half) (reset bool, by sockstat.Side, known bool) {
	switch {
	case s.unread > 0:
		return true, sockstat.Server, true
	case k.unread > 0:
		return true, sockstat.Client, true
	case k.lateWrite: // the client wrote to a server that had closed
		return true, sockstat.Server, true
	case s.lateWrite:
		return true, sockstat.Client, true
	case s.saw == sawReset || (s.probed && s.state == sockstat.Close):
		return true, sockstat.Client, true
	case k.saw == sawReset || (k.probed && k.state == sockstat.Close):
		return true, sockstat.Server, true
	}
	return false, 0, false
}

// AttributeTimeWait marks conns whose 4-tuple the kernel shows in
// TIME_WAIT, on the side that holds it. Only conns that side has closed
// qualify, so a new conn reusing the port is never blamed.
//
// It also settles close races the in-process probe cannot: both ends
// probed ESTABLISHED just before their Close, but the first FIN arrived
// between the later end's probe and its close(2). The kernel then made
// that end the passive closer, and only the other end entered TIME_WAIT;
// a true simultaneous close puts both ends there, so TIME_WAIT on both
// ends makes a close simultaneous whatever the probes said.
func (t *Tracker) AttributeTimeWait(tws []TimeWaitSeen, atNs int64) {
	if len(tws) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	first := t.twFirst[:0]
	for _, tw := range tws {
		c := t.byPort[tw.Port]
		if c == nil || (tw.Side != sockstat.Server && tw.Side != sockstat.Client) || c.h[tw.Side].closeNs == 0 || c.tw&(1<<tw.Side) != 0 {
			continue
		}
		if c.tw == 0 {
			c.twNs, c.twLeft = atNs, tw.Left
			first = append(first, c)
		}
		c.tw |= 1 << tw.Side
		c.version++
		if both := uint8(1<<sockstat.Server | 1<<sockstat.Client); c.tw == both && c.ended && (c.closedBy == byServer || c.closedBy == byClient) {
			// A passive closer never enters TIME_WAIT: both ends there is
			// a simultaneous close, whatever the probes said (both FINs
			// left before either arrived, the second one between its
			// side's probe and its close(2)).
			if !c.tdown {
				t.agg.closedFirst[c.closedBy]--
				t.agg.closedFirst[bySimultaneous]++
			}
			c.closedBy = bySimultaneous
		}
	}
	for _, c := range first {
		if !c.ended || c.closedBy != bySimultaneous || c.tw == 1<<sockstat.Server|1<<sockstat.Client {
			continue
		}
		by := byServer
		if c.tw == 1<<sockstat.Client {
			by = byClient
		}
		c.closedBy = by
		if !c.tdown {
			t.agg.closedFirst[bySimultaneous]--
			t.agg.closedFirst[by]++
		}
	}
	t.twFirst = first[:0]
}

// TimeWaitSeen is one TIME_WAIT socket of a poll.
type TimeWaitSeen struct {
	Port uint16 // the client's port
	Side sockstat.Side
	Left time.Duration // on the TIME_WAIT timer
}

// Finish ends every conn that has closed on the sides it has, at the end.
func (t *Tracker) Finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.byPort {
		t.maybeEndLocked(c, true)
	}
	t.recent.Each(func(c **conn) { t.maybeEndLocked(*c, true) })
}

// OpenConns lists the Conns not closed yet on side s.
func (t *Tracker) OpenConns(s sockstat.Side) []*Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*Conn
	for _, c := range t.byPort {
		if h := &c.h[s]; h.present && h.closeNs == 0 {
			out = append(out, h.conn)
		}
	}
	return out
}

// Open counts the ends not closed yet on side s.
func (t *Tracker) Open(s sockstat.Side) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s == sockstat.Server {
		return t.agg.openServer
	}
	return t.agg.openClient
}

// Ms converts ns to the wire's float milliseconds.
func Ms(ns int64) float64 { return float64(ns) / 1e6 }

// laneLocked renders c for the swimlanes.
func laneLocked(c *conn) wire.Lane {
	s, k := &c.h[sockstat.Server], &c.h[sockstat.Client]
	l := wire.Lane{
		ID:         c.id,
		ClientPort: c.port,
		ConnectMs:  Ms(c.connectNs),
		Dialed:     k.present,
		Accepted:   s.present,
		Requests:   int(c.requests.Load()),
		FirstReqMs: Ms(c.firstReq.Load()),
		LastReqMs:  Ms(c.lastReq.Load()),
		ServerSaw:  sawNames[s.saw],
		ClientSaw:  sawNames[k.saw],
	}
	switch {
	case k.present && s.present:
		l.OpenedMs = Ms(min(k.openNs, s.openNs))
	case k.present:
		l.OpenedMs = Ms(k.openNs)
	default:
		l.OpenedMs = Ms(s.openNs)
	}
	if st := c.connState.Load(); st > 0 {
		l.ServerState = http.ConnState(st - 1).String()
	}
	first := int64(0)
	for _, h := range []*half{s, k} {
		if h.closeNs != 0 && (first == 0 || h.closeNs < first) {
			first = h.closeNs
		}
	}
	l.ClosedMs = Ms(first)
	if c.ended {
		l.ClosedBy = byNames[c.closedBy]
		l.EndedMs = Ms(c.endNs)
		l.End = "fin"
		if c.reset {
			l.End = "rst"
			if c.resetKnw {
				l.ResetBy = c.resetBy.String()
			}
		}
		l.Teardown = c.tdown
		l.IdleClosed = s.idle && c.closedBy != byClient && !c.tdown
	}
	switch c.tw {
	case 1 << sockstat.Server:
		l.TimeWait = "server"
	case 1 << sockstat.Client:
		l.TimeWait = "client"
	case 1<<sockstat.Server | 1<<sockstat.Client:
		l.TimeWait = "both"
	}
	if c.tw != 0 {
		l.TimeWaitMs, l.TimeWaitLeftMs = Ms(c.twNs), float64(c.twLeft)/1e6
	}
	l.PortReused = c.portReused
	return l
}

// Lanes renders every conn in detail, oldest first, and counts every conn.
func (t *Tracker) Lanes() ([]wire.Lane, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]wire.Lane, 0, t.recent.Len())
	t.recent.Each(func(c **conn) { out = append(out, laneLocked(*c)) })
	return out, t.agg.records
}

// ChangedLanes renders the conns changed since the last call (at most
// limit, the most recent) and marks them all published; skipped counts the
// changed ones left out.
func (t *Tracker) ChangedLanes(limit int) (out []wire.Lane, skipped int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var changed []*conn
	t.recent.Each(func(cp **conn) {
		c := *cp
		if reqs := c.requests.Load(); c.version != c.pubVersion || reqs != c.pubReqs {
			c.pubVersion, c.pubReqs = c.version, reqs
			changed = append(changed, c)
		}
	})
	if len(changed) > limit {
		skipped = len(changed) - limit
		changed = changed[skipped:]
	}
	out = make([]wire.Lane, len(changed))
	for i, c := range changed {
		out[i] = laneLocked(c)
	}
	return out, skipped
}

// Connections renders the aggregates.
func (t *Tracker) Connections() wire.ExpConnections {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := &t.agg
	carried, reused := int(t.carried.Load()), int(t.reusedN.Load())
	return wire.ExpConnections{
		Opened: a.accepted,
		Dialed: a.dialed,
		Open:   a.records - a.ended,
		Reset:  a.reset,
		ClosedFirst: wire.ClosedFirst{
			Server:       a.closedFirst[byServer],
			Client:       a.closedFirst[byClient],
			Simultaneous: a.closedFirst[bySimultaneous],
		},
		ServerIdleClosed:   a.idleClosed,
		Teardown:           a.teardown,
		Unused:             a.unused,
		MaxRequestsPerConn: a.maxRequests,
		PeakOpen:           a.peakOpen,
		MedianLifetimeMs:   a.lifetime.QuantileMs(0.5),
		Carried:            carried,
		ReusedRequests:     reused,
		ServedRequests:     carried + reused,
		CloseWaitMedianMs:  a.closeWait.QuantileMs(0.5),
		CloseWaitMaxMs:     a.closeWait.MaxMs(),
		CloseWaitOver:      a.closeWaitOver,
		LeftInCloseWait:    wire.SidePair{Server: a.leftCloseWait[sockstat.Server], Client: a.leftCloseWait[sockstat.Client]},
		TeardownTimeWait: wire.SidePair{
			Server: a.teardownBy[byServer] + a.teardownBy[bySimultaneous],
			Client: a.teardownBy[byClient] + a.teardownBy[bySimultaneous],
		},
	}
}

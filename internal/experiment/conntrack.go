package experiment

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// half is one end of a connection as its tapConn saw it. Guarded by tracker.mu.
type half struct {
	present  bool
	conn     *tapConn
	openNs   int64    // since the experiment's start
	closeNs  int64    // first Close or CloseWrite; 0 while open
	probed   bool     // state and unread come from the kernel
	state    tcpState // TCP state just before that close
	unread   int      // bytes unread in the receive queue then
	idle     bool     // server: ConnState was idle at the close
	teardown bool     // closed by the experiment's teardown
	saw      saw
	sawNs    int64
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
// Fields without a comment are guarded by tracker.mu.
type conn struct {
	id        uint64
	port      uint16 // the client's port
	h         [2]half
	connectNs int64
	sealed    bool // no server end can arrive any more (listener closed)

	requests  atomic.Int64  // requests the server served on it
	firstReq  atomic.Int64  // ns since start of the first, 0 none
	lastReq   atomic.Int64  // ns since start of the last
	connState atomic.Uint32 // last http.ConnState + 1 (0: none)

	ended    bool
	endNs    int64
	closedBy uint8
	reset    bool
	resetBy  side
	resetKnw bool // resetBy is known
	tdown    bool // ended by the teardown

	tw     uint8 // bit 1<<side: the kernel showed that side in TIME_WAIT
	twNs   int64
	twLeft time.Duration

	portReused bool // a later conn of the run took the same client port

	version    uint32 // bumped on every change above
	pubVersion uint32 // version last published
	pubReqs    int64  // requests last published
	inRing     bool
}

// served counts one request the server handled on c.
func (c *conn) served(atNs int64) {
	c.requests.Add(1)
	c.firstReq.CompareAndSwap(0, atNs)
	c.lastReq.Store(atNs)
}

// tracker pairs and follows every connection of one experiment, keeps the
// most recent laneDetail in detail and folds every ended one into the
// aggregates. Connection events take mu; requests only touch atomics.
type tracker struct {
	start    time.Time
	teardown atomic.Bool  // set when the teardown begins
	srvLive  atomic.Int64 // server conns between ConnState new and closed
	// used has a bit per client port this experiment's conns used, so the
	// kernel observer can ignore sockets of the port's earlier lives (a
	// port freed by one experiment and bound by the next still has the
	// first one's TIME_WAIT for a minute).
	used [65536 / 64]atomic.Uint64

	mu      sync.Mutex
	nextID  uint64
	byPort  map[uint16]*conn // open conns, and ended ones still in the ring
	recent  *ring[*conn]
	agg     connAgg
	twFirst []*conn // attributeTimeWait's scratch
}

// connAgg is what every connection, in detail or not, adds up to.
type connAgg struct {
	accepted, dialed, records, ended int
	openServer, openClient, peakOpen int
	closedFirst                      [4]int
	reset, idleClosed, teardown      int
	unused, maxRequests              int
	lifetime                         hist
}

func newTracker(start time.Time) *tracker {
	return &tracker{start: start, byPort: make(map[uint16]*conn), recent: newRing[*conn](laneDetail)}
}

func (t *tracker) sinceNs() int64 { return int64(time.Since(t.start)) }

func (t *tracker) markUsed(port uint16) { t.used[port/64].Or(1 << (port % 64)) }

// usedPort says whether a conn of this experiment had client port port.
func (t *tracker) usedPort(port uint16) bool { return t.used[port/64].Load()&(1<<(port%64)) != 0 }

// newConnLocked makes the record for port and puts it in the ring.
func (t *tracker) newConnLocked(port uint16) *conn {
	t.nextID++
	c := &conn{id: t.nextID, port: port, inRing: true}
	if old, ok := t.recent.push(c); ok {
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

func (t *tracker) tap(nc net.Conn, c *conn, s side) *tapConn {
	tc := &tapConn{Conn: nc, rec: c, tr: t, side: s, raw: rawConnOf(nc)}
	c.h[s] = half{present: true, conn: tc, openNs: t.sinceNs()}
	c.version++
	return tc
}

// accepted taps a conn the server's listener accepted.
func (t *tracker) accepted(nc net.Conn) *tapConn {
	port := portOf(nc.RemoteAddr())
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byPort[port]
	if c == nil || c.h[sideServer].present || !c.h[sideClient].present || c.sealed {
		c = t.newConnLocked(port)
	}
	t.agg.accepted++
	t.agg.openServer++
	t.agg.peakOpen = max(t.agg.peakOpen, t.agg.openServer)
	return t.tap(nc, c, sideServer)
}

// dialed taps a conn the client's dialer made.
func (t *tracker) dialed(nc net.Conn, connect time.Duration) *tapConn {
	port := portOf(nc.LocalAddr())
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byPort[port]
	if c == nil || c.h[sideClient].present || !c.h[sideServer].present || c.h[sideServer].closeNs != 0 {
		c = t.newConnLocked(port)
	}
	c.connectNs = int64(connect)
	t.agg.dialed++
	t.agg.openClient++
	return t.tap(nc, c, sideClient)
}

// saw records the first error a side hit.
func (t *tracker) saw(tc *tapConn, s saw) {
	now := t.sinceNs()
	t.mu.Lock()
	h := &tc.rec.h[tc.side]
	if h.saw == sawNone {
		h.saw, h.sawNs = s, now
		tc.rec.version++
	}
	t.mu.Unlock()
}

// closing records a side's first close, probing the socket first.
func (t *tracker) closing(tc *tapConn) {
	st, unread, ok := probeClose(tc.raw)
	idle := tc.side == sideServer && tc.rec.connState.Load() == uint32(http.StateIdle)+1
	now := t.sinceNs()
	td := t.teardown.Load()
	t.mu.Lock()
	defer t.mu.Unlock()
	c := tc.rec
	h := &c.h[tc.side]
	h.closeNs, h.probed, h.state, h.unread, h.idle, h.teardown = now, ok, st, unread, idle, td
	if tc.side == sideServer {
		t.agg.openServer--
	} else {
		t.agg.openClient--
	}
	c.version++
	t.maybeEndLocked(c, false)
}

// seal says no server end will be accepted any more for conns not yet
// accepted (the listener closed): they end with their client end.
func (t *tracker) seal() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.byPort {
		if !c.h[sideServer].present && !c.sealed {
			c.sealed = true
			t.maybeEndLocked(c, false)
		}
	}
}

// maybeEndLocked ends c once every end that exists (or can still arrive)
// has closed; final ends whatever has closed.
func (t *tracker) maybeEndLocked(c *conn, final bool) {
	if c.ended {
		return
	}
	s, k := &c.h[sideServer], &c.h[sideClient]
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
	} else {
		a.closedFirst[c.closedBy]++
		if s.idle && c.closedBy != byClient {
			a.idleClosed++
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
	a.lifetime.add(time.Duration(c.endNs - open))
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
		sa, ka := s.state == tcpEstablished, k.state == tcpEstablished
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
// ECONNRESET/EPIPE, or was already in CLOSE, received one.
func resetOf(s, k *half) (reset bool, by side, known bool) {
	switch {
	case s.unread > 0:
		return true, sideServer, true
	case k.unread > 0:
		return true, sideClient, true
	case s.saw == sawReset || (s.probed && s.state == tcpClose):
		return true, sideClient, true
	case k.saw == sawReset || (k.probed && k.state == tcpClose):
		return true, sideServer, true
	}
	return false, 0, false
}

// attributeTimeWait marks conns whose 4-tuple the kernel shows in
// TIME_WAIT, on the side that holds it. Only conns that side has closed
// qualify, so a new conn reusing the port is never blamed.
//
// It also settles close races the in-process probe cannot: both ends
// probed ESTABLISHED just before their Close, but the first FIN arrived
// between the later end's probe and its close(2). The kernel then made
// that end the passive closer, and only the other end entered TIME_WAIT;
// a true simultaneous close puts both ends there.
func (t *tracker) attributeTimeWait(tws []twSeen, atNs int64) {
	if len(tws) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	first := t.twFirst[:0]
	for _, tw := range tws {
		c := t.byPort[tw.port]
		if c == nil || c.h[tw.side].closeNs == 0 || c.tw&(1<<tw.side) != 0 {
			continue
		}
		if c.tw == 0 {
			c.twNs, c.twLeft = atNs, tw.left
			first = append(first, c)
		}
		c.tw |= 1 << tw.side
		c.version++
	}
	for _, c := range first {
		if !c.ended || c.closedBy != bySimultaneous || c.tw == 1<<sideServer|1<<sideClient {
			continue
		}
		by := byServer
		if c.tw == 1<<sideClient {
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

// twSeen is one TIME_WAIT socket of a poll.
type twSeen struct {
	port uint16 // the client's port
	side side
	left time.Duration
}

// finish ends every conn that has closed on the sides it has, at the end.
func (t *tracker) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.byPort {
		t.maybeEndLocked(c, true)
	}
	t.recent.each(func(c **conn) { t.maybeEndLocked(*c, true) })
}

// openConns lists the tapConns not closed yet on side s.
func (t *tracker) openConns(s side) []*tapConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*tapConn
	for _, c := range t.byPort {
		if h := &c.h[s]; h.present && h.closeNs == 0 {
			out = append(out, h.conn)
		}
	}
	return out
}

// open counts the ends not closed yet on side s.
func (t *tracker) open(s side) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s == sideServer {
		return t.agg.openServer
	}
	return t.agg.openClient
}

func msOf(ns int64) float64 { return float64(ns) / 1e6 }

// laneLocked renders c for the swimlanes.
func laneLocked(c *conn) wire.Lane {
	s, k := &c.h[sideServer], &c.h[sideClient]
	l := wire.Lane{
		ID:         c.id,
		ClientPort: c.port,
		ConnectMs:  msOf(c.connectNs),
		Dialed:     k.present,
		Accepted:   s.present,
		Requests:   int(c.requests.Load()),
		FirstReqMs: msOf(c.firstReq.Load()),
		LastReqMs:  msOf(c.lastReq.Load()),
		ServerSaw:  sawNames[s.saw],
		ClientSaw:  sawNames[k.saw],
	}
	switch {
	case k.present && s.present:
		l.OpenedMs = msOf(min(k.openNs, s.openNs))
	case k.present:
		l.OpenedMs = msOf(k.openNs)
	default:
		l.OpenedMs = msOf(s.openNs)
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
	l.ClosedMs = msOf(first)
	if c.ended {
		l.ClosedBy = byNames[c.closedBy]
		l.EndedMs = msOf(c.endNs)
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
	case 1 << sideServer:
		l.TimeWait = "server"
	case 1 << sideClient:
		l.TimeWait = "client"
	case 1<<sideServer | 1<<sideClient:
		l.TimeWait = "both"
	}
	if c.tw != 0 {
		l.TimeWaitMs, l.TimeWaitLeftMs = msOf(c.twNs), float64(c.twLeft)/1e6
	}
	l.PortReused = c.portReused
	return l
}

// lanes renders every conn in detail, oldest first.
func (t *tracker) lanes() ([]wire.Lane, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]wire.Lane, 0, t.recent.len())
	t.recent.each(func(c **conn) { out = append(out, laneLocked(*c)) })
	return out, t.agg.records
}

// changedLanes renders the conns changed since the last call (at most
// limit, the most recent) and marks them all published; skipped counts the
// changed ones left out.
func (t *tracker) changedLanes(limit int) (out []wire.Lane, skipped int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var changed []*conn
	t.recent.each(func(cp **conn) {
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

// connections renders the aggregates.
func (t *tracker) connections() wire.ExpConnections {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := &t.agg
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
		MedianLifetimeMs:   a.lifetime.quantileMs(0.5),
	}
}

package monitor

import (
	"encoding/json"
	"math"
	"slices"
	"time"

	"github.com/connlab/connlab/internal/flow"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// poller is the state only the poll goroutine touches: buffers reused from
// one poll to the next so that a steady workload stops allocating for them.
type poller struct {
	buf   []sockstat.Socket // the sample
	list  []*port           // ports of this poll, by number
	nums  []uint16          // their numbers, for the sampler
	byNum map[uint16]*port  // number -> port of this poll
	row   []int32           // one timeline row
	calls []obsCall         // observers to call after unlocking

	errFirst      time.Time // start of the current run of sample errors
	errLogged     time.Time // last time a sample error was logged
	errSuppressed int       // errors not logged since errLogged
}

// obsCall is one Observer call prepared under the lock.
type obsCall struct {
	h       *hold
	tally   Tally
	sockets []sockstat.Socket
}

// poll samples every watched port once and publishes a tick for each.
func (m *Monitor) poll() {
	m.mu.Lock()
	m.list = m.list[:0]
	for _, p := range m.ports {
		m.list = append(m.list, p)
	}
	m.mu.Unlock()
	slices.SortFunc(m.list, func(a, b *port) int { return int(a.num) - int(b.num) })
	m.nums = m.nums[:0]
	clear(m.byNum)
	for _, p := range m.list {
		m.nums = append(m.nums, p.num)
		m.byNum[p.num] = p
	}
	if m.ev != nil {
		m.setEventPorts(m.nums)
	}
	if len(m.list) == 0 {
		return
	}

	start := time.Now()
	buf, err := m.s.Sample(m.nums, m.buf[:0])
	m.buf = buf[:0]
	if m.onPoll != nil {
		m.onPoll(time.Since(start), err)
	}
	if err != nil {
		m.sampleFailed(err)
		return
	}
	m.sampleOK()
	at := time.Now()

	// Split the sample by port, outside the lock: spare sets are the poll
	// goroutine's own. A socket between two watched ports goes to both.
	for _, p := range m.list {
		p.spare.reset()
	}
	for i := range buf {
		s := &buf[i]
		lp, rp := s.Local.Port(), s.Remote.Port()
		if p := m.byNum[lp]; p != nil {
			p.spare.add(s)
		}
		if p := m.byNum[rp]; p != nil && rp != lp {
			p.spare.add(s)
		}
	}

	m.calls = m.calls[:0]
	m.mu.Lock()
	m.source = m.s.Source()
	for _, p := range m.list {
		if m.ports[p.num] != p { // removed (or replaced) since the poll began
			continue
		}
		m.tickPort(p, at)
		for _, h := range p.holds {
			m.calls = append(m.calls, obsCall{h: h, tally: p.tally, sockets: p.cur.list})
		}
	}
	m.mu.Unlock()

	for i := range m.calls {
		c := &m.calls[i]
		c.h.observe(at, &c.tally, c.sockets)
		c.sockets = nil // don't pin the set's array until the next poll
	}
}

// tickPort folds p.spare (this poll's sockets) into p and publishes the
// tick. m.mu must be held: publishing under it orders ticks with Subscribe.
func (m *Monitor) tickPort(p *port, at time.Time) {
	p.snap = nil // a new poll: the next subscriber gets a fresh snapshot
	var t Tally
	for i := range p.spare.list {
		s := &p.spare.list[i]
		t.Add(sockstat.SideOf(s, p.num), s.State)
	}
	listened := m.aud == nil || m.aud.Subscribers(p.topic) > 0
	// The flow counts from polls need every change, listened or not.
	if listened || p.flow.Source() == flow.SourcePolls {
		p.changes, _ = diff(p.cur, p.spare, p.changes[:0], math.MaxInt)
		p.feedFlow(at)
	}
	total := len(p.changes)

	tick := &p.tick
	tick.Changes = tick.Changes[:0]
	for _, c := range p.changes[:min(total, wire.ChangesLimit)] {
		wc := wire.Change{Kind: c.Kind.String(), Socket: toWireSocket(c.Socket, sockstat.SideOf(c.Socket, p.num), m.owners)}
		if c.Kind != Opened {
			wc.From = c.From.String()
		} else if m.owners != nil && wc.Socket.Process == "" && len(p.unowned) < maxUnowned {
			p.unowned[c.Socket.Key()] = struct{}{} // named by a later tick (ownersLearned)
		}
		tick.Changes = append(tick.Changes, wc)
	}
	// Drop the pointers into the sets and the entries with them: a cleared
	// but untruncated slice would be walked again by the next unlistened
	// tick, whose diff does not refill it (nil sockets: the crash of #6).
	clear(p.changes)
	p.changes = p.changes[:0]

	p.cur, p.spare = p.spare, p.cur
	if listened {
		tick.Changes = m.ownersLearned(p, tick.Changes)
	}
	p.tally = t
	p.at = at
	m.row = t.Row(m.row[:0])
	p.ring.Append(at.UnixMilli(), m.row)

	if !listened {
		// Nobody to tell; a subscriber starts from a snapshot, which notes
		// its own unowned sockets again: keep no state for nobody.
		clear(p.unowned)
		return
	}
	tick.Seq = p.seq()
	tick.At = at.UnixMilli()
	t.fillCounts(&tick.Counts)
	tick.Truncated = total > len(tick.Changes)
	tick.Flow = m.flowOf(p, at)
	msg, err := json.Marshal(tick)
	clear(tick.Changes) // drop the strings until the next poll
	tick.Changes = tick.Changes[:0]
	if err != nil {
		m.log.Error("monitor: encode tick", "port", p.num, "err", err)
		return
	}
	m.pub.Publish(p.topic, msg)
}

// ownersLearned appends a "changed" change (From: its unchanged state) for
// every socket of p.unowned whose owner the background pass has resolved
// since, and forgets the sockets that are gone. m.mu must be held.
func (m *Monitor) ownersLearned(p *port, changes []wire.Change) []wire.Change {
	for k := range p.unowned {
		i, ok := p.cur.idx[k]
		if !ok {
			delete(p.unowned, k)
			continue
		}
		if len(changes) >= wire.ChangesLimit {
			break // the rest are reported on a later poll
		}
		s := &p.cur.list[i]
		if _, _, ok := m.owners.Lookup(s); !ok {
			continue // still unknown: render nothing (owners of other users' sockets may never resolve)
		}
		w := toWireSocket(s, sockstat.SideOf(s, p.num), m.owners)
		changes = append(changes, wire.Change{Kind: Changed.String(), Socket: w, From: w.State})
		delete(p.unowned, k)
	}
	return changes
}

// observe calls the hold's observer unless it was released.
func (h *hold) observe(at time.Time, t *Tally, sockets []sockstat.Socket) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.released {
		h.obs(at, t, sockets)
	}
}

// sampleFailed logs err at most once per errLogEvery, counting the rest.
func (m *Monitor) sampleFailed(err error) {
	now := time.Now()
	if m.errFirst.IsZero() {
		m.errFirst = now
	}
	if !m.errLogged.IsZero() && now.Sub(m.errLogged) < errLogEvery {
		m.errSuppressed++
		return
	}
	m.log.Warn("monitor: sample failed", "err", err, "suppressed", m.errSuppressed, "failing_for", now.Sub(m.errFirst).Round(time.Millisecond))
	m.errLogged, m.errSuppressed = now, 0
}

// sampleOK ends a run of sample errors.
func (m *Monitor) sampleOK() {
	if m.errFirst.IsZero() {
		return
	}
	m.log.Info("monitor: sampling recovered", "failed_for", time.Since(m.errFirst).Round(time.Millisecond), "suppressed", m.errSuppressed)
	m.errFirst, m.errLogged, m.errSuppressed = time.Time{}, time.Time{}, 0
}

package monitor

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// Add watches port on behalf of the user. Errors: ErrInvalidPort (0),
// ErrExists (already added), ErrLimit (MaxPorts reached). Adding a port that
// a Lab experiment holds makes it the user's too: it stays watched after the
// experiment ends. The port is sampled promptly, not after a whole interval.
func (m *Monitor) Add(port uint16) error {
	if port == 0 {
		return errPort("watch", port, ErrInvalidPort)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[port]
	switch {
	case p != nil && p.user:
		return errPort("watch", port, ErrExists)
	case m.nUser >= m.maxPorts:
		return errPort("watch", port, fmt.Errorf("%w (at most %d)", ErrLimit, m.maxPorts))
	}
	if p == nil {
		p = m.newPort(port)
		m.ports[port] = p
		m.kick()
	}
	p.user = true
	m.nUser++
	m.publishPorts()
	return nil
}

// Remove stops watching port. Errors: ErrNotWatched, ErrHeld (a Lab
// experiment holds it; remove it once the experiment has ended).
func (m *Monitor) Remove(port uint16) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[port]
	switch {
	case p == nil:
		return errPort("unwatch", port, ErrNotWatched)
	case len(p.holds) > 0:
		return errPort("unwatch", port, fmt.Errorf("%w %s", ErrHeld, p.holds[0].owner))
	}
	p.user = false
	m.nUser--
	m.dropPort(p)
	m.publishPorts()
	return nil
}

// Hold watches port for a Lab experiment named owner until release is
// called. A held port does not count against MaxPorts, is listed by Ports
// with Experiment set to owner, and Remove refuses it (ErrHeld). obs, if not
// nil, is called for every poll of the port (see Observer). release is
// idempotent; once it returns obs is not running and will not be called
// again (so release must not be called from inside obs). The port stops
// being watched when its last hold is released, unless the user added it.
func (m *Monitor) Hold(port uint16, owner string, obs Observer) (release func(), err error) {
	if port == 0 {
		return nil, errPort("hold", port, ErrInvalidPort)
	}
	if obs == nil {
		obs = func(time.Time, *Tally, []sockstat.Socket) {}
	}
	h := &hold{owner: owner, obs: obs}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nHolds >= maxHolds {
		return nil, errPort("hold", port, fmt.Errorf("%w: %d lab holds active", ErrLimit, m.nHolds))
	}
	p := m.ports[port]
	if p == nil {
		p = m.newPort(port)
		m.ports[port] = p
		m.kick()
	}
	p.holds = append(p.holds, h)
	p.snap = nil // the snapshot names the experiment
	m.nHolds++
	m.publishPorts()
	var once sync.Once
	return func() { once.Do(func() { m.release(p, h) }) }, nil
}

// release ends hold h on p.
func (m *Monitor) release(p *port, h *hold) {
	h.mu.Lock() // waits for a running observer call
	h.released = true
	h.mu.Unlock()

	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.Index(p.holds, h)
	if i < 0 {
		return
	}
	p.holds = slices.Delete(p.holds, i, i+1)
	p.snap = nil
	m.nHolds--
	if len(p.holds) == 0 && !p.user && m.ports[p.num] == p {
		m.dropPort(p)
	}
	m.publishPorts()
}

// UserPorts lists the ports added with Add (not those only a Lab
// experiment holds), sorted by number.
func (m *Monitor) UserPorts() []uint16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []uint16
	for n, p := range m.ports {
		if p.user {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Ports lists the watched ports, sorted by number, with their counts at
// the last poll.
func (m *Monitor) Ports() []wire.PortStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.portsLocked()
}

func (m *Monitor) portsLocked() []wire.PortStatus {
	nums := slices.Sorted(maps.Keys(m.ports))
	out := make([]wire.PortStatus, 0, len(nums))
	for _, n := range nums {
		out = append(out, m.status(m.ports[n]))
	}
	return out
}

// Status is one watched port's counts at the last poll (At is "" before
// the first). Error: ErrNotWatched.
func (m *Monitor) Status(port uint16) (wire.PortStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[port]
	if p == nil {
		return wire.PortStatus{}, errPort("status of", port, ErrNotWatched)
	}
	st := m.status(p)
	st.Flow = m.flowOf(p, time.Now())
	return st, nil
}

// status renders p; m.mu must be held.
func (m *Monitor) status(p *port) wire.PortStatus {
	st := wire.PortStatus{Port: p.num, Source: m.source, At: rfc3339(p.at), Counts: p.tally.Counts()}
	if len(p.holds) > 0 {
		st.Experiment = p.holds[0].owner
	}
	return st
}

// Sockets lists a watched port's sockets at the last poll: server side
// first, then by state, local and remote address. Error: ErrNotWatched.
func (m *Monitor) Sockets(port uint16) ([]wire.Socket, error) {
	m.mu.Lock()
	p := m.ports[port]
	if p == nil {
		m.mu.Unlock()
		return nil, errPort("sockets of", port, ErrNotWatched)
	}
	socks := slices.Clone(p.cur.list)
	m.mu.Unlock()
	out, _ := m.wireSockets(socks, port, len(socks))
	return out, nil
}

// wireSockets sorts socks (which the caller owns) and renders at most
// limit. It needs no lock. unowned lists the rendered sockets whose owner
// is not known yet (nil without an owner pass).
func (m *Monitor) wireSockets(socks []sockstat.Socket, port uint16, limit int) (out []wire.Socket, unowned []sockstat.Key) {
	sortSockets(socks, port)
	out = make([]wire.Socket, 0, min(len(socks), limit))
	for i := range socks[:min(len(socks), limit)] {
		w := toWireSocket(&socks[i], sockstat.SideOf(&socks[i], port), m.owners)
		if m.owners != nil && w.Process == "" {
			unowned = append(unowned, socks[i].Key())
		}
		out = append(out, w)
	}
	return out, unowned
}

// Timeline copies out a watched port's timeline rows with seq > since (all
// that are held when since is older than the oldest). Error: ErrNotWatched.
func (m *Monitor) Timeline(port uint16, since uint64) (wire.Timeline, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[port]
	if p == nil {
		return wire.Timeline{}, errPort("timeline of", port, ErrNotWatched)
	}
	return p.timeline(since), nil
}

// timeline renders p's rows after since; m.mu must be held.
func (p *port) timeline(since uint64) wire.Timeline {
	ringSince := uint64(0)
	if since > p.base {
		ringSince = since - p.base
	}
	seq0, last, t, cols := p.ring.Since(ringSince)
	return TimelineOf(p.num, p.base+seq0, p.base+last, t, cols)
}

// Subscribe joins a subscriber to port's ticks and hands it a wire.Snapshot
// (counts, sockets up to wire.SnapshotLimit, the whole timeline) that the
// ticks continue without a gap or a duplicate.
//
// reserve is called under the lock under which ticks are published: there
// the caller reserves its place in the port's topic (hub.Reserve), so every
// later tick is held for it; reserve returns false when the subscriber is
// already joined, and Subscribe then does nothing more. The state is copied
// under the lock; the snapshot is rendered and encoded after releasing it
// (a large one takes milliseconds the poll loop must not wait for), then
// passed to fill (hub.Fill), which queues it ahead of the held ticks. So the
// subscriber receives the snapshot at seq N followed by exactly the ticks
// N+1, N+2, ... reserve must not block nor call the Monitor. When Subscribe
// fails after reserve returned true, fill is not called and the caller
// leaves the topic. Error: ErrNotWatched.
func (m *Monitor) Subscribe(port uint16, reserve func() bool, fill func(snapshot []byte)) error {
	m.mu.Lock()
	p := m.ports[port]
	if p == nil {
		m.mu.Unlock()
		return errPort("subscribe to", port, ErrNotWatched)
	}
	if !reserve() {
		m.mu.Unlock()
		return nil
	}
	if msg := p.snap; msg != nil {
		// Encoded for another subscriber since the last poll: the same
		// bytes (a flood of subscribes costs one encoding per poll).
		m.mu.Unlock()
		fill(msg)
		return nil
	}
	snap := wire.Snapshot{
		Type:         wire.TypeSnapshot,
		Port:         port,
		Seq:          p.seq(),
		At:           unixMs(p.at),
		Source:       m.source,
		Counts:       p.tally.Counts(),
		SocketsTotal: len(p.cur.list),
		Timeline:     p.timeline(0),
		Flow:         m.flowOf(p, time.Now()),
	}
	if len(p.holds) > 0 {
		snap.Experiment = p.holds[0].owner
	}
	socks := slices.Clone(p.cur.list)
	m.mu.Unlock()

	var unowned []sockstat.Key
	snap.Sockets, unowned = m.wireSockets(socks, port, wire.SnapshotLimit)
	m.noteUnowned(p, unowned)
	msg, err := json.Marshal(&snap)
	if err != nil {
		return errPort("encode snapshot of", port, err)
	}
	m.mu.Lock()
	if m.ports[port] == p && p.seq() == snap.Seq {
		p.snap = msg // until the next poll
	}
	m.mu.Unlock()
	fill(msg)
	return nil
}

// noteUnowned remembers sockets a subscriber was shown without their owner,
// so a later tick names it once the owner pass has (see ownersLearned).
func (m *Monitor) noteUnowned(p *port, keys []sockstat.Key) {
	if len(keys) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ports[p.num] != p {
		return
	}
	for _, k := range keys {
		if len(p.unowned) >= maxUnowned {
			return
		}
		p.unowned[k] = struct{}{}
	}
}

// SubscribePorts encodes the watched set as a wire.Ports message and calls
// fn with it under the lock under which changes to the set are published on
// PortsTopic, so a caller that joins PortsTopic inside fn misses no change.
// fn must not block and must not call the Monitor.
func (m *Monitor) SubscribePorts(fn func(ports []byte)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	msg, err := json.Marshal(&wire.Ports{Type: wire.TypePorts, Ports: m.portsLocked()})
	if err != nil {
		return fmt.Errorf("encode ports: %w", err)
	}
	fn(msg)
	return nil
}

// publishPorts announces the watched set on PortsTopic; m.mu must be held.
func (m *Monitor) publishPorts() {
	msg, err := json.Marshal(&wire.Ports{Type: wire.TypePorts, Ports: m.portsLocked()})
	if err != nil {
		m.log.Error("monitor: encode ports", "err", err)
		return
	}
	m.pub.Publish(PortsTopic, msg)
}

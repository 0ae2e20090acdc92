package lab

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/tap"
	"github.com/connlab/connlab/internal/timeline"
	"github.com/connlab/connlab/internal/wire"
)

// Kernel lends an experiment the kernel's view of its port for its whole
// life (*monitor.Monitor satisfies it). obs is called on the monitor's poll
// goroutine for every poll of port until release.
type Kernel interface {
	Hold(port uint16, owner string, obs monitor.Observer) (release func(), err error)
	Source() string
}

// flowKernel is a Kernel that also follows connections from the kernel's
// transitions (*monitor.Monitor does, with eBPF): its view of resets the
// Close probes cannot see is taken into the lanes.
type flowKernel interface {
	Connections(port uint16) (wire.FlowConns, error)
}

// timeWaitLen is how long Linux keeps a socket in TIME_WAIT (TCP_TIMEWAIT_LEN).
const timeWaitLen = 60 * time.Second

// sides are the two sides of the port, in the order of the peaks' arrays.
var sides = [2]sockstat.Side{sockstat.Server, sockstat.Client}

// kernelState is what the polls of the experiment's port showed: one row
// per poll in a timeline ring (the Watch view's layout: monitor.Tally),
// and peaks. The observer runs on the poll goroutine; readers take mu.
type kernelState struct {
	port    uint16
	start   time.Time
	tr      *tap.Tracker
	source  string
	frozen  atomic.Bool        // the teardown began: its closes are not evidence
	tws     []tap.TimeWaitSeen // poll goroutine only: scratch
	lastAt  time.Time          // poll goroutine only: the previous poll
	prevGap time.Duration      // poll goroutine only: the gap before the previous poll
	row     []int32            // poll goroutine only: scratch

	mu        sync.Mutex
	polls     int
	rows      *timeline.Ring // seq = poll number
	last      monitor.Tally
	twPeak    [2]int // by sides
	estPeak   [2]int
	cwPeak    [2]int
	kaPeak    [2]int
	kaTotal   int // most keepalive timers at once, both sides
	kaMin     [2]time.Duration
	lastPoll  time.Time // time of the last poll observed
	workEnd   time.Time // zero while the workload runs
	twLastNZ  time.Time // last poll after workEnd with TIME_WAIT > 0
	twDrained time.Time // first poll after that with none
}

func newKernelState(port uint16, start time.Time, tr *tap.Tracker, source string) *kernelState {
	return &kernelState{port: port, start: start, tr: tr, source: source, rows: timeline.New(timelineRows, monitor.Columns)}
}

// observe is the monitor.Observer: it must not block nor keep socks.
func (k *kernelState) observe(at time.Time, _ *monitor.Tally, socks []sockstat.Socket) {
	if k.frozen.Load() {
		return
	}
	var t monitor.Tally
	var ka [2]int
	var kaMin [2]time.Duration
	tws := k.tws[:0]
	// Only TIME_WAIT sockets that entered it since the previous poll need
	// attributing: their timer shows (almost) the full 60 s. This keeps a
	// poll cheap when hundreds of thousands sit in TIME_WAIT. at is taken
	// when a sample returns, and a sample can take long on a loaded
	// machine: a socket that entered TIME_WAIT while the previous sample
	// ran was not in it, so the window reaches back one gap further.
	fresh := time.Duration(0)
	if !k.lastAt.IsZero() {
		gap := at.Sub(k.lastAt)
		fresh = timeWaitLen - gap - k.prevGap - time.Second
		k.prevGap = gap
	}
	k.lastAt = at
	for i := range socks {
		s := &socks[i]
		side := sockstat.SideOf(s, k.port)
		if side == sockstat.SideNone {
			continue
		}
		st := s.State.Canonical()
		port := s.Remote.Port() // the client's port
		if side == sockstat.Client {
			port = s.Local.Port()
		}
		if st != sockstat.Listen && !k.tr.UsedPort(port) {
			continue // not ours: an earlier life of the port, or a stranger
		}
		t.Add(side, st)
		si := side - 1 // index in sides
		if s.Timer == sockstat.TimerKeepalive {
			ka[si]++
			if kaMin[si] == 0 || s.Expires < kaMin[si] {
				kaMin[si] = s.Expires
			}
		}
		if st == sockstat.TimeWait && (s.Expires == 0 || s.Expires >= fresh) {
			tws = append(tws, tap.TimeWaitSeen{Port: port, Side: side, Left: s.Expires})
		}
	}
	k.tws = tws
	k.row = t.Row(k.row[:0])

	k.mu.Lock()
	k.polls++
	k.lastPoll = at
	k.rows.Append(at.UnixMilli(), k.row)
	k.last = t
	for si, side := range sides {
		k.twPeak[si] = max(k.twPeak[si], t.Get(side, sockstat.TimeWait))
		k.estPeak[si] = max(k.estPeak[si], t.Get(side, sockstat.Established))
		k.cwPeak[si] = max(k.cwPeak[si], t.Get(side, sockstat.CloseWait))
		k.kaPeak[si] = max(k.kaPeak[si], ka[si])
		if kaMin[si] > 0 && (k.kaMin[si] == 0 || kaMin[si] < k.kaMin[si]) {
			k.kaMin[si] = kaMin[si]
		}
	}
	k.kaTotal = max(k.kaTotal, ka[0]+ka[1])
	if !k.workEnd.IsZero() {
		if timeWaits(&t) > 0 {
			k.twLastNZ, k.twDrained = at, time.Time{}
		} else if k.twDrained.IsZero() {
			k.twDrained = at
		}
	}
	k.mu.Unlock()

	k.tr.AttributeTimeWait(tws, int64(at.Sub(k.start)))
}

// timeWaits is the TIME_WAIT sockets of both sides.
func timeWaits(t *monitor.Tally) int {
	return t.Get(sockstat.Server, sockstat.TimeWait) + t.Get(sockstat.Client, sockstat.TimeWait)
}

// polledSince reports whether a poll taken after t was observed.
func (k *kernelState) polledSince(t time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastPoll.After(t)
}

// drained reports whether a poll after the workload found no TIME_WAIT of
// the run's on either side (none left, or none ever), and the time of that
// poll. Without a kernel it reports false.
func (k *kernelState) drained() (bool, time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.workEnd.IsZero() || k.twDrained.IsZero() || !k.lastPoll.After(k.workEnd) {
		return false, time.Time{}
	}
	return true, k.twDrained
}

// workloadEnded starts the drain clock.
func (k *kernelState) workloadEnded(at time.Time) {
	k.mu.Lock()
	k.workEnd = at
	k.mu.Unlock()
}

// pair is a per-side array as the wire spells it.
func pair(v [2]int) wire.SidePair { return wire.SidePair{Server: v[0], Client: v[1]} }

// render is the kernel evidence so far.
func (k *kernelState) render() wire.ExpKernel {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := wire.ExpKernel{
		Polls:           k.polls,
		TimeWaitPeak:    pair(k.twPeak),
		EstablishedPeak: pair(k.estPeak),
		CloseWaitPeak:   pair(k.cwPeak),
		KeepalivePeak:   pair(k.kaPeak),
		KeepaliveMinMs:  wire.SidePair{Server: int(k.kaMin[0].Milliseconds()), Client: int(k.kaMin[1].Milliseconds())},
		TimeWaitEnd: wire.SidePair{
			Server: k.last.Get(sockstat.Server, sockstat.TimeWait),
			Client: k.last.Get(sockstat.Client, sockstat.TimeWait),
		},
		DrainedMs: -1,
		Last:      k.last.Counts(),
	}
	if k.polls > 0 {
		out.Source = k.source
	}
	switch {
	case k.workEnd.IsZero():
		// still running: not drained yet by definition
	case timeWaits(&k.last) > 0:
		// not drained by the last poll
	case k.twLastNZ.IsZero():
		out.DrainedMs = 0 // no TIME_WAIT after the workload at all
	default:
		out.DrainedMs = float64(k.twDrained.Sub(k.workEnd)) / 1e6
	}
	return out
}

// keepaliveTotal is the most keepalive timers seen at once.
func (k *kernelState) keepaliveTotal() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.kaTotal
}

// timeline renders the rows with since < seq <= upTo.
func (k *kernelState) timeline(since, upTo uint64) wire.Timeline {
	k.mu.Lock()
	defer k.mu.Unlock()
	seq0, last, t, cols := k.rows.Since(since)
	if last > upTo { // rows polled after upTo are not shown yet
		n := 0
		if upTo >= seq0 {
			n = int(upTo - seq0 + 1)
		}
		t = t[:n]
		for i := range cols {
			cols[i] = cols[i][:n]
		}
		last = upTo
	}
	if len(t) == 0 {
		seq0, last = since+1, since
	}
	return monitor.TimelineOf(k.port, seq0, last, t, cols)
}

// lastSeq is the seq of the last poll.
func (k *kernelState) lastSeq() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rows.Last()
}

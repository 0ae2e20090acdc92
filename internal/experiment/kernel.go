package experiment

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// Kernel lends an experiment the kernel's view of its port for its whole
// life (*monitor.Monitor satisfies it). obs is called on the monitor's poll
// goroutine for every poll of port until release.
type Kernel interface {
	Hold(port uint16, owner string, obs monitor.Observer) (release func(), err error)
	Source() string
}

const nStateSlots = int(sockstat.NewSynRecv) + 1

// timeWaitLen is how long Linux keeps a socket in TIME_WAIT (TCP_TIMEWAIT_LEN).
const timeWaitLen = 60 * time.Second

// kRow is one poll: counts by side (0 server, 1 client) and state.
type kRow struct {
	atMs int64
	seq  uint64
	c    [2][nStateSlots]int32
}

// kernelState is what the polls of the experiment's port showed. The
// observer runs on the poll goroutine; readers take mu.
type kernelState struct {
	port    uint16
	start   time.Time
	tr      *tracker
	source  string
	frozen  atomic.Bool   // the teardown began: its closes are not evidence
	tws     []twSeen      // poll goroutine only: scratch
	lastAt  time.Time     // poll goroutine only: the previous poll
	prevGap time.Duration // poll goroutine only: the gap before the previous poll

	mu        sync.Mutex
	polls     int
	seq       uint64
	rows      *ring[kRow]
	last      kRow
	twPeak    [2]int
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

func newKernelState(port uint16, start time.Time, tr *tracker, source string) *kernelState {
	return &kernelState{port: port, start: start, tr: tr, source: source, rows: newRing[kRow](timelineRows)}
}

// observe is the monitor.Observer: it must not block nor keep socks.
func (k *kernelState) observe(at time.Time, _ *monitor.Tally, socks []sockstat.Socket) {
	if k.frozen.Load() {
		return
	}
	var row kRow
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
		var si side
		switch sockstat.SideOf(s, k.port) {
		case sockstat.Server:
			si = sideServer
		case sockstat.Client:
			si = sideClient
		default:
			continue
		}
		st := s.State.Canonical()
		port := s.Remote.Port() // the client's port
		if si == sideClient {
			port = s.Local.Port()
		}
		if st != sockstat.Listen && !k.tr.usedPort(port) {
			continue // not ours: an earlier life of the port, or a stranger
		}
		if int(st) < nStateSlots {
			row.c[si][st]++
		}
		if s.Timer == sockstat.TimerKeepalive {
			ka[si]++
			if kaMin[si] == 0 || s.Expires < kaMin[si] {
				kaMin[si] = s.Expires
			}
		}
		if st == sockstat.TimeWait && (s.Expires == 0 || s.Expires >= fresh) {
			tws = append(tws, twSeen{port: port, side: si, left: s.Expires})
		}
	}
	k.tws = tws
	row.atMs = at.UnixMilli()

	k.mu.Lock()
	k.polls++
	k.lastPoll = at
	k.seq++
	row.seq = k.seq
	k.rows.push(row)
	k.last = row
	for si := range 2 {
		k.twPeak[si] = max(k.twPeak[si], int(row.c[si][sockstat.TimeWait]))
		k.estPeak[si] = max(k.estPeak[si], int(row.c[si][sockstat.Established]))
		k.cwPeak[si] = max(k.cwPeak[si], int(row.c[si][sockstat.CloseWait]))
		k.kaPeak[si] = max(k.kaPeak[si], ka[si])
		if kaMin[si] > 0 && (k.kaMin[si] == 0 || kaMin[si] < k.kaMin[si]) {
			k.kaMin[si] = kaMin[si]
		}
	}
	k.kaTotal = max(k.kaTotal, ka[0]+ka[1])
	if !k.workEnd.IsZero() {
		if row.c[0][sockstat.TimeWait]+row.c[1][sockstat.TimeWait] > 0 {
			k.twLastNZ, k.twDrained = at, time.Time{}
		} else if k.twDrained.IsZero() {
			k.twDrained = at
		}
	}
	k.mu.Unlock()

	k.tr.attributeTimeWait(tws, int64(at.Sub(k.start)))
}

// polledSince reports whether a poll taken after t was observed.
func (k *kernelState) polledSince(t time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastPoll.After(t)
}

// workloadEnded starts the drain clock.
func (k *kernelState) workloadEnded(at time.Time) {
	k.mu.Lock()
	k.workEnd = at
	k.mu.Unlock()
}

// render is the kernel evidence so far.
func (k *kernelState) render() wire.ExpKernel {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := wire.ExpKernel{
		Polls:           k.polls,
		TimeWaitPeak:    wire.SidePair{Server: k.twPeak[0], Client: k.twPeak[1]},
		EstablishedPeak: wire.SidePair{Server: k.estPeak[0], Client: k.estPeak[1]},
		CloseWaitPeak:   wire.SidePair{Server: k.cwPeak[0], Client: k.cwPeak[1]},
		KeepalivePeak:   wire.SidePair{Server: k.kaPeak[0], Client: k.kaPeak[1]},
		KeepaliveMinMs:  wire.SidePair{Server: int(k.kaMin[0].Milliseconds()), Client: int(k.kaMin[1].Milliseconds())},
		TimeWaitEnd: wire.SidePair{
			Server: int(k.last.c[0][sockstat.TimeWait]),
			Client: int(k.last.c[1][sockstat.TimeWait]),
		},
		DrainedMs: -1,
		Last:      countsOf(&k.last),
	}
	if k.polls > 0 {
		out.Source = k.source
	}
	switch {
	case k.workEnd.IsZero():
		// still running: not drained yet by definition
	case k.last.c[0][sockstat.TimeWait]+k.last.c[1][sockstat.TimeWait] > 0:
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

func countsOf(r *kRow) wire.Counts {
	c := wire.Counts{Server: map[string]int{}, Client: map[string]int{}}
	for _, st := range sockstat.States {
		if n := r.c[0][st]; n > 0 {
			c.Server[st.String()] = int(n)
		}
		if n := r.c[1][st]; n > 0 {
			c.Client[st.String()] = int(n)
		}
	}
	return c
}

// timeline renders the rows with since < seq <= upTo.
func (k *kernelState) timeline(since, upTo uint64) wire.Timeline {
	k.mu.Lock()
	defer k.mu.Unlock()
	tl := wire.Timeline{
		Port:   k.port,
		T:      []int64{},
		Server: make(map[string][]int32, len(sockstat.States)),
		Client: make(map[string][]int32, len(sockstat.States)),
	}
	for _, st := range sockstat.States {
		tl.Server[st.String()] = []int32{}
		tl.Client[st.String()] = []int32{}
	}
	tl.Seq0 = 1
	k.rows.each(func(r *kRow) {
		if r.seq <= since || r.seq > upTo {
			return
		}
		if len(tl.T) == 0 {
			tl.Seq0 = r.seq
		}
		tl.Seq = r.seq
		tl.T = append(tl.T, r.atMs)
		for _, st := range sockstat.States {
			tl.Server[st.String()] = append(tl.Server[st.String()], r.c[0][st])
			tl.Client[st.String()] = append(tl.Client[st.String()], r.c[1][st])
		}
	})
	if len(tl.T) == 0 {
		tl.Seq0, tl.Seq = since+1, since
	}
	return tl
}

// lastSeq is the seq of the last poll.
func (k *kernelState) lastSeq() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.seq
}

package monitor

import (
	"cmp"
	"slices"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// processKernel names the owner of TIME_WAIT sockets: no process holds them.
const processKernel = "kernel"

// toWireSocket renders s, seen on side of its port, for the browser. owners
// may be nil.
func toWireSocket(s *sockstat.Socket, side sockstat.Side, owners Owners) wire.Socket {
	w := wire.Socket{
		Local:  s.Local.String(),
		Remote: s.Remote.String(),
		Side:   side.String(),
		State:  s.State.String(),
		UID:    s.UID,
		Inode:  s.Inode,
	}
	if s.Timer != sockstat.TimerNone {
		w.Timer = s.Timer.String()
		w.TimerMs = s.Expires.Milliseconds()
	}
	switch {
	case s.State == sockstat.TimeWait:
		w.Process = processKernel
	case owners != nil:
		if pid, name, ok := owners.Lookup(s); ok {
			w.PID, w.Process = pid, name
		}
	}
	if s.HasInfo {
		w.RTTMs = float64(s.RTT) / float64(time.Millisecond)
		retrans := s.Retrans
		w.Retrans = &retrans
	}
	return w
}

// sortSockets orders sockets for tables: server side first, then by state in
// sockstat.States order, then by local and remote address.
func sortSockets(sockets []sockstat.Socket, p uint16) {
	slices.SortFunc(sockets, func(a, b sockstat.Socket) int {
		return cmp.Or(
			cmp.Compare(sockstat.SideOf(&a, p), sockstat.SideOf(&b, p)),
			cmp.Compare(stateIndex[a.State.Canonical()], stateIndex[b.State.Canonical()]),
			a.Local.Compare(b.Local),
			a.Remote.Compare(b.Remote),
		)
	})
}

// TimelineOf renders a run of rows of Columns values (a port's ring, or a
// Lab run's) for the wire. seq0 and last are already
// in the port's public numbering.
func TimelineOf(p uint16, seq0, last uint64, t []int64, cols [][]int32) wire.Timeline {
	tl := wire.Timeline{
		Port:   p,
		Seq0:   seq0,
		Seq:    last,
		T:      t,
		Server: make(map[string][]int32, nStates),
		Client: make(map[string][]int32, nStates),
	}
	for i, s := range sockstat.States {
		tl.Server[s.String()] = cols[i]
		tl.Client[s.String()] = cols[nStates+i]
	}
	return tl
}

// unixMs is t in Unix milliseconds, 0 for the zero time.
func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// rfc3339 is t as PortStatus.At spells it, "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

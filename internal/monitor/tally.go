package monitor

import (
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/wire"
)

// nStates is the number of states a tally reports (sockstat.States).
const nStates = 11

// stateIndex maps a canonical state to its position in sockstat.States,
// -1 for states a tally does not report.
var stateIndex = func() (idx [256]int8) {
	if len(sockstat.States) != nStates {
		panic("monitor: nStates does not match sockstat.States")
	}
	for i := range idx {
		idx[i] = -1
	}
	for i, s := range sockstat.States {
		idx[s] = int8(i)
	}
	return idx
}()

// Tally counts one port's sockets by side and state. It is a plain value:
// copy it freely. NewSynRecv is counted as SYN_RECV.
type Tally struct {
	n [2][nStates]int32 // [side-1][index in sockstat.States]
}

// Get is the number of sockets in state st on side of the port.
func (t *Tally) Get(side sockstat.Side, st sockstat.State) int {
	i := stateIndex[st.Canonical()]
	if (side != sockstat.Server && side != sockstat.Client) || i < 0 {
		return 0
	}
	return int(t.n[side-1][i])
}

// Total is the number of sockets on side, all states together.
func (t *Tally) Total(side sockstat.Side) int {
	if side != sockstat.Server && side != sockstat.Client {
		return 0
	}
	n := 0
	for _, v := range t.n[side-1] {
		n += int(v)
	}
	return n
}

// Add counts one socket in state st on side. Sockets of no side, and states
// outside sockstat.States, are ignored.
func (t *Tally) Add(side sockstat.Side, st sockstat.State) {
	i := stateIndex[st.Canonical()]
	if (side != sockstat.Server && side != sockstat.Client) || i < 0 {
		return
	}
	t.n[side-1][i]++
}

// TallyOf counts the sockets of port p by side and state. A socket that does
// not involve p is not counted.
func TallyOf(sockets []sockstat.Socket, p uint16) Tally {
	var t Tally
	for i := range sockets {
		t.Add(sockstat.SideOf(&sockets[i], p), sockets[i].State)
	}
	return t
}

// Counts is the tally as the wire spells it: state names per side, zero
// counts omitted, both maps non-nil.
func (t *Tally) Counts() wire.Counts {
	c := wire.Counts{Server: map[string]int{}, Client: map[string]int{}}
	t.fillCounts(&c)
	return c
}

// fillCounts rewrites dst's maps (which must be non-nil) in place, so a
// caller can reuse them tick after tick.
func (t *Tally) fillCounts(dst *wire.Counts) {
	clear(dst.Server)
	clear(dst.Client)
	for i, s := range sockstat.States {
		if v := t.n[0][i]; v != 0 {
			dst.Server[s.String()] = int(v)
		}
		if v := t.n[1][i]; v != 0 {
			dst.Client[s.String()] = int(v)
		}
	}
}

// Row appends the tally as one timeline row to dst: server states then
// client states, each in sockstat.States order (TimelineOf names them).
func (t *Tally) Row(dst []int32) []int32 {
	dst = append(dst, t.n[0][:]...)
	return append(dst, t.n[1][:]...)
}

// Columns is the width of a timeline row (Row).
const Columns = 2 * nStates

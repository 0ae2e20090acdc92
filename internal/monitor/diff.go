package monitor

import (
	"slices"

	"github.com/connlab/connlab/internal/sockstat"
)

// socketSet is one port's sockets at one poll: a list in sample order and an
// index by 4-tuple. Reset keeps the memory, so a port's two sets (current
// and previous) reach a steady size and stop allocating.
type socketSet struct {
	list []sockstat.Socket
	idx  map[sockstat.Key]int32 // position in list
	seen []bool                 // diff scratch: list[i] is still present
}

func newSocketSet() *socketSet {
	return &socketSet{idx: make(map[sockstat.Key]int32)}
}

func (s *socketSet) reset() {
	s.list = s.list[:0]
	clear(s.idx)
}

// add appends sock unless its 4-tuple is already in the set (a racy
// /proc read can report a socket twice); it reports whether it was added.
func (s *socketSet) add(sock *sockstat.Socket) bool {
	k := sock.Key()
	if _, dup := s.idx[k]; dup {
		return false
	}
	s.idx[k] = int32(len(s.list))
	s.list = append(s.list, *sock)
	return true
}

// Kind is the kind of a per-socket change between two polls.
type Kind uint8

// Kinds of change.
const (
	Opened  Kind = iota + 1 // new 4-tuple
	Changed                 // same 4-tuple, another state
	Gone                    // 4-tuple no longer reported
)

// String is the wire spelling: "opened", "changed", "gone".
func (k Kind) String() string {
	switch k {
	case Opened:
		return "opened"
	case Changed:
		return "changed"
	case Gone:
		return "gone"
	}
	return ""
}

// change is one per-socket difference. Socket points into the set it came
// from (cur for opened/changed, prev for gone) and is valid until that set
// is reset.
type change struct {
	Kind   Kind
	Socket *sockstat.Socket
	From   sockstat.State // previous state, for Changed and Gone
}

// diff appends to dst the changes from prev to cur, at most limit of them,
// and returns the extended slice and the total number of changes found
// (which exceeds the appended count when the limit cut them). Order: opened
// and changed sockets in cur's order, then gone sockets in prev's order.
// States are compared canonically (NEW_SYN_RECV == SYN_RECV).
func diff(prev, cur *socketSet, dst []change, limit int) ([]change, int) {
	total := 0
	emit := func(c change) {
		total++
		if len(dst) < limit {
			dst = append(dst, c)
		}
	}
	// One lookup per current socket; prev.seen marks the sockets still
	// present, so the gone ones need no second pass of lookups.
	prev.seen = slices.Grow(prev.seen[:0], len(prev.list))[:len(prev.list)]
	clear(prev.seen)
	for i := range cur.list {
		s := &cur.list[i]
		j, ok := prev.idx[s.Key()]
		if !ok {
			emit(change{Kind: Opened, Socket: s})
			continue
		}
		prev.seen[j] = true
		if old := &prev.list[j]; old.State.Canonical() != s.State.Canonical() {
			emit(change{Kind: Changed, Socket: s, From: old.State.Canonical()})
		}
	}
	for i := range prev.list {
		if !prev.seen[i] {
			s := &prev.list[i]
			emit(change{Kind: Gone, Socket: s, From: s.State.Canonical()})
		}
	}
	return dst, total
}

package wirecap

import (
	"net/netip"
	"slices"
)

// connKey names a connection by its ends, the server's first.
type connKey struct{ server, client netip.AddrPort }

// connState is a connection being tracked.
type connState struct {
	Conn
	clientISN uint32
	// finSeq is the sequence number of each side's first FIN, valid when
	// that side's FIN time is set.
	clientFinSeq, serverFinSeq uint32
	finAcked                   [2]bool // client's, server's FIN acknowledged
	// Per side (client, server): the initial sequence number and the end
	// of the highest data sent, for the byte counts.
	isn, high       [2]uint32
	sawISN, sawData [2]bool
	stream          *stream
}

// tracker derives connections from segments in capture order. It is pure:
// no I/O, no clock, no goroutines.
type tracker struct {
	ports     []uint16
	endpoints []netip.AddrPort // when set, the only server ends followed
	conns     []*connState
	active    map[connKey]*connState
	limit     int // connections tracked at most (maxConns)
	untracked int // segments of connections past the limit
	foreign   int // segments with neither end at an endpoint
	cut       int // client segments whose payload the capture cut
}

func newTracker(ports []uint16, endpoints []netip.AddrPort) *tracker {
	t := &tracker{ports: slices.Clone(ports), active: map[connKey]*connState{}, limit: maxConns}
	for _, e := range endpoints {
		t.endpoints = append(t.endpoints, netip.AddrPortFrom(e.Addr().Unmap(), e.Port()))
	}
	return t
}

// watched reports whether ap can be a server end: on a watched port and,
// when endpoints are set, at one of them.
func (t *tracker) watched(ap netip.AddrPort) bool {
	if len(t.endpoints) == 0 {
		return slices.Contains(t.ports, ap.Port())
	}
	for _, e := range t.endpoints {
		if atEndpoint(e, ap) {
			return true
		}
	}
	return false
}

// atEndpoint reports whether ap is at e, an unspecified address in e
// standing for what a listener on it accepts.
func atEndpoint(e, ap netip.AddrPort) bool {
	if e.Port() != ap.Port() {
		return false
	}
	switch a := e.Addr(); {
	case a == ap.Addr(), a == netip.IPv6Unspecified(): // "::": a dual-stack listener
		return true
	case a == netip.IPv4Unspecified():
		return ap.Addr().Is4()
	}
	return false
}

// add takes the next segment. Its payload is not kept past the call.
func (t *tracker) add(seg segment) {
	if !t.watched(seg.Src) && !t.watched(seg.Dst) {
		t.foreign++
		return
	}
	c, fromClient := t.lookup(seg)
	if c == nil {
		return
	}
	c.Segments++
	if c.End.IsZero() || seg.At.After(c.End) {
		c.End = seg.At
	}
	i := 1 // the sender's index in the per-side arrays
	if fromClient {
		i = 0
	}
	if seg.Flags.Has(flagSYN) && !c.sawISN[i] {
		c.sawISN[i], c.isn[i] = true, seg.Seq
		if fromClient {
			c.SawSYN = true
			c.clientISN = seg.Seq
			c.Start = seg.At
			c.stream.start(seg.Seq)
		}
	}
	dataSeq := seg.Seq
	if seg.Flags.Has(flagSYN) {
		dataSeq++ // a SYN takes one sequence number before any data
	}
	if end := dataSeq + uint32(seg.Len); seg.Len > 0 && (!c.sawData[i] || seqLT(c.high[i], end)) {
		c.sawData[i], c.high[i] = true, end
	}
	if fromClient {
		if len(seg.Payload) < seg.Len {
			t.cut++
		}
		c.stream.add(dataSeq, seg.Len, seg.Payload)
	}
	side, peer := Server, Client
	if fromClient {
		side, peer = Client, Server
	}
	if seg.Flags.Has(flagACK) {
		c.noteAck(peer, seg.Ack)
	}
	if seg.Flags.Has(flagFIN) {
		c.noteFIN(side, seg, dataSeq+uint32(seg.Len))
	}
	if seg.Flags.Has(flagRST) {
		c.noteRST(side, seg)
	}
}

// lookup finds the segment's connection, or starts one. A SYN with a new
// initial sequence number on a known 4-tuple (the port reused) starts a
// new connection; the old one stays in the list.
func (t *tracker) lookup(seg segment) (c *connState, fromClient bool) {
	if c = t.active[connKey{server: seg.Dst, client: seg.Src}]; c != nil {
		fromClient = true
	} else if c = t.active[connKey{server: seg.Src, client: seg.Dst}]; c != nil {
		fromClient = false
	}
	opening := seg.Flags.Has(flagSYN) && !seg.Flags.Has(flagACK)
	if c != nil {
		retransmitted := fromClient && c.SawSYN && c.clientISN == seg.Seq
		if !opening || retransmitted {
			return c, fromClient
		}
		// A new SYN on a known 4-tuple: the port was reused.
	}
	if len(t.conns) >= t.limit {
		t.untracked++
		return nil, false
	}
	// Which end is the server: the SYN's receiver, the SYN-ACK's sender,
	// else the end on a watched port (the receiver when both or neither).
	var server, client netip.AddrPort
	switch {
	case opening:
		server, client = seg.Dst, seg.Src
	case seg.Flags.Has(flagSYN | flagACK):
		server, client = seg.Src, seg.Dst
	case t.watched(seg.Src) && !t.watched(seg.Dst):
		server, client = seg.Src, seg.Dst
	default:
		server, client = seg.Dst, seg.Src
	}
	c = &connState{Conn: Conn{Client: client, Server: server, Start: seg.At}, stream: newStream()}
	t.conns = append(t.conns, c)
	t.active[connKey{server: server, client: client}] = c
	return c, seg.Src == client
}

// noteAck records that side's FIN acknowledged by an ack number.
func (c *connState) noteAck(side Side, ack uint32) {
	fin, seq, i := c.ServerFIN, c.serverFinSeq, 1
	if side == Client {
		fin, seq, i = c.ClientFIN, c.clientFinSeq, 0
	}
	if !fin.IsZero() && seqLE(seq+1, ack) {
		c.finAcked[i] = true
	}
	if !c.ClientFIN.IsZero() && !c.ServerFIN.IsZero() && c.finAcked[0] && c.finAcked[1] {
		c.Ended = true
	}
}

// noteFIN records a side's FIN at sequence number finSeq.
func (c *connState) noteFIN(side Side, seg segment, finSeq uint32) {
	if !c.finOf(side).IsZero() {
		return // a retransmission: the first FIN counts
	}
	peerFIN, peerSeq := c.ServerFIN, c.serverFinSeq
	if side == Client {
		c.ClientFIN, c.clientFinSeq = seg.At, finSeq
	} else {
		c.ServerFIN, c.serverFinSeq = seg.At, finSeq
		peerFIN, peerSeq = c.ClientFIN, c.clientFinSeq
	}
	if c.FirstCloser == NoSide {
		c.FirstCloser, c.FirstKind, c.FirstCloseAt = side, KindFIN, seg.At
		return
	}
	// The second FIN: did its sender know of the first one?
	if c.FirstKind == KindFIN && !peerFIN.IsZero() {
		acked := seg.Flags.Has(flagACK) && seqLE(peerSeq+1, seg.Ack)
		c.Simultaneous = !acked
	}
}

// noteRST records a side's RST.
func (c *connState) noteRST(side Side, seg segment) {
	if side == Client {
		c.ClientRSTs++
	} else {
		c.ServerRSTs++
	}
	ended := c.Ended
	c.Ended = true
	if c.Reset {
		return
	}
	c.Reset, c.ResetBy, c.ResetAt = true, side, seg.At
	c.ResetAfterEnd = ended
	if c.FirstCloser == NoSide {
		c.FirstCloser, c.FirstKind, c.FirstCloseAt = side, KindRST, seg.At
	}
}

// result returns the connections in the order their first segment came.
func (t *tracker) result() []Conn {
	out := make([]Conn, len(t.conns))
	for i, c := range t.conns {
		out[i] = c.Conn
		out[i].SawSYNACK = c.sawISN[1]
		out[i].ClientBytes, out[i].ServerBytes = c.bytes(0), c.bytes(1)
		out[i].Proto, out[i].Requests, out[i].RequestsUnsure = c.stream.result()
	}
	return out
}

// bytes is what side i sent, by sequence number.
func (c *connState) bytes(i int) int64 {
	if !c.sawISN[i] || !c.sawData[i] {
		return 0
	}
	return int64(c.high[i] - (c.isn[i] + 1))
}

package wirecap

import "fmt"

// seqLT reports a < b in TCP's modular sequence space.
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }

// seqLE reports a <= b in TCP's modular sequence space.
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }

// chunk is client data that arrived before the bytes in front of it.
type chunk struct {
	seq  uint32
	data []byte
}

// stream rebuilds the client-to-server byte stream from segments by
// sequence number and hands it, in order and once, to a requestCounter:
// retransmitted and overlapping bytes are skipped, early ones held back
// (at most maxPending bytes) until the gap before them is filled.
type stream struct {
	synced  bool   // the SYN was seen: next is known
	next    uint32 // sequence number of the next byte to deliver
	pending []chunk
	held    int // bytes in pending
	broken  string
	counter *requestCounter
}

func newStream() *stream { return &stream{counter: newRequestCounter()} }

// start anchors the stream at the client's initial sequence number.
func (s *stream) start(isn uint32) {
	s.synced = true
	s.next = isn + 1
}

// add takes wireLen payload bytes starting at sequence number seq, of
// which payload were captured.
func (s *stream) add(seq uint32, wireLen int, payload []byte) {
	if wireLen == 0 || s.broken != "" || !s.synced {
		return
	}
	end := seq + uint32(wireLen)
	if seqLE(end, s.next) {
		return // all of it delivered already (a retransmission)
	}
	if len(payload) < wireLen {
		s.breakOff(fmt.Sprintf("client payload cut by the capture (%d of %d bytes)", len(payload), wireLen))
		return
	}
	if seqLT(s.next, seq) {
		if s.held+wireLen > maxPending {
			s.breakOff(fmt.Sprintf("more than %d client bytes behind a gap", maxPending))
			return
		}
		s.pending = append(s.pending, chunk{seq: seq, data: append([]byte(nil), payload...)})
		s.held += wireLen
		return
	}
	s.deliver(seq, payload)
	s.flush()
}

// deliver hands the part of data at seq that is past next to the counter.
func (s *stream) deliver(seq uint32, data []byte) {
	skip := s.next - seq
	if int64(skip) >= int64(len(data)) {
		return
	}
	s.counter.feed(data[skip:])
	s.next = seq + uint32(len(data))
}

// flush delivers held chunks the stream has now reached.
func (s *stream) flush() {
	for moved := true; moved && len(s.pending) > 0; {
		moved = false
		for i := 0; i < len(s.pending); i++ {
			c := s.pending[i]
			if seqLT(s.next, c.seq) {
				continue
			}
			s.deliver(c.seq, c.data)
			s.held -= len(c.data)
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			i--
			moved = true
		}
	}
}

func (s *stream) breakOff(why string) {
	s.broken = why
	s.pending, s.held = nil, 0
}

// result is what the stream says about requests once the capture is over.
func (s *stream) result() (proto Proto, requests int, unsure string) {
	c := s.counter
	switch {
	case !s.synced:
		unsure = "opened before the capture started"
	case s.broken != "":
		unsure = s.broken
	case len(s.pending) > 0:
		unsure = fmt.Sprintf("%d client bytes never delivered: a gap in the capture", s.held)
	default:
		unsure = c.unsure
	}
	return c.proto, c.requests, unsure
}

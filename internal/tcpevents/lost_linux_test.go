package tcpevents

import (
	"os"
	"testing"
)

// TestLostCounted: with a one-page ring buffer and nobody reading, a burst
// of connections overflows it. Every event the kernel matched is then
// either delivered or counted lost, and at most a ring's worth (plus what
// arrives after Run starts reading) is delivered.
func TestLostCounted(t *testing.T) {
	page := os.Getpagesize()
	s := openOrSkip(t, Config{RingBytes: page})
	ln := listen(t, "127.0.0.1:0")
	if err := s.SetPorts([]uint16{portOf(ln)}); err != nil {
		t.Fatal(err)
	}
	const conns = 40 // 10 events each: 400 events, 36,000 bytes of records
	for range conns {
		lifecycle(t, ln)
	}
	col := collect(t, s)
	st := col.drain(t)
	t.Logf("ring %d bytes: %+v", page, st)
	if st.Lost == 0 {
		t.Errorf("nothing lost: %+v", st)
	}
	if min := uint64(conns * 8); st.Matched < min {
		t.Errorf("matched %d events, want at least %d (every lifecycle has 10; the last ones may still be finishing)", st.Matched, min)
	}
	if st.Malformed != 0 {
		t.Errorf("malformed %d", st.Malformed)
	}
	if got := uint64(len(col.events())); got != st.Delivered {
		t.Errorf("collected %d events, Stats says %d delivered", got, st.Delivered)
	}
}

package tcpevents

import (
	"testing"
	"unsafe"
)

// TestRecordLayout ties decode.go's offsets to struct event in bpf/probe.c,
// as bpf2go generated it from the object's BTF.
func TestRecordLayout(t *testing.T) {
	var e probeEvent
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"size", unsafe.Sizeof(e), recordSize},
		{"mono", unsafe.Offsetof(e.Mono), offMono},
		{"cookie", unsafe.Offsetof(e.Cookie), offCookie},
		{"saddr", unsafe.Offsetof(e.Saddr), offSaddr},
		{"daddr", unsafe.Offsetof(e.Daddr), offDaddr},
		{"sport", unsafe.Offsetof(e.Sport), offSport},
		{"dport", unsafe.Offsetof(e.Dport), offDport},
		{"family", unsafe.Offsetof(e.Family), offFamily},
		{"kind", unsafe.Offsetof(e.Kind), offKind},
		{"flags", unsafe.Offsetof(e.Flags), offFlags},
		{"oldstate", unsafe.Offsetof(e.Oldstate), offOldState},
		{"newstate", unsafe.Offsetof(e.Newstate), offNewState},
		{"reason", unsafe.Offsetof(e.Reason), offReason},
		{"pid", unsafe.Offsetof(e.Pid), offPid},
		{"comm", unsafe.Offsetof(e.Comm), offComm},
		{"comm size", unsafe.Sizeof(e.Comm), commLen},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d in the BPF object, %d in decode.go", c.name, c.got, c.want)
		}
	}
}

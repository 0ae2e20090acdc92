package tcpevents

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// Layout of struct event in bpf/probe.c, host byte order except addresses
// (network order). TestRecordLayout checks it against bpf2go's probeEvent.
const (
	recordSize  = 80
	offMono     = 0
	offCookie   = 8
	offSaddr    = 16
	offDaddr    = 32
	offSport    = 48
	offDport    = 50
	offFamily   = 52
	offKind     = 54
	offFlags    = 55
	offOldState = 56
	offNewState = 57
	offReason   = 58
	offPid      = 60
	offComm     = 64
	commLen     = 16

	flagPidKnown = 1  // FLAG_PID_KNOWN
	afInet       = 2  // AF_INET
	afInet6      = 10 // AF_INET6
)

// decoder turns ring buffer records into Events without allocating: names
// come from tables built once, process names are interned.
type decoder struct {
	// offset is wall-clock minus monotonic nanoseconds.
	offset int64
	// reasons names enum sk_rst_reason values (kernel BTF), prefix trimmed.
	reasons []string
	comms   map[[commLen]byte]string
}

func newDecoder(offset int64, reasons []string) *decoder {
	return &decoder{offset: offset, reasons: reasons, comms: make(map[[commLen]byte]string)}
}

// decode fills ev from one record; false if the record has the wrong size.
func (d *decoder) decode(b []byte, ev *Event) bool {
	if len(b) != recordSize {
		return false
	}
	ne := binary.NativeEndian
	ev.Mono = ne.Uint64(b[offMono:])
	ev.At = time.Unix(0, int64(ev.Mono)+d.offset)
	ev.Kind = Kind(b[offKind])
	ev.Cookie = ne.Uint64(b[offCookie:])
	ev.IPv6 = ne.Uint16(b[offFamily:]) == afInet6
	ev.Local = netip.AddrPortFrom(addr(b[offSaddr:offSaddr+16], ev.IPv6), ne.Uint16(b[offSport:]))
	ev.Remote = netip.AddrPortFrom(addr(b[offDaddr:offDaddr+16], ev.IPv6), ne.Uint16(b[offDport:]))
	ev.Old = sockstat.State(b[offOldState])
	ev.New = sockstat.State(b[offNewState])
	ev.Reason = ""
	if ev.Kind == ResetSent {
		if r := int(ne.Uint16(b[offReason:])); r < len(d.reasons) {
			ev.Reason = d.reasons[r]
		}
	}
	ev.PidKnown = b[offFlags]&flagPidKnown != 0
	ev.Pid, ev.Comm = 0, ""
	if ev.PidKnown {
		ev.Pid = ne.Uint32(b[offPid:])
		ev.Comm = d.comm((*[commLen]byte)(b[offComm : offComm+commLen]))
	}
	return true
}

// addr reads a 16-byte address field: an IPv6 address (unmapped when it
// is IPv4-mapped) or, for AF_INET, an IPv4 address in its first 4 bytes.
func addr(b []byte, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16([16]byte(b)).Unmap()
	}
	return netip.AddrFrom4([4]byte(b[:4]))
}

// comm interns a NUL-padded task name.
func (d *decoder) comm(c *[commLen]byte) string {
	if s, ok := d.comms[*c]; ok {
		return s
	}
	n := 0
	for n < commLen && c[n] != 0 {
		n++
	}
	if len(d.comms) >= commCacheMax {
		clear(d.comms)
	}
	s := string(c[:n])
	d.comms[*c] = s
	return s
}

package wirecap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// tcpFlags are a TCP segment's control bits, as on the wire (RFC 9293).
type tcpFlags uint8

// The control bits.
const (
	flagFIN tcpFlags = 1 << iota
	flagSYN
	flagRST
	flagPSH
	flagACK
	flagURG
)

// Has reports whether every bit of g is set in f.
func (f tcpFlags) Has(g tcpFlags) bool { return f&g == g }

func (f tcpFlags) String() string {
	names := [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG"}
	var b strings.Builder
	for i, n := range names {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// segment is one TCP segment as captured. Payload aliases the capture's
// ring: it is valid only during the call it is passed to.
type segment struct {
	// At is when the receiving side's kernel got the segment.
	At       time.Time
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    tcpFlags
	Window   uint16
	// Len is the payload length on the wire (from the IP header).
	Len int
	// Payload is the captured payload: Len bytes unless the capture cut it.
	Payload []byte
}

func (s segment) String() string {
	return fmt.Sprintf("%s > %s %s seq=%d ack=%d len=%d", s.Src, s.Dst, s.Flags, s.Seq, s.Ack, s.Len)
}

// errNotTCP marks a packet that is not a whole TCP segment over IPv4 or
// IPv6 without extension headers (the filter lets none through).
var errNotTCP = errors.New("not a TCP segment")

// IP protocol number of TCP, and the TCP flag bits the parser keeps.
const (
	protoTCP  = 6
	flagBits  = 0x3f
	ipv4Frags = 0x3fff // MF bit and fragment offset
)

// parsePacket reads a TCP segment from an IP packet (the network header
// first, as a SOCK_DGRAM packet socket delivers it). b may be cut after the
// TCP header: lengths come from the IP header. An IP length of 0 (a GSO
// packet above 64 KiB, "BIG TCP") stands for the captured length.
func parsePacket(b []byte, at time.Time) (segment, error) {
	if len(b) < 1 {
		return segment{}, errNotTCP
	}
	var (
		seg      segment
		ipLen    int // header and payload, from the IP header
		ipHdr    int
		src, dst netip.Addr
	)
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return segment{}, fmt.Errorf("short IPv4 header (%d bytes): %w", len(b), errNotTCP)
		}
		ipHdr = int(b[0]&0x0f) * 4
		if ipHdr < 20 || len(b) < ipHdr || b[9] != protoTCP || binary.BigEndian.Uint16(b[6:8])&ipv4Frags != 0 {
			return segment{}, errNotTCP
		}
		ipLen = int(binary.BigEndian.Uint16(b[2:4]))
		src = netip.AddrFrom4([4]byte(b[12:16]))
		dst = netip.AddrFrom4([4]byte(b[16:20]))
	case 6:
		if len(b) < 40 || b[6] != protoTCP {
			return segment{}, errNotTCP
		}
		ipHdr = 40
		if pl := int(binary.BigEndian.Uint16(b[4:6])); pl != 0 {
			ipLen = 40 + pl
		}
		src = netip.AddrFrom16([16]byte(b[8:24]))
		dst = netip.AddrFrom16([16]byte(b[24:40]))
	default:
		return segment{}, errNotTCP
	}
	if ipLen == 0 {
		ipLen = len(b)
	}
	t := b[ipHdr:]
	if len(t) < 20 {
		return segment{}, fmt.Errorf("short TCP header (%d bytes): %w", len(t), errNotTCP)
	}
	tcpHdr := int(t[12]>>4) * 4
	if tcpHdr < 20 || len(t) < tcpHdr || ipLen < ipHdr+tcpHdr {
		return segment{}, fmt.Errorf("bad TCP header length %d: %w", tcpHdr, errNotTCP)
	}
	seg.At = at
	seg.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(t[0:2]))
	seg.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(t[2:4]))
	seg.Seq = binary.BigEndian.Uint32(t[4:8])
	seg.Ack = binary.BigEndian.Uint32(t[8:12])
	seg.Flags = tcpFlags(t[13] & flagBits)
	seg.Window = binary.BigEndian.Uint16(t[14:16])
	seg.Len = ipLen - ipHdr - tcpHdr
	end := min(len(b), ipLen)
	seg.Payload = b[ipHdr+tcpHdr : max(end, ipHdr+tcpHdr)]
	return seg, nil
}

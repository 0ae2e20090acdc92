package sockstat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"
)

// Layout of struct inet_diag_msg and of the parts of struct tcp_info we read.
const (
	diagMsgLen = 72

	offState   = 1
	offTimer   = 2
	offSport   = 4 // big endian
	offDport   = 6 // big endian
	offSrc     = 8
	offDst     = 24
	offExpires = 52 // ms
	offUID     = 64
	offInode   = 68

	tcpiRTT          = 68  // tcpi_rtt, µs
	tcpiTotalRetrans = 100 // tcpi_total_retrans
)

// errMalformed reports bytes that are not a well-formed netlink answer.
var errMalformed = errors.New("malformed netlink message")

// parseDump parses one buffer read from a sock_diag socket: whole netlink
// messages, as the kernel never splits one across reads. Sockets answering
// request seq are appended to dst; messages of other sequence numbers (left
// over from an abandoned dump) are skipped. done is true once NLMSG_DONE or an
// error for seq arrived. It allocates nothing beyond dst's growth.
func parseDump(b []byte, seq uint32, dst []Socket) (out []Socket, done bool, err error) {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return dst, false, fmt.Errorf("%w: %d trailing bytes", errMalformed, len(b))
		}
		n := int(ne.Uint32(b[0:4]))
		if n < nlmsgHdrLen || n > len(b) {
			return dst, false, fmt.Errorf("%w: length %d of %d bytes", errMalformed, n, len(b))
		}
		typ := ne.Uint16(b[4:6])
		msgSeq := ne.Uint32(b[8:12])
		payload := b[nlmsgHdrLen:n]
		b = b[min(align4(n), len(b)):]
		if msgSeq != seq {
			continue
		}
		switch typ {
		case nlmsgDone:
			// A dump that failed half-way says so in NLMSG_DONE's payload.
			if len(payload) >= 4 {
				if code := int32(ne.Uint32(payload)); code < 0 {
					return dst, true, fmt.Errorf("dump ended: %w", syscall.Errno(-code))
				}
			}
			return dst, true, nil
		case nlmsgError:
			if len(payload) < 4 {
				return dst, true, fmt.Errorf("%w: short NLMSG_ERROR", errMalformed)
			}
			code := int32(ne.Uint32(payload))
			if code == 0 { // an ACK; dumps do not send one, but it is no error
				continue
			}
			return dst, true, syscall.Errno(-code)
		case sockDiagByFamily, tcpdiagGetsock:
			var s Socket
			if err := parseDiagMsg(payload, &s); err != nil {
				return dst, false, err
			}
			dst = append(dst, s)
		}
	}
	return dst, false, nil
}

// parseDiagMsg fills s from one struct inet_diag_msg and its attributes.
func parseDiagMsg(b []byte, s *Socket) error {
	if len(b) < diagMsgLen {
		return fmt.Errorf("%w: inet_diag_msg of %d bytes", errMalformed, len(b))
	}
	ne := binary.NativeEndian
	be := binary.BigEndian
	sport := be.Uint16(b[offSport:])
	dport := be.Uint16(b[offDport:])
	switch b[0] {
	case afInet:
		s.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[offSrc:offSrc+4])), sport)
		s.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[offDst:offDst+4])), dport)
	case afInet6:
		s.Local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[offSrc:offSrc+16])), sport)
		s.Remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[offDst:offDst+16])), dport)
	default:
		return fmt.Errorf("%w: address family %d", errMalformed, b[0])
	}
	s.State = State(b[offState])
	s.Timer = Timer(b[offTimer])
	s.Expires = time.Duration(ne.Uint32(b[offExpires:])) * time.Millisecond
	s.UID = ne.Uint32(b[offUID:])
	s.Inode = ne.Uint32(b[offInode:])
	s.Orphan = s.Inode == 0
	if s.Timer == TimerNone {
		s.Expires = 0
	}
	for a := b[diagMsgLen:]; len(a) >= nlaHdrLen; {
		n := int(ne.Uint16(a[0:2]))
		if n < nlaHdrLen || n > len(a) {
			return fmt.Errorf("%w: attribute length %d of %d bytes", errMalformed, n, len(a))
		}
		if ne.Uint16(a[2:4])&nlaTypeMask == attrInfo && s.State == Established {
			parseTCPInfo(a[nlaHdrLen:n], s)
		}
		a = a[min(align4(n), len(a)):]
	}
	return nil
}

// parseTCPInfo reads rtt and total retransmits from a struct tcp_info, which
// grows with kernel releases: fields beyond what this kernel sent stay zero.
func parseTCPInfo(b []byte, s *Socket) {
	ne := binary.NativeEndian
	if len(b) < tcpiRTT+4 {
		return
	}
	s.HasInfo = true
	s.RTT = time.Duration(ne.Uint32(b[tcpiRTT:])) * time.Microsecond
	if len(b) >= tcpiTotalRetrans+4 {
		s.Retrans = ne.Uint32(b[tcpiTotalRetrans:])
	}
}

func align4(n int) int { return (n + 3) &^ 3 }

package wirecap

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// packet builds an IP packet carrying s (options-free headers unless
// ipOpts/tcpOpts add some).
func packet(s segment, payload []byte, ipOpts, tcpOpts int) []byte {
	tcp := make([]byte, 20+tcpOpts)
	binary.BigEndian.PutUint16(tcp[0:], s.Src.Port())
	binary.BigEndian.PutUint16(tcp[2:], s.Dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], s.Seq)
	binary.BigEndian.PutUint32(tcp[8:], s.Ack)
	tcp[12] = byte(len(tcp)/4) << 4
	tcp[13] = byte(s.Flags)
	binary.BigEndian.PutUint16(tcp[14:], s.Window)
	tcp = append(tcp, payload...)
	if s.Src.Addr().Is4() {
		ip := make([]byte, 20+ipOpts)
		ip[0] = 0x40 | byte(len(ip)/4)
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)+len(tcp)))
		ip[8], ip[9] = 64, protoTCP
		a, b := s.Src.Addr().As4(), s.Dst.Addr().As4()
		copy(ip[12:], a[:])
		copy(ip[16:], b[:])
		return append(ip, tcp...)
	}
	ip := make([]byte, 40)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(tcp)))
	ip[6], ip[7] = protoTCP, 64
	a, b := s.Src.Addr().As16(), s.Dst.Addr().As16()
	copy(ip[8:], a[:])
	copy(ip[24:], b[:])
	return append(ip, tcp...)
}

func TestParsePacket(t *testing.T) {
	at := time.Unix(1700000000, 5)
	v4 := segment{
		Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: netip.MustParseAddrPort("127.0.0.2:80"),
		Seq: 0xfffffff0, Ack: 7, Flags: flagPSH | flagACK, Window: 512,
	}
	v6 := v4
	v6.Src, v6.Dst = netip.MustParseAddrPort("[::1]:40000"), netip.MustParseAddrPort("[fe80::1]:80")
	payload := []byte("GET / HTTP/1.1\r\n")
	for _, tc := range []struct {
		name         string
		seg          segment
		ipOpt, tcpOp int
	}{
		{"ipv4", v4, 0, 0},
		{"ipv4 options", v4, 8, 12},
		{"ipv6", v6, 0, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := packet(tc.seg, payload, tc.ipOpt, tc.tcpOp)
			got, err := parsePacket(b, at)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.seg
			want.At, want.Len = at, len(payload)
			if got.At != want.At || got.Src != want.Src || got.Dst != want.Dst || got.Seq != want.Seq ||
				got.Ack != want.Ack || got.Flags != want.Flags || got.Window != want.Window || got.Len != want.Len ||
				string(got.Payload) != string(payload) {
				t.Fatalf("got %v %q, want %v", got, got.Payload, want)
			}
			// Cut after the TCP header: Len from the IP header, no payload.
			cut, err := parsePacket(b[:len(b)-len(payload)], at)
			if err != nil || cut.Len != len(payload) || len(cut.Payload) != 0 {
				t.Fatalf("cut packet: %v len=%d payload=%d", err, cut.Len, len(cut.Payload))
			}
			// Cut inside the TCP header: not a segment.
			if _, err := parsePacket(b[:len(b)-len(payload)-4], at); !errors.Is(err, errNotTCP) {
				t.Fatalf("short TCP header: %v", err)
			}
		})
	}
	t.Run("ip length 0 stands for the captured length", func(t *testing.T) {
		b := packet(v4, payload, 0, 0)
		binary.BigEndian.PutUint16(b[2:], 0)
		got, err := parsePacket(b, at)
		if err != nil || got.Len != len(payload) {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("trailing bytes past the IP length are not payload", func(t *testing.T) {
		b := append(packet(v4, payload, 0, 0), 0, 0, 0, 0)
		got, err := parsePacket(b, at)
		if err != nil || got.Len != len(payload) || string(got.Payload) != string(payload) {
			t.Fatalf("got %v %q, %v", got, got.Payload, err)
		}
	})
	for name, mangle := range map[string]func([]byte){
		"fragment":      func(b []byte) { b[7] = 8 },
		"more frags":    func(b []byte) { b[6] = 0x20 },
		"udp":           func(b []byte) { b[9] = 17 },
		"ihl too small": func(b []byte) { b[0] = 0x44 },
		"version 5":     func(b []byte) { b[0] = 0x55 },
		"tcp doff 4":    func(b []byte) { b[20+12] = 4 << 4 },
		"ip len short":  func(b []byte) { binary.BigEndian.PutUint16(b[2:], 30) },
	} {
		t.Run(name, func(t *testing.T) {
			b := packet(v4, payload, 0, 0)
			mangle(b)
			if _, err := parsePacket(b, at); !errors.Is(err, errNotTCP) {
				t.Fatalf("parsed: %v", err)
			}
		})
	}
	t.Run("ipv6 extension header", func(t *testing.T) {
		b := packet(v6, payload, 0, 0)
		b[6] = 0 // hop-by-hop
		if _, err := parsePacket(b, at); !errors.Is(err, errNotTCP) {
			t.Fatalf("parsed: %v", err)
		}
	})
	if _, err := parsePacket(nil, at); !errors.Is(err, errNotTCP) {
		t.Fatalf("empty packet parsed: %v", err)
	}
}

func TestFlagsString(t *testing.T) {
	if got := (flagSYN | flagACK).String(); got != "SYN|ACK" {
		t.Fatalf("got %q", got)
	}
	if got := (flagFIN | flagRST | flagPSH | flagURG).String(); got != "FIN|RST|PSH|URG" {
		t.Fatalf("got %q", got)
	}
}

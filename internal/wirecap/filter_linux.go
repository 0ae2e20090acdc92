package wirecap

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Ancillary load of skb->pkt_type (linux/filter.h: SKF_AD_OFF + SKF_AD_PKTTYPE);
// x/sys/unix does not define them.
const (
	skfAdOff     = 0xfffff000 // -0x1000 as the uint32 k operand
	skfAdPktType = 4
)

// insn is a classic BPF instruction whose jumps name labels.
type insn struct {
	code   uint16
	k      uint32
	jt, jf string // labels; "" is the next instruction
	label  string // this instruction's label
}

// assemble resolves labels to forward offsets.
func assemble(prog []insn) ([]unix.SockFilter, error) {
	at := map[string]int{}
	for i, in := range prog {
		if in.label != "" {
			at[in.label] = i
		}
	}
	off := func(from int, label string) (uint8, error) {
		if label == "" {
			return 0, nil
		}
		to, ok := at[label]
		if !ok || to <= from || to-from-1 > 255 {
			return 0, fmt.Errorf("filter: jump from %d to %q out of range", from, label)
		}
		return uint8(to - from - 1), nil
	}
	out := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		jt, err := off(i, in.jt)
		if err != nil {
			return nil, err
		}
		jf, err := off(i, in.jf)
		if err != nil {
			return nil, err
		}
		k := in.k
		if in.code == unix.BPF_JMP|unix.BPF_JA {
			k, jt = uint32(jt), 0
		}
		out[i] = unix.SockFilter{Code: in.code, Jt: jt, Jf: jf, K: k}
	}
	return out, nil
}

// filterProgram is "tcp and (port P1 or ...)" for a SOCK_DGRAM packet
// socket (offset 0 is the IP header), IPv4 without fragments and IPv6
// without extension headers. Segments to a watched port are kept whole,
// segments from one only up to headerSnap bytes. With dropOutgoing, the
// copy a packet socket gets as a packet leaves (PACKET_OUTGOING) is
// dropped: on a loopback interface the same segment comes again as it is
// received.
func filterProgram(ports []uint16, dropOutgoing bool) ([]unix.SockFilter, error) {
	const (
		ldW   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		ldB   = unix.BPF_LD | unix.BPF_B | unix.BPF_ABS
		ldH   = unix.BPF_LD | unix.BPF_H | unix.BPF_ABS
		ldHX  = unix.BPF_LD | unix.BPF_H | unix.BPF_IND
		ldxIP = unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH
		ldxK  = unix.BPF_LDX | unix.BPF_W | unix.BPF_IMM
		andK  = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jset  = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
		ja    = unix.BPF_JMP | unix.BPF_JA
		ret   = unix.BPF_RET | unix.BPF_K
	)
	var p []insn
	if dropOutgoing {
		p = append(p,
			insn{code: ldW, k: skfAdOff + skfAdPktType},
			insn{code: jeq, k: unix.PACKET_OUTGOING, jt: "reject"},
		)
	}
	p = append(p,
		insn{code: ldB, k: 0},
		insn{code: andK, k: 0xf0},
		insn{code: jeq, k: 0x40, jt: "v4"},
		insn{code: jeq, k: 0x60, jt: "v6", jf: "reject"},
		// IPv4: protocol TCP, not a fragment, X = header length.
		insn{label: "v4", code: ldB, k: 9},
		insn{code: jeq, k: protoTCP, jf: "reject"},
		insn{code: ldH, k: 6},
		insn{code: jset, k: ipv4Frags, jt: "reject"},
		insn{code: ldxIP, k: 0},
		insn{code: ja, jt: "ports"},
		// IPv6: next header TCP, X = 40.
		insn{label: "v6", code: ldB, k: 6},
		insn{code: jeq, k: protoTCP, jf: "reject"},
		insn{code: ldxK, k: 40},
		// Destination port first: a segment to a watched port is kept whole.
		insn{label: "ports", code: ldHX, k: 2},
	)
	for _, port := range ports {
		p = append(p, insn{code: jeq, k: uint32(port), jt: "whole"})
	}
	p = append(p, insn{code: ldHX, k: 0})
	for _, port := range ports {
		p = append(p, insn{code: jeq, k: uint32(port), jt: "headers"})
	}
	p = append(p,
		insn{label: "reject", code: ret, k: 0},
		insn{label: "whole", code: ret, k: fullSnap},
		insn{label: "headers", code: ret, k: headerSnap},
	)
	return assemble(p)
}

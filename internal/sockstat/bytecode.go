package sockstat

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// bcForm is the way a program says "port == P" to the kernel.
type bcForm uint8

const (
	// formEq uses INET_DIAG_BC_S_EQ / D_EQ (kernels since about 4.16).
	formEq bcForm = iota
	// formRange says P <= port <= P with S_GE+S_LE / D_GE+D_LE, which every
	// kernel with inet_diag understands.
	formRange
)

func (f bcForm) String() string {
	if f == formEq {
		return "eq"
	}
	return "range"
}

// inet_diag bytecode op codes (include/uapi/linux/inet_diag.h).
const (
	bcJmp = 1
	bcSGE = 2
	bcSLE = 3
	bcDGE = 4
	bcDLE = 5
	bcSEQ = 11
	bcDEQ = 12
)

// Sizes of the bytecode pieces, in bytes.
const (
	bcOpLen = 4 // struct inet_diag_bc_op {u8 code; u8 yes; u16 no}
	// maxBytecode keeps every jump offset inside the u16 "no" field and the
	// whole program inside one netlink attribute.
	maxBytecode = 0xfff0
)

// errNoPorts says a program was asked for an empty port set.
var errNoPorts = errors.New("no ports to filter")

// termLen is the size of one "sport == P" or "dport == P" test.
func (f bcForm) termLen() int {
	if f == formEq {
		return 2 * bcOpLen // op + port
	}
	return 4 * bcOpLen // GE op + port + LE op + port
}

// bytecodeLen is the size of the program appendBytecode builds for n ports.
func bytecodeLen(n int, f bcForm) int {
	terms := 2 * n
	return terms*f.termLen() + (terms-1)*bcOpLen
}

// appendBytecode appends to dst an inet_diag filter program that accepts a
// socket when its source or destination port is one of ports: for every port
// P the two tests "sport == P" and "dport == P", OR-chained.
//
// The kernel runs a program from its first byte: a test that holds advances by
// its "yes" offset, one that fails by its "no" offset; the socket is accepted
// when execution lands exactly on the end, rejected when it lands past it.
// The OR chain is laid out as the kernel's auditor wants it (the form `ss`
// compiles): every test falls through on success into a JMP to the end, and
// on failure skips that JMP to the next test. The last test has no JMP: its
// success lands on the end (accept) and its failure 4 bytes past it (reject).
//
// ports must be non-empty; duplicates are harmless but cost a test each.
func appendBytecode(dst []byte, ports []uint16, f bcForm) ([]byte, error) {
	if len(ports) == 0 {
		return dst, errNoPorts
	}
	total := bytecodeLen(len(ports), f)
	if total > maxBytecode {
		return dst, fmt.Errorf("bytecode for %d ports is %d bytes, limit %d", len(ports), total, maxBytecode)
	}
	terms := 2 * len(ports)
	tl := f.termLen()
	for i := range terms {
		port := ports[i/2]
		source := i%2 == 0
		dst = appendTerm(dst, port, source, f)
		if i == terms-1 {
			break
		}
		// Bytes from this JMP to the end: itself plus the remaining terms and
		// the JMPs between them.
		rest := terms - 1 - i
		dst = appendOp(dst, bcJmp, bcOpLen, uint16(bcOpLen+rest*tl+(rest-1)*bcOpLen))
	}
	return dst, nil
}

// appendTerm appends one "port == P" test on the source or destination port.
// On success it falls through to the next op; on failure it jumps over the
// rest of the term and the JMP that follows it.
func appendTerm(dst []byte, port uint16, source bool, f bcForm) []byte {
	if f == formEq {
		code := byte(bcDEQ)
		if source {
			code = bcSEQ
		}
		dst = appendOp(dst, code, 2*bcOpLen, 3*bcOpLen)
		return appendOp(dst, 0, 0, port)
	}
	ge, le := byte(bcDGE), byte(bcDLE)
	if source {
		ge, le = bcSGE, bcSLE
	}
	dst = appendOp(dst, ge, 2*bcOpLen, 5*bcOpLen)
	dst = appendOp(dst, 0, 0, port)
	dst = appendOp(dst, le, 2*bcOpLen, 3*bcOpLen)
	return appendOp(dst, 0, 0, port)
}

// appendOp appends one struct inet_diag_bc_op in host byte order. A port
// operand travels in the "no" field of the op that follows its comparison.
func appendOp(dst []byte, code, yes byte, no uint16) []byte {
	dst = append(dst, code, yes)
	return binary.NativeEndian.AppendUint16(dst, no)
}

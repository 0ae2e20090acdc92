package sockstat

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// The two functions below restate, in Go, what the kernel does with a filter
// program (net/ipv4/inet_diag.c: inet_diag_bc_audit, inet_diag_bc_run), for
// the op codes appendBytecode emits. They let the tests check a program the
// way the kernel will, without a kernel.

// auditBytecode follows inet_diag_bc_audit: it walks the "yes" chain, checks
// every op's operands fit, that jumps are multiples of 4 and land on an op
// boundary of that chain, the end, or 4 bytes past it (reject).
func auditBytecode(prog []byte) error {
	ne := binary.NativeEndian
	if len(prog) < bcOpLen {
		return errors.New("program shorter than one op")
	}
	// validCC: does walking the yes chain from the start reach an op that
	// begins cc bytes before the end?
	validCC := func(cc int) bool {
		for bc, l := prog, len(prog); l >= 0; {
			if cc > l {
				return false
			}
			if cc == l {
				return true
			}
			yes := int(bc[1])
			if yes < 4 || yes&3 != 0 {
				return false
			}
			l -= yes
			bc = bc[yes:]
		}
		return false
	}
	for bc, l := prog, len(prog); l > 0; {
		code, yes, no := bc[0], int(bc[1]), int(ne.Uint16(bc[2:4]))
		minLen := bcOpLen
		switch code {
		case bcSGE, bcSLE, bcDGE, bcDLE, bcSEQ, bcDEQ:
			minLen += bcOpLen
			if l < minLen {
				return errors.New("port comparison without its operand")
			}
		case bcJmp:
		default:
			return errors.New("unknown op code")
		}
		if no < minLen || no > l+4 || no&3 != 0 {
			return errors.New("bad no offset")
		}
		if no < l && !validCC(l-no) {
			return errors.New("no offset lands inside an op")
		}
		if yes < minLen || yes > l+4 || yes&3 != 0 {
			return errors.New("bad yes offset")
		}
		bc, l = bc[min(yes, len(bc)):], l-yes
		if l < 0 {
			return errors.New("yes chain overshoots the end")
		}
	}
	return nil
}

// runBytecode follows inet_diag_bc_run: accept iff execution lands exactly
// on the end of the program.
func runBytecode(prog []byte, sport, dport uint16) bool {
	ne := binary.NativeEndian
	pc := 0
	for pc < len(prog) {
		code, yes, no := prog[pc], int(prog[pc+1]), int(ne.Uint16(prog[pc+2:]))
		ok := true
		operand := func() uint16 { return ne.Uint16(prog[pc+6:]) }
		switch code {
		case bcJmp:
			ok = false
		case bcSGE:
			ok = sport >= operand()
		case bcSLE:
			ok = sport <= operand()
		case bcDGE:
			ok = dport >= operand()
		case bcDLE:
			ok = dport <= operand()
		case bcSEQ:
			ok = sport == operand()
		case bcDEQ:
			ok = dport == operand()
		}
		if ok {
			pc += yes
		} else {
			pc += no
		}
	}
	return pc == len(prog)
}

// opsHex renders little-endian op words for readable golden programs.
func opsHex(t *testing.T, prog []byte) string {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden programs are written for little-endian hosts")
	}
	return hex.EncodeToString(prog)
}

func TestBytecodeGoldenEq(t *testing.T) {
	prog, err := appendBytecode(nil, []uint16{8081}, formEq)
	if err != nil {
		t.Fatal(err)
	}
	// S_EQ yes=8 no=12 | port 8081 (0x1f91) | JMP yes=4 no=12 | D_EQ yes=8 no=12 | port 8081
	want := "0b080c00" + "0000911f" + "01040c00" + "0c080c00" + "0000911f"
	if got := opsHex(t, prog); got != want {
		t.Errorf("eq program for 8081:\n got %s\nwant %s", got, want)
	}
}

func TestBytecodeGoldenRange(t *testing.T) {
	prog, err := appendBytecode(nil, []uint16{8081}, formRange)
	if err != nil {
		t.Fatal(err)
	}
	// S_GE yes=8 no=20 | 8081 | S_LE yes=8 no=12 | 8081 | JMP yes=4 no=20 |
	// D_GE yes=8 no=20 | 8081 | D_LE yes=8 no=12 | 8081
	want := "02081400" + "0000911f" + "03080c00" + "0000911f" + "01041400" +
		"04081400" + "0000911f" + "05080c00" + "0000911f"
	if got := opsHex(t, prog); got != want {
		t.Errorf("range program for 8081:\n got %s\nwant %s", got, want)
	}
}

func TestBytecodeLength(t *testing.T) {
	for _, f := range []bcForm{formEq, formRange} {
		for _, n := range []int{1, 2, 3, 64} {
			ports := make([]uint16, n)
			for i := range ports {
				ports[i] = uint16(1000 + i)
			}
			prog, err := appendBytecode(nil, ports, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(prog) != bytecodeLen(n, f) || len(prog)%4 != 0 {
				t.Errorf("%s, %d ports: %d bytes, want %d (multiple of 4)", f, n, len(prog), bytecodeLen(n, f))
			}
		}
	}
}

func TestBytecodeErrors(t *testing.T) {
	if _, err := appendBytecode(nil, nil, formEq); !errors.Is(err, errNoPorts) {
		t.Errorf("no ports: err = %v, want errNoPorts", err)
	}
	many := make([]uint16, 5000)
	if _, err := appendBytecode(nil, many, formRange); err == nil {
		t.Error("5000 ports: want a size error")
	}
}

// TestBytecodeSemantics checks, for both forms and many port sets, that the
// kernel's auditor would accept the program and that it accepts exactly the
// sockets with sport or dport in the set.
func TestBytecodeSemantics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range []bcForm{formEq, formRange} {
		for trial := range 200 {
			n := 1 + trial%64
			ports := make([]uint16, n)
			for i := range ports {
				ports[i] = uint16(1 + rng.IntN(65535))
			}
			ports = normalizePorts(nil, ports)
			prog, err := appendBytecode(nil, ports, f)
			if err != nil {
				t.Fatal(err)
			}
			if err := auditBytecode(prog); err != nil {
				t.Fatalf("%s, ports %v: audit: %v", f, ports, err)
			}
			in := func(p uint16) bool { _, ok := slices.BinarySearch(ports, p); return ok }
			// Probe the ports themselves, their neighbours (off-by-one in
			// GE/LE), and random ones.
			var probe []uint16
			for _, p := range ports {
				probe = append(probe, p, p-1, p+1)
			}
			for range 50 {
				probe = append(probe, uint16(rng.IntN(65536)))
			}
			probe = append(probe, 0, 65535)
			for _, sp := range probe {
				dp := probe[rng.IntN(len(probe))]
				if got, want := runBytecode(prog, sp, dp), in(sp) || in(dp); got != want {
					t.Fatalf("%s, ports %v: sport %d dport %d accepted=%v, want %v", f, ports, sp, dp, got, want)
				}
			}
		}
	}
}

func TestAppendRequestsPerFamily(t *testing.T) {
	prog, _ := appendBytecode(nil, []uint16{80, 443}, formEq)
	reqs := appendRequests(nil, dumpPerFamily, prog)
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	ne := binary.NativeEndian
	for i, fam := range []byte{afInet, afInet6} {
		req := reqs[i]
		setSeq(req, 7)
		checkHeader(t, req, sockDiagByFamily, requestLen(dumpPerFamily, len(prog)))
		r := req[nlmsgHdrLen:]
		if r[0] != fam || r[1] != ipprotoTCP || r[2] != extInfo || ne.Uint32(r[4:8]) != diagAllStates {
			t.Errorf("inet_diag_req_v2 % x", r[:8])
		}
		checkBytecodeAttr(t, r[diagReqLen:], prog)
	}
}

func TestAppendRequestsOneWalk(t *testing.T) {
	prog, _ := appendBytecode(nil, []uint16{8081}, formRange)
	reqs := appendRequests(nil, dumpOneWalk, prog)
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	req := reqs[0]
	setSeq(req, 7)
	checkHeader(t, req, tcpdiagGetsock, requestLen(dumpOneWalk, len(prog)))
	r := req[nlmsgHdrLen:]
	if r[3] != extInfo || binary.NativeEndian.Uint32(r[4+diagSockIDLen:]) != diagAllStates {
		t.Errorf("inet_diag_req % x", r[:diagReqV1Len])
	}
	checkBytecodeAttr(t, r[diagReqV1Len:], prog)
	// Rebuilding reuses the buffers.
	again := appendRequests(reqs, dumpOneWalk, prog)
	if &again[0][0] != &req[0] {
		t.Error("appendRequests did not reuse the request buffer")
	}
}

func checkHeader(t *testing.T, req []byte, typ uint16, wantLen int) {
	t.Helper()
	ne := binary.NativeEndian
	if got := int(ne.Uint32(req[0:4])); got != len(req) || got != wantLen {
		t.Errorf("nlmsg_len %d, request %d bytes, want %d", got, len(req), wantLen)
	}
	if ne.Uint16(req[4:6]) != typ || ne.Uint16(req[6:8]) != nlmFRequest|nlmFDump || ne.Uint32(req[8:12]) != 7 {
		t.Errorf("header % x", req[:16])
	}
}

func checkBytecodeAttr(t *testing.T, a, prog []byte) {
	t.Helper()
	ne := binary.NativeEndian
	if int(ne.Uint16(a[0:2])) != nlaHdrLen+len(prog) || ne.Uint16(a[2:4]) != attrBytecode {
		t.Errorf("bytecode attribute header % x", a[:4])
	}
	if !slices.Equal(a[nlaHdrLen:], prog) {
		t.Error("bytecode attribute does not carry the program")
	}
}

func TestNormalizePorts(t *testing.T) {
	got := normalizePorts(nil, []uint16{443, 0, 80, 443, 8080, 80})
	if want := []uint16{80, 443, 8080}; !slices.Equal(got, want) {
		t.Errorf("normalizePorts = %v, want %v", got, want)
	}
}

package sockstat

import "encoding/binary"

// Netlink and sock_diag wire constants. They are Linux's values; the wire
// format is Linux's whatever GOOS compiles this file, so the pure builder and
// parser can be unit-tested everywhere.
const (
	nlmsgHdrLen = 16 // struct nlmsghdr
	nlmsgError  = 2  // NLMSG_ERROR
	nlmsgDone   = 3  // NLMSG_DONE
	nlmFRequest = 0x1
	nlmFDump    = 0x300 // NLM_F_ROOT | NLM_F_MATCH

	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	tcpdiagGetsock   = 18 // TCPDIAG_GETSOCK
	ipprotoTCP       = 6

	afInet  = 2
	afInet6 = 10

	diagReqLen    = 56 // struct inet_diag_req_v2
	diagReqV1Len  = 60 // struct inet_diag_req
	diagSockIDLen = 48 // struct inet_diag_sockid
	nlaHdrLen     = 4  // struct nlattr
	attrBytecode  = 1  // INET_DIAG_REQ_BYTECODE
	attrInfo      = 2  // INET_DIAG_INFO (tcp_info)
	nlaTypeMask   = 0x3fff
	extInfo       = 1 << (attrInfo - 1) // idiag_ext bit asking for INET_DIAG_INFO
	diagAllStates = 0x1ffe              // TCP_ESTABLISHED (1) .. TCP_NEW_SYN_RECV (12)
)

// dumpKind is the request that dumps the sockets.
type dumpKind uint8

const (
	// dumpOneWalk sends one TCPDIAG_GETSOCK request (the inet_diag_req
	// interface ss falls back to): the kernel answers it with family
	// AF_UNSPEC, i.e. IPv4 and IPv6 sockets in one walk of its hash table,
	// half the cost of one walk per family.
	dumpOneWalk dumpKind = iota
	// dumpPerFamily sends SOCK_DIAG_BY_FAMILY (inet_diag_req_v2) twice, for
	// AF_INET then AF_INET6: one hash walk each.
	dumpPerFamily
)

func (k dumpKind) String() string {
	if k == dumpOneWalk {
		return "one-walk"
	}
	return "per-family"
}

// requestLen is the size of a request of kind carrying a program of n bytes.
func requestLen(k dumpKind, progLen int) int {
	body := diagReqLen
	if k == dumpOneWalk {
		body = diagReqV1Len
	}
	return nlmsgHdrLen + body + nlaHdrLen + progLen
}

// appendRequests appends to reqs the dump requests of kind for TCP sockets in
// every state, asking for tcp_info, filtered by prog (a program from
// appendBytecode, whose length is a multiple of 4): one request for
// dumpOneWalk, one per address family for dumpPerFamily. Sequence numbers are
// left zero: setSeq stamps them before each send. Buffers in reqs are reused.
func appendRequests(reqs [][]byte, k dumpKind, prog []byte) [][]byte {
	if k == dumpOneWalk {
		return append(reqs[:0], appendRequest(reuse(reqs, 0), k, afInet, prog))
	}
	return append(reqs[:0],
		appendRequest(reuse(reqs, 0), k, afInet, prog),
		appendRequest(reuse(reqs, 1), k, afInet6, prog))
}

func reuse(reqs [][]byte, i int) []byte {
	if i < len(reqs) {
		return reqs[i][:0]
	}
	return nil
}

// appendRequest appends one request; family is ignored by dumpOneWalk.
func appendRequest(dst []byte, k dumpKind, family uint8, prog []byte) []byte {
	ne := binary.NativeEndian
	typ := uint16(sockDiagByFamily)
	if k == dumpOneWalk {
		typ = tcpdiagGetsock
	}
	dst = ne.AppendUint32(dst, uint32(requestLen(k, len(prog))))
	dst = ne.AppendUint16(dst, typ)
	dst = ne.AppendUint16(dst, nlmFRequest|nlmFDump)
	dst = ne.AppendUint32(dst, 0)  // seq
	dst = ne.AppendUint32(dst, 0)  // port id: the kernel fills it in
	var sockid [diagSockIDLen]byte // struct inet_diag_sockid: all zero, no exact match
	if k == dumpOneWalk {
		// struct inet_diag_req
		dst = append(dst, family, 0, 0, extInfo)
		dst = append(dst, sockid[:]...)
		dst = ne.AppendUint32(dst, diagAllStates)
		dst = ne.AppendUint32(dst, 0) // idiag_dbs
	} else {
		// struct inet_diag_req_v2
		dst = append(dst, family, ipprotoTCP, extInfo, 0)
		dst = ne.AppendUint32(dst, diagAllStates)
		dst = append(dst, sockid[:]...)
	}
	// struct nlattr INET_DIAG_REQ_BYTECODE + program
	dst = ne.AppendUint16(dst, uint16(nlaHdrLen+len(prog)))
	dst = ne.AppendUint16(dst, attrBytecode)
	return append(dst, prog...)
}

// setSeq stamps the sequence number of a request built by appendRequest.
func setSeq(req []byte, seq uint32) {
	binary.NativeEndian.PutUint32(req[8:12], seq)
}

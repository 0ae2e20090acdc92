package wirecap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Proto is what the client's byte stream carried.
type Proto uint8

// The protocols told apart.
const (
	// ProtoNone: the client sent no payload (or none was parsed).
	ProtoNone Proto = iota
	// ProtoHTTP1: HTTP/1.0 or HTTP/1.1 requests.
	ProtoHTTP1
	// ProtoH2: HTTP/2 over cleartext (prior knowledge or h2c upgrade).
	ProtoH2
	// ProtoOther: bytes that are neither; requests are not counted.
	ProtoOther
)

func (p Proto) String() string {
	switch p {
	case ProtoNone:
		return "none"
	case ProtoHTTP1:
		return "http/1"
	case ProtoH2:
		return "h2"
	}
	return "other"
}

// h1 parser states.
type h1State uint8

const (
	stIdle       h1State = iota // between requests: empty lines, then a request line
	stHeaders                   // header lines up to the empty line
	stBody                      // Content-Length bytes left
	stChunkSize                 // a chunk-size line
	stChunkData                 // chunk bytes left
	stChunkEnd                  // the CRLF after chunk data
	stTrailers                  // trailer lines up to the empty line
	stPrefaceEnd                // "\r\nSM\r\n\r\n" after "PRI * HTTP/2.0\r\n"
	stH2                        // HTTP/2 frames
	stStopped                   // upgraded to another protocol, or lost: bytes ignored
)

// HTTP/2 facts (RFC 9113): the client preface, the frame header, HEADERS.
const (
	h2PrefaceLine = "PRI * HTTP/2.0"
	h2PrefaceEnd  = "\r\nSM\r\n\r\n"
	h2FrameHeader = 9
	h2Headers     = 0x1
)

// requestCounter counts the requests in a client-to-server byte stream fed
// in order. It keeps at most one line (maxLine) and a frame header: bodies
// are skipped by their length, never stored.
type requestCounter struct {
	proto    Proto
	requests int
	// unsure says why requests may be wrong; empty when exact.
	unsure string

	state   h1State
	line    []byte
	left    int64 // body, chunk or frame payload bytes still to skip
	clen    int64 // Content-Length of the request being parsed, -1 if none
	chunked bool
	upgrade bool // the last request asked to switch protocols

	frame     [h2FrameHeader]byte
	frameN    int
	maxStream uint32
}

func newRequestCounter() *requestCounter { return &requestCounter{clen: -1} }

// fail stops counting: the stream can no longer be followed.
func (r *requestCounter) fail(why string) {
	if r.unsure == "" {
		r.unsure = why
	}
	r.state = stStopped
	r.line = nil
}

// feed parses the next bytes of the stream.
func (r *requestCounter) feed(b []byte) {
	for len(b) > 0 {
		switch r.state {
		case stStopped:
			return
		case stBody, stChunkData:
			n := int(min(int64(len(b)), r.left))
			b, r.left = b[n:], r.left-int64(n)
			if r.left == 0 {
				if r.state == stBody {
					r.endRequest()
				} else {
					r.state = stChunkEnd
				}
			}
		case stPrefaceEnd:
			want := h2PrefaceEnd[len(r.line):]
			n := min(len(want), len(b))
			if string(b[:n]) != want[:n] {
				r.fail("bad HTTP/2 client preface")
				return
			}
			r.line, b = append(r.line, b[:n]...), b[n:]
			if len(r.line) == len(h2PrefaceEnd) {
				r.line = nil
				r.proto, r.state = ProtoH2, stH2
			}
		case stH2:
			b = r.feedH2(b)
		default:
			if r.state == stIdle && len(r.line) == 0 && !isLineStart(b[0]) {
				// Not a request line nor an empty one: decide now rather
				// than buffer binary bytes up to a newline.
				r.onLine(b[:1])
				continue
			}
			line, rest, ok := r.takeLine(b)
			b = rest
			if !ok {
				return
			}
			r.onLine(line)
		}
	}
}

// takeLine appends b up to and including the next LF to the line being
// read. It reports whether a line is complete (without its CRLF or LF).
func (r *requestCounter) takeLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(r.line)+len(b) > maxLine {
			r.fail(fmt.Sprintf("line longer than %d bytes", maxLine))
			return nil, nil, false
		}
		r.line = append(r.line, b...)
		return nil, nil, false
	}
	if len(r.line)+i > maxLine {
		r.fail(fmt.Sprintf("line longer than %d bytes", maxLine))
		return nil, nil, false
	}
	if len(r.line) == 0 {
		line = b[:i] // no copy when the line is in one piece
	} else {
		r.line = append(r.line, b[:i]...)
		line = r.line
	}
	r.line = r.line[:0]
	return bytes.TrimSuffix(line, []byte{'\r'}), b[i+1:], true
}

// onLine handles one complete line in the current state.
func (r *requestCounter) onLine(line []byte) {
	switch r.state {
	case stIdle:
		switch {
		case len(line) == 0: // empty lines before a request are allowed
		case string(line) == h2PrefaceLine && (r.requests == 0 || r.upgrade):
			r.state = stPrefaceEnd
			if r.upgrade {
				r.maxStream = 1 // the upgraded request is stream 1
			}
		case isRequestLine(line):
			r.requests++
			r.proto, r.state = ProtoHTTP1, stHeaders
			r.clen, r.chunked, r.upgrade = -1, false, false
		case r.upgrade:
			r.state = stStopped // switched protocols: the count is final
		case r.requests == 0:
			r.proto = ProtoOther
			r.fail("client bytes are not HTTP/1.x nor HTTP/2")
		default:
			r.fail(fmt.Sprintf("no request line after request %d", r.requests))
		}
	case stHeaders:
		if len(line) == 0 {
			r.endHeaders()
			return
		}
		r.onHeader(line)
	case stChunkSize:
		size, ok := parseChunkSize(line)
		switch {
		case !ok:
			r.fail("bad chunk size line")
		case size == 0:
			r.state = stTrailers
		default:
			r.left, r.state = size, stChunkData
		}
	case stChunkEnd:
		if len(line) != 0 {
			r.fail("chunk data longer than its size")
			return
		}
		r.state = stChunkSize
	case stTrailers:
		if len(line) == 0 {
			r.endRequest()
		}
	}
}

// onHeader notes the headers that frame the body or switch protocols.
func (r *requestCounter) onHeader(line []byte) {
	name, value, ok := bytes.Cut(line, []byte{':'})
	if !ok {
		return // obsolete folding or junk: the server decides, not us
	}
	value = bytes.TrimSpace(value)
	switch {
	case bytes.EqualFold(name, []byte("Content-Length")):
		n, err := strconv.ParseInt(string(value), 10, 64)
		if err != nil || n < 0 || (r.clen >= 0 && r.clen != n) {
			r.fail("bad Content-Length")
			return
		}
		r.clen = n
	case bytes.EqualFold(name, []byte("Transfer-Encoding")):
		codings := bytes.Split(value, []byte{','})
		last := bytes.TrimSpace(codings[len(codings)-1])
		if !bytes.EqualFold(last, []byte("chunked")) {
			r.fail("request Transfer-Encoding without chunked last")
			return
		}
		r.chunked = true
	case bytes.EqualFold(name, []byte("Upgrade")):
		r.upgrade = true
	}
}

// endHeaders starts the body the headers announced (RFC 9112 6.3: a request
// without Transfer-Encoding or Content-Length has none).
func (r *requestCounter) endHeaders() {
	switch {
	case r.chunked:
		r.state = stChunkSize
	case r.clen > 0:
		r.left, r.state = r.clen, stBody
	default:
		r.endRequest()
	}
}

func (r *requestCounter) endRequest() { r.state = stIdle }

// feedH2 follows HTTP/2 frames: a HEADERS frame on a new client stream
// (odd, above every stream seen) is a request.
func (r *requestCounter) feedH2(b []byte) []byte {
	if r.left > 0 {
		n := int(min(int64(len(b)), r.left))
		r.left -= int64(n)
		return b[n:]
	}
	n := copy(r.frame[r.frameN:], b)
	r.frameN += n
	if r.frameN < h2FrameHeader {
		return b[n:]
	}
	r.frameN = 0
	length := int64(r.frame[0])<<16 | int64(r.frame[1])<<8 | int64(r.frame[2])
	stream := binary.BigEndian.Uint32(r.frame[5:9]) & 0x7fffffff
	if r.frame[3] == h2Headers && stream%2 == 1 && stream > r.maxStream {
		r.requests++
		r.maxStream = stream
	}
	r.left = length
	return b[n:]
}

// isRequestLine reports whether line is "method SP target SP HTTP/1.d"
// with a token for the method and a target without spaces.
func isRequestLine(line []byte) bool {
	method, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok || len(method) == 0 {
		return false
	}
	for _, c := range method {
		if !isTokenChar(c) {
			return false
		}
	}
	target, version, ok := bytes.Cut(rest, []byte{' '})
	if !ok || len(target) == 0 || len(version) != len("HTTP/1.1") {
		return false
	}
	return bytes.HasPrefix(version, []byte("HTTP/1.")) && version[7] >= '0' && version[7] <= '9'
}

// isTokenChar: tchar of RFC 9110 5.6.2.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// isLineStart reports whether c can begin an empty line or a request line.
func isLineStart(c byte) bool { return c == '\r' || c == '\n' || isTokenChar(c) }

// parseChunkSize reads the hex size before any chunk extension.
func parseChunkSize(line []byte) (int64, bool) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || len(line) > 15 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(line), 16, 64)
	return n, err == nil && n >= 0
}

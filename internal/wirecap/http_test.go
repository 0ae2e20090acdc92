package wirecap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// h2frame is one HTTP/2 frame: 9-byte header and payload.
func h2frame(typ byte, flags byte, stream uint32, payload string) string {
	var h [9]byte
	h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream)
	return string(h[:]) + payload
}

const (
	h2Preface = h2PrefaceLine + "\r\n" + h2PrefaceEnd
	getReq    = "GET /a?b=c HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n"
	// fakeRequests is body text that looks like requests at line starts.
	fakeRequests = "GET / HTTP/1.1\r\n\r\nPOST /x HTTP/1.0\r\nContent-Length: 3\r\n\r\n"
)

// counterCases are client streams with what the counter must say.
var counterCases = []struct {
	name     string
	stream   string
	proto    Proto
	requests int
	unsure   bool
}{
	{"empty", "", ProtoNone, 0, false},
	{"one GET", getReq, ProtoHTTP1, 1, false},
	{"pipelined", getReq + getReq + getReq, ProtoHTTP1, 3, false},
	{"HTTP/1.0", "GET /x HTTP/1.0\r\n\r\nGET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", ProtoHTTP1, 2, false},
	{"bare LF and empty lines before a request", "\r\n\nGET / HTTP/1.1\nHost: x\n\n\r\nHEAD / HTTP/1.1\n\n", ProtoHTTP1, 2, false},
	{"Content-Length body that looks like requests",
		"POST /u HTTP/1.1\r\nHost: x\r\ncontent-length:  " + fmt.Sprint(len(fakeRequests)) + " \r\n\r\n" + fakeRequests + getReq,
		ProtoHTTP1, 2, false},
	{"chunked body with extensions and trailers",
		"POST /u HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n" +
			fmt.Sprintf("%x;ext=1\r\n%s\r\n", len(fakeRequests), fakeRequests) +
			fmt.Sprintf("%X\r\n%s\r\n", 5, "GET /") + "0\r\nX-Trailer: 1\r\n\r\n" + getReq,
		ProtoHTTP1, 2, false},
	{"Transfer-Encoding wins over Content-Length",
		"POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + getReq,
		ProtoHTTP1, 2, false},
	{"h2 prior knowledge", h2Preface +
		h2frame(0x4, 0, 0, "\x00\x03\x00\x00\x00\x64") + // SETTINGS
		h2frame(h2Headers, 0x4, 1, "\x82\x86") +
		h2frame(0x0, 0x1, 1, h2frame(h2Headers, 0, 99, "")) + // DATA that looks like HEADERS
		h2frame(h2Headers, 0x0, 3, "\x82") +
		h2frame(0x9, 0x4, 3, "\x86") + // CONTINUATION
		h2frame(h2Headers, 0x5, 3, "") + // trailers: not a new stream
		h2frame(h2Headers, 0x4, 2, "") + // even: not a client stream
		h2frame(h2Headers, 0x4, 7, strings.Repeat("x", 70000)),
		ProtoH2, 3, false},
	{"h2c upgrade", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n" +
		h2Preface + h2frame(0x4, 0, 0, "") + h2frame(h2Headers, 0x4, 1, "") + h2frame(h2Headers, 0x4, 3, ""),
		ProtoH2, 2, false},
	{"websocket upgrade", "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58\r\n",
		ProtoHTTP1, 1, false},
	{"refused upgrade, next request", "GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n" + getReq, ProtoHTTP1, 2, false},
	{"preface after a request without Upgrade", getReq + h2Preface, ProtoHTTP1, 1, true},
	{"TLS", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ProtoOther, 0, true},
	{"HTTP/2.0 request line", "GET / HTTP/2.0\r\n\r\n", ProtoOther, 0, true},
	{"junk after a request", getReq + "HELLO WORLD\r\n", ProtoHTTP1, 1, true},
	{"line too long", "GET /" + strings.Repeat("a", maxLine) + " HTTP/1.1\r\n\r\n" + getReq, ProtoNone, 0, true},
	{"bad Content-Length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", ProtoHTTP1, 1, true},
	{"two Content-Lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", ProtoHTTP1, 1, true},
	{"Transfer-Encoding not chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", ProtoHTTP1, 1, true},
	{"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ProtoHTTP1, 1, true},
	{"chunk longer than its size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", ProtoHTTP1, 1, true},
	{"bad preface", "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", ProtoNone, 0, true},
}

func countOf(pieces ...[]byte) *requestCounter {
	r := newRequestCounter()
	for _, p := range pieces {
		r.feed(p)
	}
	return r
}

func TestRequestCounter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range counterCases {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.stream)
			check := func(how string, r *requestCounter) {
				t.Helper()
				if r.proto != tc.proto || r.requests != tc.requests || (r.unsure != "") != tc.unsure {
					t.Fatalf("%s: proto %v requests %d unsure %q; want %v %d unsure=%v",
						how, r.proto, r.requests, r.unsure, tc.proto, tc.requests, tc.unsure)
				}
			}
			check("whole", countOf(b))
			if len(b) < 4096 {
				for i := range b {
					check(fmt.Sprintf("split at %d", i), countOf(b[:i], b[i:]))
				}
				r := newRequestCounter()
				for i := range b {
					r.feed(b[i : i+1])
				}
				check("byte by byte", r)
			}
			for range 50 {
				var pieces [][]byte
				for rest := b; len(rest) > 0; {
					n := min(len(rest), 1+rng.IntN(300))
					pieces = append(pieces, rest[:n])
					rest = rest[n:]
				}
				check("random pieces", countOf(pieces...))
			}
		})
	}
}

func TestIsRequestLine(t *testing.T) {
	for line, want := range map[string]bool{
		"GET / HTTP/1.1":              true,
		"M-SEARCH * HTTP/1.1":         true,
		"OPTIONS * HTTP/1.0":          true,
		"GET http://a/b?c HTTP/1.1":   true,
		"GET  / HTTP/1.1":             false, // empty target
		"GET / HTTP/1.1 ":             false,
		"GET / HTTP/1.":               false,
		"GET / HTTP/1.x":              false,
		"GET / HTTP/2.0":              false,
		"GE(T / HTTP/1.1":             false,
		"GET /a b HTTP/1.1":           false,
		" GET / HTTP/1.1":             false,
		"HTTP/1.1 200 OK":             false,
		"GET / HTTP/1.1\r":            false,
		"PRI * HTTP/2.0":              false,
		strings.Repeat("A", 3) + "  ": false,
	} {
		if got := isRequestLine([]byte(line)); got != want {
			t.Errorf("isRequestLine(%q) = %v, want %v", line, got, want)
		}
	}
}

// segmentsOf cuts a client stream starting after isn into segments of
// random sizes: (seq, data).
func segmentsOf(rng *rand.Rand, isn uint32, b []byte) []chunk {
	var out []chunk
	seq := isn + 1
	for len(b) > 0 {
		n := min(len(b), 1+rng.IntN(2000))
		out = append(out, chunk{seq: seq, data: b[:n]})
		seq += uint32(n)
		b = b[n:]
	}
	return out
}

func TestStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	body := strings.Repeat(fakeRequests, 2000) // 140 KB of request look-alikes
	text := getReq + "POST /big HTTP/1.1\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n" + body + getReq + getReq
	const want = 4
	for _, isn := range []uint32{1000, 0xffffff00} { // the second wraps inside the stream
		t.Run(fmt.Sprintf("isn %#x", isn), func(t *testing.T) {
			run := func(segs []chunk) (Proto, int, string) {
				s := newStream()
				s.start(isn)
				for _, c := range segs {
					s.add(c.seq, len(c.data), c.data)
				}
				return s.result()
			}
			segs := segmentsOf(rng, isn, []byte(text))
			if p, n, u := run(segs); p != ProtoHTTP1 || n != want || u != "" {
				t.Fatalf("in order: %v %d %q", p, n, u)
			}
			for trial := range 30 {
				// Duplicates, overlapping retransmissions that merge
				// neighbours, and local reordering.
				var mixed []chunk
				for i := 0; i < len(segs); i++ {
					c := segs[i]
					switch rng.IntN(6) {
					case 0:
						mixed = append(mixed, c, c)
					case 1:
						if i+1 < len(segs) {
							merged := append(append([]byte(nil), c.data...), segs[i+1].data...)
							mixed = append(mixed, chunk{seq: c.seq, data: merged[:len(merged)/2+1]}, chunk{seq: c.seq, data: merged})
							i++
							continue
						}
						mixed = append(mixed, c)
					case 2:
						if i+1 < len(segs) {
							mixed = append(mixed, segs[i+1], c)
							i++
							continue
						}
						mixed = append(mixed, c)
					default:
						mixed = append(mixed, c)
					}
				}
				if p, n, u := run(mixed); p != ProtoHTTP1 || n != want || u != "" {
					t.Fatalf("trial %d: %v %d %q", trial, p, n, u)
				}
			}
			// A segment never captured leaves a gap: unsure, not a guess.
			gap := append(append([]chunk(nil), segs[:3]...), segs[4:]...)
			if _, _, u := run(gap); u == "" {
				t.Fatal("a gap did not make the count unsure")
			}
		})
	}
	t.Run("payload cut by the capture", func(t *testing.T) {
		s := newStream()
		s.start(0)
		s.add(1, len(getReq)*2, []byte(getReq))
		if _, _, u := s.result(); !strings.Contains(u, "cut") {
			t.Fatalf("unsure %q", u)
		}
	})
	t.Run("too much held behind a gap", func(t *testing.T) {
		s := newStream()
		s.start(0)
		chunkData := bytes.Repeat([]byte("x"), 64<<10)
		for i := range maxPending/len(chunkData) + 1 {
			s.add(uint32(100+i*len(chunkData)), len(chunkData), chunkData)
		}
		if _, _, u := s.result(); !strings.Contains(u, "behind a gap") || s.held != 0 {
			t.Fatalf("unsure %q, %d bytes held", u, s.held)
		}
	})
	t.Run("no SYN", func(t *testing.T) {
		s := newStream()
		s.add(1, len(getReq), []byte(getReq))
		if _, n, u := s.result(); n != 0 || u == "" {
			t.Fatalf("%d requests, unsure %q", n, u)
		}
	})
}

// Package wirecap has one job: ground truth from the wire for tests.
//
// It captures the TCP segments of a few ports on the loopback interface
// with an AF_PACKET socket (Linux, root or CAP_NET_RAW) and derives, per
// connection, what the wire says happened: the 4-tuple, when it opened and
// ended, which side sent the first FIN or RST, whether the close was
// simultaneous (the second FIN did not acknowledge the first), who reset it
// (also after a FIN), and how many HTTP requests the client sent on it.
// Tests of other packages compare their own figures with it:
//
//	c, err := wirecap.Start(ctx, wirecap.Options{Ports: []uint16{port}})
//	if errors.Is(err, wirecap.ErrNeedRoot) || errors.Is(err, errors.ErrUnsupported) {
//		t.Skipf("no wire truth: %v", err)
//	}
//	... traffic, then close the connections ...
//	res, err := c.Stop()
//	if err == nil {
//		err = res.Complete() // the kernel dropped packets: no truth
//	}
//	sum := res.Summary() // sum.ServerFirst, sum.Reset, sum.RequestsOnUsed, ...
//
// The derivation (segment.go, track.go, stream.go, http.go, result.go) is
// pure: segments in, connections out, table-tested with synthetic
// segments. The I/O (filter_linux.go, ring_linux.go, capture_linux.go)
// only feeds it.
//
// On lo a packet socket gets every segment twice: as it leaves
// (PACKET_OUTGOING) and as it is received (PACKET_HOST), a few
// microseconds apart. The kernel filter keeps the received copy only, so
// each segment is seen once per direction, in the order the receiving TCP
// processed it. Packets come through a TPACKET_V3 ring, stamped by the
// kernel as it writes them there, on the receive path before TCP sees the
// segment (SO_TIMESTAMPNS on a plain socket is not used: the kernel turns
// its receive stamps on lazily and meanwhile stamps at read time).
//
// What it cannot see: segments of other ports or interfaces; IPv6 with
// extension headers and IP fragments (TCP on lo has neither); anything
// the kernel dropped before the ring (counted in Result.Drops: the result
// is then not to be trusted) and anything sent after Stop's drain. A
// connection opened before Start has no SYN in the capture: its request
// count is marked unsure. Requests are counted by parsing the client's
// byte stream, rebuilt by sequence number: HTTP/1.x request lines with
// their Content-Length or chunked bodies skipped, HTTP/2 (h2c by prior
// knowledge or upgrade) HEADERS frames opening new streams. Other
// protocols are reported as such, uncounted; an HTTP/1.x client that
// sends the next request without the body it announced (a refused
// "Expect: 100-continue") is not followed.
package wirecap

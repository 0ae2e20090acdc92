package wirecap

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Capture is a running capture. Its goroutine reads the socket and feeds
// the tracker; Stop ends it and waits for it.
type Capture struct {
	opts     Options
	loopback bool // the interface is a loopback: outgoing copies are twins
	f        *os.File
	rc       syscall.RawConn
	ring     *ring
	tr       *tracker

	stopOnce sync.Once
	stopAt   time.Time // set before stop is closed
	stop     chan struct{}
	done     chan struct{}

	// Owned by the goroutine until done is closed.
	res Result
	err error
}

// Start opens a packet socket on the interface (lo by default), filtered
// in the kernel to the TCP segments of the ports, and reads it in a
// goroutine until Stop (or ctx ends). Segments sent once Start returned
// are captured. It is made for lo; on another interface the segments
// this host sends are seen as they leave, those it receives as they
// arrive, each once.
func Start(ctx context.Context, o Options) (*Capture, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	ifi, err := net.InterfaceByName(o.iface())
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", o.iface(), err)
	}
	// On a loopback interface every segment comes twice, as it leaves and
	// as it is received: keep the received copy. Elsewhere each comes once.
	loopback := ifi.Flags&net.FlagLoopback != 0
	prog, err := filterProgram(o.ports(), loopback && !o.keepOutgoing)
	if err != nil {
		return nil, err
	}
	// Protocol 0: no packet is queued before the filter is attached and
	// the socket bound below.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return nil, fmt.Errorf("open packet socket: %w: %w", ErrNeedRoot, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open packet socket: %w", err)
	}
	r, err := setup(fd, ifi.Index, prog, o.Buffer)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("capture on %s: %w", o.iface(), err)
	}
	f := os.NewFile(uintptr(fd), "wirecap:"+o.iface())
	rc, err := f.SyscallConn()
	if err != nil {
		_ = r.unmap()
		f.Close()
		return nil, fmt.Errorf("capture on %s: %w", o.iface(), err)
	}
	c := &Capture{
		opts: o, loopback: loopback, f: f, rc: rc, ring: r, tr: newTracker(o.ports(), o.Endpoints),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	c.res.Ports = o.ports()
	c.res.Started = time.Now()
	// Stopped by Stop or ctx; Stop waits for it (done).
	go c.run(ctx)
	return c, nil
}

// setup maps the receive ring, attaches the filter and binds the socket
// to the interface for every protocol.
func setup(fd, ifindex int, prog []unix.SockFilter, size int) (*ring, error) {
	if size <= 0 {
		size = defaultRing
	}
	r, err := mapRing(fd, size)
	if err != nil {
		return nil, err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		_ = r.unmap()
		return nil, fmt.Errorf("attach filter: %w", err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		_ = r.unmap()
		return nil, fmt.Errorf("bind packet socket: %w", err)
	}
	return r, nil
}

// Stop ends the capture and returns what it saw. It first drains: it keeps
// reading until no packet came for drainQuiet (Result.Quiet), or drainMax
// passed, so every segment the kernel sent before the call is in the
// result. Segments sent later (delayed ACKs, the rest of a close
// handshake) may be in it too: stop once the connections of interest are
// closed. The error is set when the capture ended early (ctx, a read
// error); the result then holds what was read until then. Stop may be
// called more than once.
func (c *Capture) Stop() (Result, error) {
	c.stopOnce.Do(func() {
		c.stopAt = time.Now()
		close(c.stop)
	})
	<-c.done
	return c.res, c.err
}

func (c *Capture) run(ctx context.Context) {
	defer close(c.done)
	c.err = c.loop(ctx)
	if c.res.Stopped.IsZero() {
		c.res.Stopped = time.Now() // ended before Stop
	}
	if err := c.rc.Control(func(fd uintptr) {
		st, err := unix.GetsockoptTpacketStatsV3(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
		if err == nil {
			c.res.Drops = uint64(st.Drops)
		} else if c.err == nil {
			c.err = fmt.Errorf("read capture statistics: %w", err)
		}
	}); err != nil && c.err == nil {
		c.err = fmt.Errorf("read capture statistics: %w", err)
	}
	if err := c.ring.unmap(); err != nil && c.err == nil {
		c.err = err
	}
	if err := c.f.Close(); err != nil && c.err == nil {
		c.err = fmt.Errorf("close packet socket: %w", err)
	}
	c.res.Conns = c.tr.result()
	c.res.Untracked = uint64(c.tr.untracked)
	c.res.Foreign = uint64(c.tr.foreign)
	c.res.Cut = uint64(c.tr.cut)
}

// loop reads until Stop's drain is over, ctx ends or a read fails.
func (c *Capture) loop(ctx context.Context) error {
	if c.opts.gate != nil {
		select {
		case <-c.opts.gate:
		case <-ctx.Done():
		}
	}
	stopping := false
	var last time.Time // when a packet was last read, once stopping
	for {
		if !stopping {
			// A context that ended before Stop was seen wins: the capture
			// did not run to Stop.
			if ctx.Err() != nil {
				return fmt.Errorf("capture ended before Stop: %w", context.Cause(ctx))
			}
			select {
			case <-c.stop:
				stopping = true
				c.res.Stopped = c.stopAt
				last = c.stopAt
			default:
			}
		}
		now := time.Now()
		deadline := now.Add(pollTick)
		if stopping {
			quietEnd, hardEnd := last.Add(drainQuiet), c.stopAt.Add(drainMax)
			if !now.Before(quietEnd) {
				c.res.Quiet = true
				return nil
			}
			if !now.Before(hardEnd) {
				return nil
			}
			deadline = quietEnd
			if hardEnd.Before(deadline) {
				deadline = hardEnd
			}
		}
		if err := c.f.SetReadDeadline(deadline); err != nil {
			return fmt.Errorf("packet socket deadline: %w", err)
		}
		n, err := c.read()
		if n > 0 {
			last = time.Now()
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("read packet socket: %w", err)
		}
	}
}

// read hands the packets the ring holds to the tracker, waiting for the
// first ones until the read deadline.
func (c *Capture) read() (int, error) {
	n := 0
	err := c.rc.Read(func(uintptr) bool {
		got, bad := c.ring.read(c.handle)
		n += got
		c.res.Malformed += uint64(bad)
		return got+bad > 0 // nothing yet: wait for the socket
	})
	return n, err
}

// handle parses one packet and hands it to the tracker.
func (c *Capture) handle(b []byte, at time.Time, pktType uint8) {
	seg, err := parsePacket(b, at)
	if err != nil {
		c.res.Malformed++
		return
	}
	outgoing := pktType == unix.PACKET_OUTGOING
	if c.opts.tap != nil {
		c.opts.tap(outgoing, seg)
	}
	if outgoing && c.loopback {
		return // only with keepOutgoing: the received twin is tracked
	}
	c.res.Packets++
	c.tr.add(seg)
}

// htons converts a protocol number to network byte order as sll_protocol
// wants it.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

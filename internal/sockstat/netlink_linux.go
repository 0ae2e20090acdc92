//go:build linux

package sockstat

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// Limits and timings of the netlink sampler.
const (
	// recvBufLen is the receive buffer reused by every poll. The kernel fills
	// at most 32 KiB per read of a dump; the slack only costs memory.
	recvBufLen = 64 << 10
	// netlinkTimeout bounds a send or a read on the sock_diag socket, so a
	// kernel that never answers cannot hang the poll loop.
	netlinkTimeout = 5 * time.Second
	// probePort is the port the start-up probe filters on; any port will do,
	// the answer is thrown away.
	probePort = 1
	// procFDBatch is how many entries of a /proc/<pid>/fd the owner pass
	// reads at once.
	procFDBatch = 512
)

// errSamplerClosed is returned by Sample after Close.
var errSamplerClosed = errors.New("sampler closed")

// netlinkSampler dumps TCP sockets through one persistent NETLINK_SOCK_DIAG
// socket, with the watched ports compiled into an in-kernel filter. Once the
// port set is compiled a poll allocates nothing beyond dst's growth.
type netlinkSampler struct {
	fd     int // -1 after an I/O error; reopened by the next poll
	closed bool
	kind   dumpKind
	form   bcForm
	seq    uint32
	ready  bool     // reqs are compiled from given
	given  []uint16 // the port list reqs were compiled from, as given
	ports  []uint16 // given without 0, sorted, unique
	prog   []byte
	reqs   [][]byte // the dump requests of one poll: one, or one per family
	buf    []byte
	seen   map[Key]struct{}
	// tap, when set, sees every buffer read from the kernel (fixture capture).
	tap func([]byte)
}

// netlinkVariant is one way of asking: request kind and bytecode form.
type netlinkVariant struct {
	kind dumpKind
	form bcForm
}

func (v netlinkVariant) String() string { return v.kind.String() + "/" + v.form.String() }

// netlinkVariants in order of preference: cheapest request first, then
// single-port ops before the range form older kernels need.
var netlinkVariants = []netlinkVariant{
	{dumpOneWalk, formEq}, {dumpOneWalk, formRange},
	{dumpPerFamily, formEq}, {dumpPerFamily, formRange},
}

// newNetlink opens the sock_diag socket and keeps the first variant the
// kernel answers a probe dump for.
func newNetlink() (*netlinkSampler, error) {
	var errs []error
	for _, v := range netlinkVariants {
		n, err := newNetlinkVariant(v)
		if err == nil {
			return n, nil
		}
		errs = append(errs, err)
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.ENOENT) {
			break // not a refusal of this variant: netlink itself is unusable
		}
	}
	return nil, fmt.Errorf("probe sock_diag: %w", errors.Join(errs...))
}

// newNetlinkVariant opens a sampler using v and probes it with one dump.
func newNetlinkVariant(v netlinkVariant) (*netlinkSampler, error) {
	n := &netlinkSampler{fd: -1, kind: v.kind, form: v.form, buf: make([]byte, recvBufLen), seen: make(map[Key]struct{})}
	if err := n.open(); err != nil {
		return nil, err
	}
	if _, err := n.Sample([]uint16{probePort}, nil); err != nil {
		n.Close()
		return nil, fmt.Errorf("%s: %w", v, err)
	}
	return n, nil
}

// variant says how n asks the kernel.
func (n *netlinkSampler) variant() netlinkVariant { return netlinkVariant{n.kind, n.form} }

func (n *netlinkSampler) open() error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return fmt.Errorf("open sock_diag netlink socket: %w", err)
	}
	tv := unix.NsecToTimeval(netlinkTimeout.Nanoseconds())
	for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
			unix.Close(fd)
			return fmt.Errorf("set sock_diag socket timeout: %w", err)
		}
	}
	n.fd = fd
	return nil
}

// Source implements Sampler.
func (n *netlinkSampler) Source() string { return SourceNetlink }

// Close implements Sampler. Sample fails after Close.
func (n *netlinkSampler) Close() error {
	n.closed = true
	return n.closeFD()
}

func (n *netlinkSampler) closeFD() error {
	if n.fd < 0 {
		return nil
	}
	err := unix.Close(n.fd)
	n.fd = -1
	if err != nil {
		return fmt.Errorf("close sock_diag socket: %w", err)
	}
	return nil
}

// Sample implements Sampler: one filtered dump of IPv4 and IPv6 sockets.
func (n *netlinkSampler) Sample(ports []uint16, dst []Socket) ([]Socket, error) {
	if n.closed {
		return dst, errSamplerClosed
	}
	if !n.ready || !slices.Equal(ports, n.given) {
		if err := n.compile(ports); err != nil {
			return dst, err
		}
	}
	if len(n.ports) == 0 {
		return dst, nil
	}
	if n.fd < 0 {
		if err := n.open(); err != nil {
			return dst, err
		}
	}
	start := len(dst)
	for _, req := range n.reqs {
		var err error
		if dst, err = n.dump(req, dst); err != nil {
			// The socket may hold the rest of an unfinished dump, which would
			// make the next request fail with EBUSY: start afresh next time.
			n.closeFD()
			return dst[:start], fmt.Errorf("dump tcp sockets: %w", err)
		}
	}
	return dedupe(dst, start, n.seen), nil
}

// compile rebuilds the filter program and the two requests for ports. It runs
// only when the port list changes.
func (n *netlinkSampler) compile(ports []uint16) error {
	n.ready = false
	n.given = append(n.given[:0], ports...)
	n.ports = normalizePorts(n.ports[:0], ports)
	if len(n.ports) == 0 {
		n.ready = true
		return nil
	}
	prog, err := appendBytecode(n.prog[:0], n.ports, n.form)
	if err != nil {
		return fmt.Errorf("compile port filter: %w", err)
	}
	n.prog = prog
	n.reqs = appendRequests(n.reqs, n.kind, prog)
	n.ready = true
	return nil
}

// dump sends one request and appends the sockets of its answer to dst.
func (n *netlinkSampler) dump(req []byte, dst []Socket) ([]Socket, error) {
	n.seq++
	setSeq(req, n.seq)
	for {
		_, err := unix.Write(n.fd, req)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return dst, fmt.Errorf("send request: %w", err)
		}
	}
	for {
		k, err := unix.Read(n.fd, n.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dst, fmt.Errorf("read answer: %w", err)
		}
		if k == 0 {
			return dst, errors.New("read answer: socket closed")
		}
		if n.tap != nil {
			n.tap(n.buf[:k])
		}
		var done bool
		if dst, done, err = parseDump(n.buf[:k], n.seq, dst); err != nil || done {
			return dst, err
		}
	}
}

package tcpevents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// Source is a loaded and attached probe. SetPorts, Stats and Close are safe
// for concurrent use; Run runs at most once at a time.
type Source struct {
	log   *slog.Logger
	objs  probeObjects
	links []link.Link
	rd    *ringbuf.Reader
	// set is the ports map's single value, memory-mapped: one byte per port.
	set *ebpf.Memory
	// dec is used by Run only (one Run at a time).
	dec     *decoder
	running atomic.Bool

	delivered, malformed atomic.Uint64

	mu     sync.Mutex
	ports  map[uint16]struct{} // the set in the kernel map
	closed bool
}

// Open loads the probe, attaches it and opens its ring buffer. The port set
// starts empty: no event is delivered until SetPorts.
func Open(log *slog.Logger, cfg Config) (*Source, error) {
	ring := cfg.RingBytes
	if ring == 0 {
		ring = DefaultRingBytes
	}
	if ring < os.Getpagesize() || ring&(ring-1) != 0 {
		return nil, fmt.Errorf("tcpevents: ring buffer size %d is not a power of two of at least a page", ring)
	}
	if _, err := os.Stat(btfPath); err != nil {
		return nil, fmt.Errorf("%w: no kernel BTF (%v): the kernel needs CONFIG_DEBUG_INFO_BTF", ErrUnavailable, err)
	}
	spec, err := loadProbe()
	if err != nil {
		return nil, fmt.Errorf("parse embedded eBPF object: %w", err)
	}
	spec.Maps[probeMapEvents].MaxEntries = uint32(ring)
	if err := spec.Variables[probeVarWakeupNs].Set(uint64(wakeupBatch)); err != nil {
		return nil, fmt.Errorf("configure eBPF program: %w", err)
	}
	// One parse of the kernel's BTF serves readKernelBTF and CO-RE.
	cache := btf.NewCache()
	kern := readKernelBTF(log, cache)
	if kern.resetHasReason {
		if err := spec.Variables[probeVarSendResetHasReason].Set(uint8(1)); err != nil {
			return nil, fmt.Errorf("configure eBPF program: %w", err)
		}
	}

	s := &Source{log: log, ports: map[uint16]struct{}{}}
	if err := spec.LoadAndAssign(&s.objs, &ebpf.CollectionOptions{Cache: cache}); err != nil {
		return nil, classify("load eBPF program", err)
	}
	if s.set, err = s.objs.Ports.Memory(); err != nil {
		s.release()
		return nil, classify("map the port set", err)
	}
	for _, p := range []*ebpf.Program{s.objs.OnSetState, s.objs.OnSendReset, s.objs.OnReceiveReset} {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			s.release()
			return nil, classify("attach "+p.String(), err)
		}
		s.links = append(s.links, l)
	}
	if s.rd, err = ringbuf.NewReader(s.objs.Events); err != nil {
		s.release()
		return nil, classify("open ring buffer", err)
	}
	s.dec = newDecoder(clockOffset(), kern.resetReasons)
	log.Debug("tcpevents: probe attached", "ring_bytes", ring, "kernel", kernelRelease())
	return s, nil
}

// btfPath is where the kernel publishes its own BTF.
const btfPath = "/sys/kernel/btf/vmlinux"

// SetPorts makes the kernel filter hold exactly ports (duplicates and 0 are
// ignored). A socket matches when its local or its remote port is in the
// set; a connecting socket enters SYN_SENT before it has a local port, so
// clients are matched by the remote port.
func (s *Source) SetPorts(ports []uint16) error {
	want := make(map[uint16]struct{}, len(ports))
	for _, p := range ports {
		if p != 0 {
			want[p] = struct{}{}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("tcpevents: SetPorts on a closed source")
	}
	for p := range s.ports {
		if _, ok := want[p]; ok {
			continue
		}
		if _, err := s.set.WriteAt([]byte{0}, int64(p)); err != nil {
			return fmt.Errorf("unwatch port %d: %w", p, err)
		}
		delete(s.ports, p)
	}
	for p := range want {
		if _, ok := s.ports[p]; ok {
			continue
		}
		if _, err := s.set.WriteAt([]byte{1}, int64(p)); err != nil {
			return fmt.Errorf("watch port %d: %w", p, err)
		}
		s.ports[p] = struct{}{}
	}
	return nil
}

// Ports returns the watched ports, sorted.
func (s *Source) Ports() []uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]uint16, 0, len(s.ports))
	for p := range s.ports {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Run reads events until ctx ends (then it returns nil) and calls fn for
// each, in the order they were reserved in the ring buffer: time order, up
// to the nanoseconds between reserving a record and reading the clock for
// Mono on another CPU. fn runs on Run's goroutine and must not retain the
// *Event, which is reused. Close while Run runs makes Run return an error.
func (s *Source) Run(ctx context.Context, fn func(*Event)) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("tcpevents: Run called while already running")
	}
	defer s.running.Store(false)

	// The waker wakes a blocked read when ctx ends; Run stops it and waits
	// for it before returning.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			if err := s.rd.Flush(); err != nil && !errors.Is(err, os.ErrClosed) {
				s.log.Warn("tcpevents: wake ring buffer reader", "err", err)
			}
		case <-stop:
		}
	}()
	defer func() {
		close(stop)
		wg.Wait()
	}()

	var (
		rec        ringbuf.Record
		ev         Event
		lastOffset = time.Now()
		// armed: a look is due at the read deadline; found: records came
		// since it was set. See wakeupBatch: after finding records, Run
		// looks again wakeupBatch later for those queued without a wake-up.
		// It starts armed: records may have been queued without a wake-up
		// just before it started (after an earlier Run, or Open).
		armed, found = true, false
	)
	s.rd.SetDeadline(time.Now().Add(wakeupBatch))
	defer s.rd.SetDeadline(time.Time{})
	for ctx.Err() == nil {
		err := s.rd.ReadInto(&rec)
		if errors.Is(err, ringbuf.ErrFlushed) {
			continue // ctx ended, or a wake-up left over from an earlier Run
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			armed = found
			if armed {
				s.rd.SetDeadline(time.Now().Add(wakeupBatch))
			} else {
				s.rd.SetDeadline(time.Time{})
			}
			found = false
			continue
		}
		if err != nil {
			return fmt.Errorf("read ring buffer: %w", err)
		}
		found = true
		if !armed {
			armed = true
			s.rd.SetDeadline(time.Now().Add(wakeupBatch))
		}
		if !s.dec.decode(rec.RawSample, &ev) {
			if s.malformed.Add(1) == 1 {
				s.log.Error("tcpevents: ring buffer record of unexpected size", "bytes", len(rec.RawSample), "want", recordSize)
			}
			continue
		}
		s.delivered.Add(1)
		fn(&ev)
		if rec.Remaining == 0 && time.Since(lastOffset) > offsetRefresh {
			s.dec.offset, lastOffset = clockOffset(), time.Now()
		}
	}
	return nil
}

// Stats returns the event counts since Open.
func (s *Source) Stats() (Stats, error) {
	st := Stats{Delivered: s.delivered.Load(), Malformed: s.malformed.Load()}
	var per []uint64
	for i, dst := range []*uint64{&st.Matched, &st.Lost} {
		if err := s.objs.Counters.Lookup(uint32(i), &per); err != nil {
			return st, fmt.Errorf("read event counters: %w", err)
		}
		for _, v := range per {
			*dst += v
		}
	}
	return st, nil
}

// Close detaches the probe and frees its maps. Safe to call twice.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.release()
}

// release closes whatever Open got as far as creating.
func (s *Source) release() error {
	var errs []error
	if s.rd != nil {
		errs = append(errs, s.rd.Close())
	}
	for _, l := range s.links {
		errs = append(errs, l.Close())
	}
	errs = append(errs, s.objs.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close eBPF probe: %w", err)
	}
	return nil
}

// clockOffset measures wall-clock minus CLOCK_MONOTONIC (the clock of
// bpf_ktime_get_ns) in nanoseconds, from the tightest of a few samples.
func clockOffset() int64 {
	best, offset := int64(-1), int64(0)
	for range 5 {
		var a, b unix.Timespec
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &a)
		wall := time.Now().UnixNano()
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &b)
		width := b.Nano() - a.Nano()
		if best < 0 || width < best {
			best, offset = width, wall-(a.Nano()+width/2)
		}
	}
	return offset
}

// kernelBTF is what Open reads from the kernel's own BTF.
type kernelBTF struct {
	// resetHasReason: tcp_send_reset passes enum sk_rst_reason (6.10+).
	resetHasReason bool
	// resetReasons names enum sk_rst_reason's values (the numbering changes
	// between kernels), without the SK_RST_REASON_ prefix.
	resetReasons []string
}

// readKernelBTF finds the tcp_send_reset prototype and enum sk_rst_reason;
// on kernels without them (before 6.10) the zero value.
func readKernelBTF(log *slog.Logger, cache *btf.Cache) kernelBTF {
	var k kernelBTF
	spec, err := cache.Kernel()
	if err != nil {
		log.Debug("tcpevents: read kernel BTF", "err", err)
		return k
	}
	var td *btf.Typedef
	if err := spec.TypeByName("btf_trace_tcp_send_reset", &td); err == nil {
		if ptr, ok := td.Type.(*btf.Pointer); ok {
			if proto, ok := ptr.Target.(*btf.FuncProto); ok {
				// (void *ctx, sk, skb, reason)
				k.resetHasReason = len(proto.Params) >= 4
			}
		}
	}
	var e *btf.Enum
	if err := spec.TypeByName("sk_rst_reason", &e); err != nil {
		return k
	}
	for _, v := range e.Values {
		if v.Value > 1<<16 {
			continue
		}
		for len(k.resetReasons) <= int(v.Value) {
			k.resetReasons = append(k.resetReasons, "")
		}
		k.resetReasons[v.Value] = strings.TrimPrefix(v.Name, "SK_RST_REASON_")
	}
	return k
}

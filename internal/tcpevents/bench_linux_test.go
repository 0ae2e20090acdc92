package tcpevents

import (
	"context"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/connlab/connlab/internal/sockstat"
)

// benchChunk is how many records BenchmarkRun queues per timed drain; at
// 88 bytes each they fit benchRing.
const (
	benchChunk = 40_000
	benchRing  = 4 << 20
)

// writer builds, with no C toolchain, a socket-filter program that writes
// one copy of rec (with a fresh bpf_ktime_get_ns) to the source's ring
// buffer per run, so BPF_PROG_TEST_RUN with Repeat queues N records in one
// syscall: a cheap, in-kernel producer for benchmarking the reader.
func writer(tb testing.TB, s *Source, rec []byte) *ebpf.Program {
	tb.Helper()
	insns := asm.Instructions{
		asm.LoadMapPtr(asm.R1, s.objs.Events.FD()),
		asm.Mov.Imm(asm.R2, int32(len(rec))),
		asm.Mov.Imm(asm.R3, 0),
		asm.FnRingbufReserve.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.Mov.Reg(asm.R6, asm.R0),
	}
	for off := 0; off < len(rec); off += 4 {
		insns = append(insns, asm.StoreImm(asm.R6, int16(off), int64(int32(binary.NativeEndian.Uint32(rec[off:]))), asm.Word))
	}
	insns = append(insns,
		asm.FnKtimeGetNs.Call(),
		asm.StoreMem(asm.R6, offMono, asm.R0, asm.DWord),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Imm(asm.R2, 0),
		asm.FnRingbufSubmit.Call(),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("out"),
		asm.Return(),
	)
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SocketFilter, License: "Dual MIT/GPL", Instructions: insns})
	if err != nil {
		tb.Fatalf("load benchmark writer: %v", err)
	}
	tb.Cleanup(func() { prog.Close() })
	return prog
}

// BenchmarkRun is the user-space cost per event of the whole Run path: ring
// buffer read (ReadInto), decode, callback. Records are queued in the
// kernel with the timer stopped, then drained with it running; one op is
// one event, so allocs/op is allocations per event (the few that remain
// are Run's start-up per drain, its waker goroutine, spread over
// benchChunk events).
func BenchmarkRun(b *testing.B) {
	s := openOrSkip(b, Config{RingBytes: benchRing})
	a := netip.MustParseAddr("::ffff:127.0.0.1").As16()
	rec := record(Transition, afInet6, a[:], a[:], 8081, 40000, sockstat.Established, sockstat.FinWait1, 0, 1234, "server")
	prog := writer(b, s, rec)
	data := make([]byte, 14) // an Ethernet header's worth: the minimum test input

	b.ReportAllocs()
	b.StopTimer()
	for left := b.N; left > 0; {
		n := min(left, benchChunk)
		left -= n
		if _, err := prog.Run(&ebpf.RunOptions{Data: data, Repeat: uint32(n)}); err != nil {
			b.Fatalf("queue records: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		got := 0
		b.StartTimer()
		err := s.Run(ctx, func(e *Event) {
			if got++; got == n {
				cancel()
			}
		})
		b.StopTimer()
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	if st, _ := s.Stats(); st.Malformed != 0 {
		b.Fatalf("malformed records: %+v", st)
	}
}

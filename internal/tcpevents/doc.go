// Package tcpevents has one job: deliver, as they happen, the TCP state
// transitions and resets of the sockets on a set of watched ports, straight
// from the kernel.
//
// On Linux with root (or CAP_BPF and CAP_PERFMON) it loads a small eBPF
// program (bpf/probe.c, compiled ahead of time and committed: building needs
// no C toolchain) on three BTF-enabled tracepoints, which need no tracefs:
// inet_sock_set_state (every TCP state change), tcp_send_reset and
// tcp_receive_reset. The program keeps only sockets whose local or remote
// port is in an in-kernel map that [Source.SetPorts] updates, and writes one
// record per event to a ring buffer that [Source.Run] reads. Wake-ups of
// the reader are batched (wakeupBatch, 5 ms): an event reaches Run at most
// about that late, a busy port wakes Run at most 200 times a second, and an
// idle one never does.
//
// Elsewhere, or without the privileges, [Open] returns an error wrapping
// [ErrUnavailable] that says why, and callers fall back to polling.
package tcpevents

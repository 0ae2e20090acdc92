// SPDX-License-Identifier: (MIT OR GPL-2.0-only)
//
// probe.c: TCP state transitions and resets of the watched ports, written to
// a ring buffer for internal/tcpevents. bpf2go compiles it (see gen.go); the
// objects are committed, so building connlab needs no C toolchain.
//
// Three BTF-enabled tracepoints (tp_btf: no tracefs needed):
//   inet_sock_set_state(sk, oldstate, newstate)  every TCP state change
//   tcp_send_reset(sk, skb[, reason])            this host sends an RST
//   tcp_receive_reset(sk)                        a socket accepts an RST
// A socket matches when its local or remote port is set in the `ports`
// map, which user space updates as ports are watched and unwatched.
//
// Kernel structs are read by direct loads through the tracepoints' typed
// arguments (the verifier makes them fault-safe; no helper call), CO-RE
// relocated through the preserve_access_index types of kernel.h; the one
// field beyond struct sock (inet_sport) and packet bytes go through
// BPF_CORE_READ / bpf_probe_read_kernel.

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

// Sizes; user space may resize `events` before loading.
#define PORT_SPACE 65536          // one byte per TCP port in `ports`
#define RING_BYTES (512 * 1024)   // default ring buffer size

// Event kinds (tcpevents.Kind).
#define KIND_TRANSITION 1
#define KIND_RESET_SENT 2
#define KIND_RESET_RECEIVED 3

// Event flags.
#define FLAG_PID_KNOWN 1 // the current task held the socket's lock

// Counters (index into `counters`).
#define COUNTER_MATCHED 0 // events that matched the port set
#define COUNTER_LOST 1    // of those, dropped: ring buffer full
#define COUNTER_MAX 2

// event is one record in the ring buffer; tcpevents decodes it by offset
// (decode.go) and a test checks those offsets against bpf2go's Go type.
struct event {
	__u64 mono;      // bpf_ktime_get_ns (CLOCK_MONOTONIC)
	__u64 cookie;    // bpf_get_socket_cookie; 0 when no socket
	__u8 saddr[16];  // local address: 4 bytes (AF_INET) or 16 (AF_INET6)
	__u8 daddr[16];  // remote address
	__u16 sport;     // local port, host order (0 while connect picks one)
	__u16 dport;     // remote port, host order
	__u16 family;    // AF_INET or AF_INET6
	__u8 kind;       // KIND_*
	__u8 flags;      // FLAG_*
	__u8 oldstate;   // state before (resets: the state at the reset)
	__u8 newstate;   // state after (resets: same as oldstate)
	__u16 reason;    // enum sk_rst_reason (ResetSent, Linux 6.10+)
	__u32 pid;       // tgid of the current task (meaningful with FLAG_PID_KNOWN)
	char comm[16];   // comm of the current task (likewise)
};

// The watched ports: one byte per port, non-zero when watched. A single
// array element, memory-mapped by user space, which flips bytes in place; a
// lookup is inlined by the verifier, so a socket on no watched port costs
// two loads here rather than two hash lookups (measured: 270 -> 150 ns per
// call on this VM, empty program 80 ns).
struct port_set {
	__u8 on[PORT_SPACE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct port_set);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RING_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

// Wake-ups are batched: waking the reader costs more than the rest of an
// event (on this VM 2.1 us per event with a wake-up each, 0.4 us without).
// The first event after a quiet wakeup_ns wakes it at once; later ones ride
// along, and the reader, once woken, looks again wakeup_ns after it last
// found records (tcpevents.Run). So an event waits at most about wakeup_ns,
// and an idle reader is never woken.
volatile const __u64 wakeup_ns = 0; // set by user space before loading
__u64 last_wakeup = 0;               // bpf_ktime_get_ns of the last wake-up

static __always_inline __u64 wakeup_flags(__u64 now)
{
	if (now - last_wakeup < wakeup_ns)
		return BPF_RB_NO_WAKEUP;
	last_wakeup = now; // racy across CPUs: at worst both wake the reader
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline const struct port_set *port_set(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&ports, &zero);
}

// watched reports whether port (host order) is in the set; port 0 never is.
static __always_inline int watched(const struct port_set *set, __u16 port)
{
	return port != 0 && set->on[port];
}

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	// Atomic: a softirq can interrupt this program on the same CPU.
	if (v)
		__sync_fetch_and_add(v, 1);
}

// reserve counts a matched event and reserves its record, zeroed, or
// counts it lost.
static __always_inline struct event *reserve(void)
{
	// Always false; the relocation keeps struct event in the object's BTF,
	// where bpf2go finds it to generate the Go type (no global needed).
	if (bpf_core_type_id_local(struct event) == 0)
		return 0;
	count(COUNTER_MATCHED);
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(COUNTER_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->mono = bpf_ktime_get_ns();
	return e;
}

// fill_sock copies the 4-tuple from the sock_common that every kind of
// socket (full, TIME_WAIT, request) starts with.
static __always_inline void fill_sock(struct event *e, const struct sock *sk, __u16 family)
{
	e->family = family;
	if (family == AF_INET6) {
		__builtin_memcpy(e->saddr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		__builtin_memcpy(e->daddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
	} else {
		__be32 a = sk->__sk_common.skc_rcv_saddr;
		__builtin_memcpy(e->saddr, &a, 4);
		a = sk->__sk_common.skc_daddr;
		__builtin_memcpy(e->daddr, &a, 4);
	}
}

// fill_task records the current task when it holds the socket's lock: then
// it is the process acting on this socket (a syscall such as connect, close
// or shutdown, or its own backlog processing). Otherwise the code runs in
// softirq or a timer, on behalf of whichever task the CPU happened to run
// (on loopback: the peer that sent the segment), so pid and comm are left 0.
static __always_inline void fill_task(struct event *e, const struct sock *sk)
{
	if (!sk->sk_lock.owned)
		return;
	e->flags |= FLAG_PID_KNOWN;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
}

// emit_sock writes one event about sk if one of its ports is watched. full
// says sk is a full socket (not TIME_WAIT or request), which has sk_lock.
static __always_inline int emit_sock(const struct sock *sk, __u8 kind, __u8 oldstate,
				     __u8 newstate, __u16 reason, int full)
{
	__u16 sport = sk->__sk_common.skc_num;
	// Entering CLOSE, a socket has already released its port (skc_num is 0,
	// unless bind pinned it); a full socket still has it in inet_sport.
	if (sport == 0 && full)
		sport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	__u16 dport = bpf_ntohs(sk->__sk_common.skc_dport);
	const struct port_set *set = port_set();
	if (!set || (!watched(set, sport) && !watched(set, dport)))
		return 0;
	__u16 family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;

	struct event *e = reserve();
	if (!e)
		return 0;
	e->cookie = bpf_get_socket_cookie((void *)sk);
	e->sport = sport;
	e->dport = dport;
	e->kind = kind;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->reason = reason;
	fill_sock(e, sk, family);
	if (full)
		fill_task(e, sk);
	bpf_ringbuf_submit(e, wakeup_flags(e->mono));
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_set_state, const struct sock *sk, int oldstate, int newstate)
{
	// The tracepoint also fires for other protocols (SCTP, MPTCP's own socket).
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	return emit_sock(sk, KIND_TRANSITION, oldstate, newstate, 0, 1);
}

// emit_skb handles an RST sent in reply to a segment that found no socket,
// or only a listener (sk: an ACK for a connection this host no longer
// has, as after a server restart): the 4-tuple comes from the segment,
// reversed (its destination is local).
static __always_inline int emit_skb(const struct sk_buff *skb, const struct sock *sk,
				    __u8 state, __u16 reason)
{
	unsigned char *head = skb->head;
	unsigned char *data = skb->data;
	__u16 nh = skb->network_header;
	__be16 th[2]; // source, dest: the first 4 bytes of the TCP header at skb->data
	if (bpf_probe_read_kernel(th, sizeof(th), data))
		return 0;
	__u16 sport = bpf_ntohs(th[1]), dport = bpf_ntohs(th[0]);
	const struct port_set *set = port_set();
	if (!set || (!watched(set, sport) && !watched(set, dport)))
		return 0;
	__u8 ver;
	if (bpf_probe_read_kernel(&ver, 1, head + nh))
		return 0;
	ver >>= 4;
	if (ver != 4 && ver != 6)
		return 0;

	struct event *e = reserve();
	if (!e)
		return 0;
	if (sk)
		e->cookie = bpf_get_socket_cookie((void *)sk);
	e->sport = sport;
	e->dport = dport;
	e->kind = KIND_RESET_SENT;
	e->oldstate = state;
	e->newstate = state;
	e->reason = reason;
	if (ver == 6) {
		e->family = AF_INET6;
		bpf_probe_read_kernel(e->daddr, 16, head + nh + 8);  // ipv6hdr.saddr
		bpf_probe_read_kernel(e->saddr, 16, head + nh + 24); // ipv6hdr.daddr
	} else {
		e->family = AF_INET;
		bpf_probe_read_kernel(e->daddr, 4, head + nh + 12); // iphdr.saddr
		bpf_probe_read_kernel(e->saddr, 4, head + nh + 16); // iphdr.daddr
	}
	bpf_ringbuf_submit(e, wakeup_flags(e->mono));
	return 0;
}

// Set by user space before loading when tcp_send_reset has its third
// argument, enum sk_rst_reason (Linux 6.10+), as the tracepoint's prototype
// in the kernel's BTF says. A constant to the verifier: on older kernels it
// drops the branch that reads ctx[2] and never rejects it.
volatile const __u8 send_reset_has_reason = 0;

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	__u16 reason = 0;
	if (send_reset_has_reason)
		reason = (__u16)ctx[2];
	if (!sk)
		return skb ? emit_skb(skb, 0, 0, reason) : 0;
	__u8 state = sk->__sk_common.skc_state;
	// A listener knows no peer: take the 4-tuple from the segment.
	if (state == TCP_LISTEN && skb)
		return emit_skb(skb, sk, state, reason);
	int full = state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV;
	return emit_sock(sk, KIND_RESET_SENT, state, state, reason, full);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(on_receive_reset, const struct sock *sk)
{
	__u8 state = sk->__sk_common.skc_state;
	return emit_sock(sk, KIND_RESET_RECEIVED, state, state, 0, 1);
}

// GPL-compatible: bpf_probe_read_kernel (behind BPF_CORE_READ) is GPL-only.
char LICENSE[] SEC("license") = "Dual MIT/GPL";

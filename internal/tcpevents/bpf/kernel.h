/* SPDX-License-Identifier: (MIT OR GPL-2.0-only) */
/*
 * kernel.h: the few kernel types probe.c reads, written by hand instead of a
 * generated multi-megabyte vmlinux.h. Every struct is marked
 * preserve_access_index, so clang emits CO-RE relocations and the loader
 * (github.com/cilium/ebpf) resolves each field by name against the running
 * kernel's BTF (/sys/kernel/btf/vmlinux): the layout written here does not
 * matter, only the names and the field types' sizes. Members that the kernel
 * keeps inside anonymous unions or structs are declared directly; CO-RE finds
 * them through the anonymous members.
 */
#ifndef CONNLAB_KERNEL_H
#define CONNLAB_KERNEL_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

/* uapi constants (include/uapi/linux/bpf.h, socket.h, in.h, tcp_states.h):
 * ABI, stable across kernels. */
enum {
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_RINGBUF = 27,
};
#define BPF_F_MMAPABLE (1U << 10)
#define BPF_RB_NO_WAKEUP (1ULL << 0)
#define BPF_RB_FORCE_WAKEUP (1ULL << 1)
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define TCP_TIME_WAIT 6
#define TCP_LISTEN 10
#define TCP_NEW_SYN_RECV 12

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;     /* remote IPv4 address */
	__be32 skc_rcv_saddr; /* local IPv4 address */
	__be16 skc_dport;     /* remote port, network order */
	__u16 skc_num;        /* local port, host order */
	unsigned short skc_family;
	volatile unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

/* socket_lock_t: owned is set while a task holds the socket (lock_sock). */
typedef struct {
	int owned;
} __attribute__((preserve_access_index)) socket_lock_t;

struct sock {
	struct sock_common __sk_common;
	socket_lock_t sk_lock;
	__u16 sk_protocol;
} __attribute__((preserve_access_index));

/* inet_sport keeps the local port (network order) after tcp_set_state(CLOSE)
 * has released the bound port and zeroed skc_num. */
struct inet_sock {
	__be16 inet_sport;
} __attribute__((preserve_access_index));

struct sk_buff {
	unsigned char *head;
	unsigned char *data;
	__u16 network_header;
} __attribute__((preserve_access_index));

#endif

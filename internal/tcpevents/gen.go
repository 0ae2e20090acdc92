package tcpevents

// The BPF objects are generated from bpf/probe.c and committed. Regenerate
// with `make ebpf` (needs Debian's clang-14, llvm-14 and libbpf-dev: `make
// deps-ebpf`); `make check-ebpf` fails when the committed files are stale.
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go@v0.22.0 -cc clang-14 -strip llvm-strip-14 -target bpfel,bpfeb -tags linux -type event probe bpf/probe.c -- -O2 -Wall -Werror -mcpu=v3

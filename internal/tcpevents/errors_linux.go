package tcpevents

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// Capabilities (include/uapi/linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// minKernel is the oldest kernel the probe loads on: bpf_get_socket_cookie
// from tracing programs arrived in 5.12 (tp_btf in 5.5, ring buffers in 5.8).
const minKernel = "5.12"

// classify wraps err from op, marking the expected reasons (privileges,
// kernel features) with ErrUnavailable and a hint for the user.
func classify(op string, err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("%w: %s: %s: %w", ErrUnavailable, permHint(), op, err)
	case errors.Is(err, ebpf.ErrNotSupported):
		return fmt.Errorf("%w: kernel %s lacks a feature (needs %s or later): %s: %w", ErrUnavailable, kernelRelease(), minKernel, op, err)
	}
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) && kernelOlderThan(5, 12) {
		return fmt.Errorf("%w: kernel %s is older than %s: %s: %w", ErrUnavailable, kernelRelease(), minKernel, op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// permHint says which privileges are missing, from the effective
// capability set, or that kernel lockdown forbids reading kernel memory.
func permHint() string {
	if b, err := os.ReadFile("/sys/kernel/security/lockdown"); err == nil && strings.Contains(string(b), "[confidentiality]") {
		return "kernel lockdown (confidentiality) forbids eBPF tracing"
	}
	var (
		hdr  = unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		data [2]unix.CapUserData
	)
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return "needs root, or CAP_BPF and CAP_PERFMON"
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	var missing []string
	if !has(capBPF) && !has(capSysAdmin) {
		missing = append(missing, "CAP_BPF")
	}
	if !has(capPerfmon) && !has(capSysAdmin) {
		missing = append(missing, "CAP_PERFMON")
	}
	if len(missing) == 0 {
		return "has CAP_BPF and CAP_PERFMON; a security module may forbid eBPF"
	}
	return "needs root, or CAP_BPF and CAP_PERFMON (sudo setcap cap_bpf,cap_perfmon+ep on the binary): missing " + strings.Join(missing, " and ")
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// kernelOlderThan reports whether the running kernel is older than
// major.minor; false when the release cannot be parsed.
func kernelOlderThan(major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(kernelRelease(), "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma < major || ma == major && mi < minor
}

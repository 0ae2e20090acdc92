// Package sysinfo reads what the host says about itself that shapes TCP
// connection behaviour: OS, architecture, kernel release, and the kernel
// knobs under /proc/sys (ephemeral port range, TIME_WAIT reuse, keepalive
// timings, backlog limits), and whether connlab may name the processes
// owning other users' sockets. Off Linux the knobs are absent.
package sysinfo

import (
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Info describes the host.
type Info struct {
	OS, Arch, Kernel string
	// Knobs maps a sysctl name (net.ipv4.tcp_fin_timeout) to its value,
	// trimmed, whitespace runs folded to one space. A knob that cannot be
	// read is absent.
	Knobs map[string]string
	// EphemeralPorts is how many local ports net.ipv4.ip_local_port_range
	// offers outgoing connections (hi-lo+1), 0 when unknown.
	EphemeralPorts int
	// UID is the effective user id connlab runs as (-1 on Windows).
	UID int
	// OwnersNote says why the process owning some sockets cannot be named
	// (not root, or root without ptrace access to some processes); "" when
	// every owner can be.
	OwnersNote string
}

// PortRange is the knob holding the ephemeral port range.
const PortRange = "net.ipv4.ip_local_port_range"

// KnobNames lists the knobs Read reports, in display order.
var KnobNames = []string{
	PortRange,
	"net.ipv4.tcp_tw_reuse",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_max_tw_buckets",
	"net.core.somaxconn",
}

// Read describes this host. It never fails: what cannot be read is left out.
func Read() Info {
	info := Info{OS: runtime.GOOS, Arch: runtime.GOARCH, Kernel: kernelRelease(), Knobs: map[string]string{}}
	if fsys := procSys(); fsys != nil {
		info.Knobs = readKnobs(fsys)
	}
	info.EphemeralPorts = ephemeralPorts(info.Knobs[PortRange])
	info.UID = os.Geteuid()
	info.OwnersNote = ownersNote()
	return info
}

// readKnobs reads KnobNames from fsys, a view of /proc/sys.
func readKnobs(fsys fs.FS) map[string]string {
	knobs := make(map[string]string, len(KnobNames))
	for _, name := range KnobNames {
		b, err := fs.ReadFile(fsys, strings.ReplaceAll(name, ".", "/"))
		if err != nil {
			continue
		}
		knobs[name] = cleanValue(string(b))
	}
	return knobs
}

// cleanValue trims a /proc/sys value and folds runs of whitespace (the port
// range is "32768\t60999\n") into one space.
func cleanValue(raw string) string {
	return strings.Join(strings.Fields(raw), " ")
}

// ephemeralPorts counts the ports of a "lo hi" range, 0 when malformed.
func ephemeralPorts(portRange string) int {
	f := strings.Fields(portRange)
	if len(f) != 2 {
		return 0
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || hi < lo {
		return 0
	}
	return hi - lo + 1
}

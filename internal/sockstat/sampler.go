package sockstat

import (
	"fmt"
	"log/slog"
	"slices"
)

// Sources a Sampler reports.
const (
	SourceNetlink  = "netlink"
	SourceGopsutil = "gopsutil"
)

// Modes New accepts.
const (
	ModeAuto     = "auto"
	ModeNetlink  = "netlink"
	ModeGopsutil = "gopsutil"
)

// New returns the Sampler for mode: "netlink" (Linux sock_diag, an error when
// unavailable), "gopsutil" (portable), or "auto" (netlink when a probe dump
// succeeds, else gopsutil, logging why).
func New(log *slog.Logger, mode string) (Sampler, error) {
	switch mode {
	case ModeAuto:
		n, err := newNetlink()
		if err == nil {
			log.Info("socket sampler", "source", SourceNetlink, "request", n.variant().String())
			return n, nil
		}
		log.Warn("netlink sock_diag unavailable, falling back to gopsutil", "err", err)
		return newGopsutil(), nil
	case ModeNetlink:
		n, err := newNetlink()
		if err != nil {
			return nil, fmt.Errorf("netlink sampler: %w", err)
		}
		log.Info("socket sampler", "source", SourceNetlink, "request", n.variant().String())
		return n, nil
	case ModeGopsutil:
		log.Info("socket sampler", "source", SourceGopsutil)
		return newGopsutil(), nil
	}
	return nil, fmt.Errorf("sampler mode %q: want %s, %s or %s", mode, ModeAuto, ModeNetlink, ModeGopsutil)
}

// SourceNote is what a user should know about a sampler source on an OS
// (runtime.GOOS spelling), or "" when there is nothing to say.
func SourceNote(source, goos string) string {
	if source != SourceGopsutil {
		return ""
	}
	switch goos {
	case "darwin":
		return "TIME_WAIT is invisible on macOS: lsof cannot see sockets no process owns"
	case "freebsd", "openbsd", "netbsd", "dragonfly":
		return "TIME_WAIT is invisible on " + goos + ": lsof cannot see sockets no process owns"
	case "linux":
		return "netlink sock_diag is unavailable: reading /proc through gopsutil (slower, no timers or tcp_info)"
	case "windows":
		return "timers and tcp_info are not available from the Windows connection table"
	}
	return ""
}

// normalizePorts appends to dst the ports without 0 (a socket with no peer
// has destination port 0: "dport == 0" would match every listener), sorted
// and without duplicates.
func normalizePorts(dst, ports []uint16) []uint16 {
	for _, p := range ports {
		if p != 0 {
			dst = append(dst, p)
		}
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// dedupe drops from dst[start:] every socket whose 4-tuple appeared earlier in
// that range, keeping the first. A read of the kernel's tables is not atomic:
// under churn the same connection can be reported twice. Listeners are kept
// as they are: SO_REUSEPORT lets several share one tuple. seen is scratch
// space reused across calls, so a steady state allocates nothing.
func dedupe(dst []Socket, start int, seen map[Key]struct{}) []Socket {
	if len(dst)-start < 2 {
		return dst
	}
	clear(seen)
	out := start
	for i := start; i < len(dst); i++ {
		s := &dst[i]
		if s.State != Listen {
			k := s.Key()
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
		}
		dst[out] = *s
		out++
	}
	return dst[:out]
}

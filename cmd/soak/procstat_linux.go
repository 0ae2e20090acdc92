package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// readProc reads /proc/PID/{status,stat,fd}.
func readProc(pid int) (procStat, error) {
	var st procStat
	dir := fmt.Sprintf("/proc/%d", pid)
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return st, fmt.Errorf("read process status: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		switch {
		case k == "VmRSS" && len(f) == 2 && f[1] == "kB":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return st, fmt.Errorf("parse VmRSS %q: %w", v, err)
			}
			st.rss = n << 10
		case k == "Threads" && len(f) == 1:
			if st.threads, err = strconv.Atoi(f[0]); err != nil {
				return st, fmt.Errorf("parse Threads %q: %w", v, err)
			}
		}
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return st, fmt.Errorf("read process stat: %w", err)
	}
	if st.cpu, err = parseCPU(stat); err != nil {
		return st, err
	}
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		return st, fmt.Errorf("list process fds: %w", err)
	}
	st.fds = len(fds)
	return st, nil
}

// hostTimeWait is the number of sockets in TIME_WAIT in this network
// namespace (the tw field of /proc/net/sockstat).
func hostTimeWait() (int, error) {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return 0, fmt.Errorf("read sockstat: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "TCP:" {
			continue
		}
		for i := 1; i+1 < len(f); i += 2 {
			if f[i] == "tw" {
				return strconv.Atoi(f[i+1])
			}
		}
	}
	return 0, fmt.Errorf("read sockstat: no TCP tw field")
}

// timeWaitLimits reads the size of the ephemeral port range and
// tcp_max_tw_buckets.
func timeWaitLimits() (ephemeral, buckets int, err error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, fmt.Errorf("read ip_local_port_range: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("read ip_local_port_range: %q", b)
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("read ip_local_port_range: %w", err)
	}
	b, err = os.ReadFile("/proc/sys/net/ipv4/tcp_max_tw_buckets")
	if err != nil {
		return 0, 0, fmt.Errorf("read tcp_max_tw_buckets: %w", err)
	}
	if buckets, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		return 0, 0, fmt.Errorf("read tcp_max_tw_buckets: %w", err)
	}
	return hi - lo + 1, buckets, nil
}

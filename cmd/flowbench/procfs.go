package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat and /proc/stat
// (USER_HZ: 100 on every Linux architecture Go supports).
const userHZ = 100

// tick is one USER_HZ clock tick.
const tick = time.Second / userHZ

// parsePidStat returns utime+stime of a /proc/PID/stat line. The command
// name (field 2) is in parentheses and may hold spaces and parentheses:
// fields are counted after its last ')'.
func parsePidStat(line string) (time.Duration, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, fmt.Errorf("pid stat %.40q: no command name", line)
	}
	// After ')': state is field 3, utime field 14, stime field 15.
	f := strings.Fields(line[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("pid stat: %d fields after the command, want 13 or more", len(f))
	}
	var total uint64
	for _, s := range f[11:13] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("pid stat: utime/stime %q: %w", s, err)
		}
		total += n
	}
	return time.Duration(total) * tick, nil
}

// parseSchedstat returns the run time of a /proc/PID/task/TID/schedstat
// line: "<ns on CPU> <ns waiting> <timeslices>".
func parseSchedstat(line string) (time.Duration, error) {
	f := strings.Fields(line)
	if len(f) < 1 {
		return 0, fmt.Errorf("schedstat %q: empty", line)
	}
	n, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("schedstat %q: %w", line, err)
	}
	return time.Duration(n), nil
}

// machineCPU is the aggregate "cpu" line of /proc/stat.
type machineCPU struct {
	busy  time.Duration // user+nice+system+irq+softirq (guest time is inside user)
	idle  time.Duration // idle+iowait
	steal time.Duration // taken by the hypervisor: neither ours nor idle
}

// parseProcStat reads the aggregate "cpu " line of /proc/stat.
func parseProcStat(text string) (machineCPU, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "cpu" {
			continue
		}
		if len(f) < 8 {
			return machineCPU{}, fmt.Errorf("/proc/stat cpu line has %d fields, want 8 or more", len(f))
		}
		var v [7]uint64 // user nice system idle iowait irq softirq
		for i := range v {
			n, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				return machineCPU{}, fmt.Errorf("/proc/stat cpu field %d: %w", i+1, err)
			}
			v[i] = n
		}
		var steal uint64
		if len(f) > 8 {
			steal, _ = strconv.ParseUint(f[8], 10, 64)
		}
		return machineCPU{
			busy:  time.Duration(v[0]+v[1]+v[2]+v[5]+v[6]) * tick,
			idle:  time.Duration(v[3]+v[4]) * tick,
			steal: time.Duration(steal) * tick,
		}, nil
	}
	return machineCPU{}, fmt.Errorf("/proc/stat: no aggregate cpu line")
}

// bpfProg is one BPF program's run statistics from /proc/PID/fdinfo (the
// kernel counts them only while statistics are enabled), and the
// tracepoint its link attaches it to.
type bpfProg struct {
	id      uint64
	tp      string        // tracepoint name, from the link's fdinfo ("" if unlinked)
	runTime time.Duration // run_time_ns
	runs    uint64        // run_cnt
}

// fdinfo is what a /proc/PID/fdinfo/N file says about BPF.
type fdinfo struct {
	prog    bool   // a BPF program: runTime and runs are set
	link    bool   // a BPF link: tp names the tracepoint of progID
	progID  uint64 // the program (of the link)
	tp      string
	runTime time.Duration
	runs    uint64
}

// parseFdinfo reads a /proc/PID/fdinfo/N file; it has neither prog nor
// link set for anything else (files, sockets, maps).
func parseFdinfo(text string) fdinfo {
	var f fdinfo
	var haveID bool
	for line := range strings.Lines(text) {
		k, v, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		v = strings.TrimSpace(v)
		n, err := strconv.ParseUint(v, 10, 64)
		switch k {
		case "prog_type":
			f.prog = true
		case "link_type":
			f.link = true
		case "tp_name":
			f.tp = v
		case "prog_id":
			f.progID, haveID = n, err == nil
		case "run_time_ns":
			f.runTime = time.Duration(n)
		case "run_cnt":
			f.runs = n
		}
	}
	if !haveID {
		return fdinfo{}
	}
	return f
}

// bpfPrograms joins the fdinfo of one process's descriptors into its
// programs (each once, named by the tracepoint a link attaches it to), in
// the order met.
func bpfPrograms(infos []fdinfo) []bpfProg {
	tp := map[uint64]string{}
	for _, f := range infos {
		if f.link && f.tp != "" {
			tp[f.progID] = f.tp
		}
	}
	seen := map[uint64]bool{}
	var out []bpfProg
	for _, f := range infos {
		if f.prog && !seen[f.progID] {
			seen[f.progID] = true
			out = append(out, bpfProg{id: f.progID, tp: tp[f.progID], runTime: f.runTime, runs: f.runs})
		}
	}
	return out
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// procCPU is a process's CPU time so far, two ways: the sum of its threads'
// schedstat run times (nanoseconds; threads that exited are missing, rare
// in Go) and utime+stime of /proc/PID/stat (whole process, in 10 ms ticks).
type procCPU struct {
	sched time.Duration
	stat  time.Duration
}

func (a procCPU) sub(b procCPU) procCPU { return procCPU{a.sched - b.sched, a.stat - b.stat} }

// readProcCPU reads pid's CPU time.
func readProcCPU(pid int) (procCPU, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return procCPU{}, fmt.Errorf("read cpu of %d: %w", pid, err)
	}
	var c procCPU
	if c.stat, err = parsePidStat(string(b)); err != nil {
		return procCPU{}, err
	}
	tasks, err := filepath.Glob(dir + "/task/*/schedstat")
	if err != nil || len(tasks) == 0 {
		return procCPU{}, fmt.Errorf("read threads of %d: none found", pid)
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited between the glob and the read
		}
		d, err := parseSchedstat(string(b))
		if err != nil {
			return procCPU{}, err
		}
		c.sched += d
	}
	return c, nil
}

// readMachineCPU reads the aggregate CPU line of /proc/stat.
func readMachineCPU() (machineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}, fmt.Errorf("read machine cpu: %w", err)
	}
	return parseProcStat(string(b))
}

// readBPFProgs returns the run statistics of the BPF programs pid holds.
func readBPFProgs(pid int) ([]bpfProg, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fdinfo"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read bpf programs of %d: %w", pid, err)
	}
	var infos []fdinfo
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		infos = append(infos, parseFdinfo(string(b)))
	}
	return bpfPrograms(infos), nil
}

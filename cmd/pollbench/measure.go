//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
	"golang.org/x/sys/unix"
)

// measure is the per-poll cost of one method at one population.
type measure struct {
	cpu, wall time.Duration // per poll
	sockets   int           // sockets of port P the last poll saw
	polls     int
}

// measureSampler polls s for port in this process; CPU is the process's
// rusage delta (user+system, GC included) over the polls.
func measureSampler(ctx context.Context, s sockstat.Sampler, port uint16) (measure, error) {
	ports := []uint16{port}
	dst := make([]sockstat.Socket, 0, 256)
	var err error
	for range 3 { // warm up: compile the filter, size dst
		if dst, err = s.Sample(ports, dst[:0]); err != nil {
			return measure{}, fmt.Errorf("%s: %w", s.Source(), err)
		}
	}
	runtime.GC()
	r0, t0 := cpuSelf(), time.Now()
	polls := 0
	for polls < maxPolls && (polls < minPolls || time.Since(t0) < budget) && ctx.Err() == nil {
		if dst, err = s.Sample(ports, dst[:0]); err != nil {
			return measure{}, fmt.Errorf("%s: %w", s.Source(), err)
		}
		polls++
	}
	wall, cpu := time.Since(t0), cpuSelf()-r0
	return measure{cpu: cpu / time.Duration(polls), wall: wall / time.Duration(polls), sockets: len(dst), polls: polls}, ctx.Err()
}

// measureSS runs ss as a process per poll; CPU is the child's rusage, wall
// time spans fork to wait.
func measureSS(ctx context.Context, port uint16) (measure, error) {
	filter := fmt.Sprintf("( sport = :%d or dport = :%d )", port, port)
	var m measure
	var cpu, wall time.Duration
	start := time.Now()
	for m.polls < maxPolls && (m.polls < minPolls || time.Since(start) < budget) && ctx.Err() == nil {
		cmd := exec.CommandContext(ctx, "ss", "-Htan", filter)
		t0 := time.Now()
		out, err := cmd.Output()
		wall += time.Since(t0)
		if err != nil {
			return m, fmt.Errorf("ss: %w", err)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.sockets = bytes.Count(out, []byte("\n"))
		m.polls++
	}
	m.cpu, m.wall = cpu/time.Duration(m.polls), wall/time.Duration(m.polls)
	return m, ctx.Err()
}

// cpuSelf is this process's user+system CPU time so far.
func cpuSelf() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

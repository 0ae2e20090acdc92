package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat: the kernel
// exports them in USER_HZ, which is 100 on every Linux architecture Go
// supports.
const userHZ = 100

// procStat is what /proc says about one process.
type procStat struct {
	rss     int64 // bytes (VmRSS)
	threads int
	fds     int
	cpu     time.Duration // utime + stime
}

// parseCPU returns utime+stime of a /proc/PID/stat line. The command name
// (field 2) is in parentheses and may hold spaces and parentheses: fields
// are counted after the last ')'; utime and stime are fields 14 and 15.
func parseCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse process stat: no ')' in %q", stat)
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("parse process stat: %d fields after the name", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse process stat: utime/stime %q: %w", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

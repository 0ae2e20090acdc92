//go:build linux || darwin

package connlimit

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// RaiseFileLimit raises the soft limit on open files (RLIMIT_NOFILE) to the
// hard limit and returns the limit now in force. The Go runtime already does
// this at startup on most systems; calling it again costs nothing and
// reports the figure the caps are sized from. When raising fails the soft
// limit is returned with the error.
func RaiseFileLimit() (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read the open-file limit: %w", err)
	}
	if lim.Cur >= lim.Max {
		return lim.Cur, nil
	}
	soft := lim.Cur
	lim.Cur = lim.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return soft, fmt.Errorf("raise the open-file limit from %d to %d: %w", soft, lim.Max, err)
	}
	return lim.Max, nil
}

//go:build !(linux || darwin)

package connlimit

// RaiseFileLimit reports 0 (unknown): this system has no RLIMIT_NOFILE the
// package knows how to read.
func RaiseFileLimit() (uint64, error) { return 0, nil }

//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sysinfo

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// kernelRelease is uname -r, "" when unknown.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	r := u.Release[:]
	if i := bytes.IndexByte(r, 0); i >= 0 {
		r = r[:i]
	}
	return string(r)
}

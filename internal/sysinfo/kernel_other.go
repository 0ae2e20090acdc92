//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package sysinfo

func kernelRelease() string { return "" }

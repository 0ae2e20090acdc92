//go:build !linux

package main

import "errors"

var errNotLinux = errors.New("soak reads /proc: it runs on Linux only")

func readProc(int) (procStat, error)                      { return procStat{}, errNotLinux }
func hostTimeWait() (int, error)                          { return 0, errNotLinux }
func timeWaitLimits() (ephemeral, buckets int, err error) { return 0, 0, errNotLinux }

//go:build !linux

// Command pollbench measures the socket samplers; it needs Linux.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Printf("pollbench measures the netlink sampler against ss and gopsutil on Linux; nothing to measure on %s\n", runtime.GOOS)
}

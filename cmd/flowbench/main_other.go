//go:build !linux

// Command flowbench measures Watch's kernel transitions (eBPF) against its
// polls; it needs Linux.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Printf("flowbench measures connlab's eBPF transitions against its polls on Linux; nothing to measure on %s\n", runtime.GOOS)
}

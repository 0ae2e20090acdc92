//go:build linux

package main

import (
	"net"

	"github.com/connlab/connlab/internal/hostpop"
)

// portPopulation listens on a kernel-picked loopback port P and connects
// pairs ESTABLISHED pairs to it.
func portPopulation(pairs int) (uint16, func(), error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	var conns []net.Conn
	for range pairs {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			hostpop.Abort(conns)
			ln.Close()
			return 0, nil, err
		}
		s, err := ln.Accept()
		if err != nil {
			hostpop.Abort(append(conns, c))
			ln.Close()
			return 0, nil, err
		}
		conns = append(conns, c, s)
	}
	return uint16(ln.Addr().(*net.TCPAddr).Port), func() { hostpop.Abort(conns); ln.Close() }, nil
}

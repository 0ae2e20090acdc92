package hostpop

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// IfHolder makes this process a holder when a Population started it: it
// connects its pairs, says so, holds them until its parent stops it, aborts
// them and exits the process. Otherwise it returns at once.
func IfHolder() {
	arg := os.Getenv(holderEnv)
	if arg == "" {
		return
	}
	if err := hold(arg); err != nil {
		fmt.Fprintln(os.Stderr, "hostpop holder:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// hold connects pairs loopback pairs, prints "ready <n>", holds them until
// stdin closes, then aborts them (RST: no TIME_WAIT left behind).
func hold(arg string) error {
	// The parent decides when we stop (a Ctrl-C reaches the whole group).
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	RaiseFileLimit()
	pairs, err := strconv.Atoi(arg)
	if err != nil {
		return fmt.Errorf("pairs %q: %w", arg, err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	var conns []net.Conn
	for range pairs {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			break // out of fds or ports: hold what we have
		}
		s, err := ln.Accept()
		if err != nil {
			c.Close()
			break
		}
		conns = append(conns, c, s)
	}
	fmt.Printf("ready %d\n", len(conns)/2)
	_, _ = io.Copy(io.Discard, os.Stdin)
	Abort(conns)
	return nil
}

// Abort closes connections with an RST (SO_LINGER 0), so none lingers in
// TIME_WAIT.
func Abort(conns []net.Conn) {
	for _, c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	}
}

//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// childEnv, set to a number of pairs, makes this program a socket holder.
const childEnv = "CONNLAB_POLLBENCH_HOLD_PAIRS"

// childStopTimeout bounds how long a holder may take to close its sockets.
const childStopTimeout = 30 * time.Second

// population is the set of holder processes that make up the host's sockets.
type population struct {
	log      *slog.Logger
	children []*holder
}

// holder is one child process holding ESTABLISHED pairs. Closing its stdin
// tells it to abort them and exit.
type holder struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	pairs  int
	readyc chan readyMsg // the holder's first line
}

// grow starts holders until the host has about target TCP sockets (it may
// already have more: then nothing is added).
func (p *population) grow(ctx context.Context, target int) error {
	need := target - hostSockets()
	if need <= 0 {
		return nil
	}
	perChild := pairsPerChild()
	var started []*holder
	for pairs := (need + 1) / 2; pairs > 0; {
		n := min(pairs, perChild)
		h, err := startHolder(n)
		if err != nil {
			return err
		}
		p.children = append(p.children, h)
		started = append(started, h)
		pairs -= n
	}
	for _, h := range started {
		got, err := h.ready(ctx)
		if err != nil {
			return err
		}
		if got < h.pairs {
			p.log.Warn("holder connected fewer pairs than asked", "asked", h.pairs, "got", got)
		}
	}
	return nil
}

// close stops every holder and waits for it.
func (p *population) close() {
	for _, h := range p.children {
		h.stdin.Close()
	}
	for _, h := range p.children {
		done := make(chan error, 1)
		go func() { done <- h.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				p.log.Warn("holder exit", "err", err)
			}
		case <-time.After(childStopTimeout):
			_ = h.cmd.Process.Kill()
			<-done
		}
	}
	p.children = nil
}

// pairsPerChild is what one holder can hold under the file limit (2 fds per
// pair, some spare), capped so the population spreads over processes.
func pairsPerChild() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 400
	}
	return int(min(uint64(maxPairsPerChild), (lim.Max-64)/2))
}

func startHolder(pairs int) (*holder, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(pairs))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start holder: %w", err)
	}
	h := &holder{cmd: cmd, stdin: stdin, pairs: pairs}
	h.readyc = make(chan readyMsg, 1)
	// Ends when the holder prints its line or its stdout closes.
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		h.readyc <- readyMsg{line, err}
	}()
	return h, nil
}

type readyMsg struct {
	line string
	err  error
}

// ready waits for the holder's "ready <pairs>" line.
func (h *holder) ready(ctx context.Context) (int, error) {
	select {
	case m := <-h.readyc:
		if m.err != nil {
			return 0, fmt.Errorf("holder: %w", m.err)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(m.line), "ready "))
		if err != nil {
			return 0, fmt.Errorf("holder said %q", m.line)
		}
		return n, nil
	case <-time.After(childReadyTimeout):
		return 0, errors.New("holder not ready in time")
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// holdPairs is the holder process: connect pairs loopback pairs, say so, hold
// them until stdin closes, then abort them (RST: no TIME_WAIT left behind).
func holdPairs(arg string) error {
	// The parent decides when we stop (a Ctrl-C reaches the whole group).
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	raiseFileLimit()
	pairs, err := strconv.Atoi(arg)
	if err != nil {
		return fmt.Errorf("pairs %q: %w", arg, err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
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
	abort(conns)
	return nil
}

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
			abort(conns)
			ln.Close()
			return 0, nil, err
		}
		s, err := ln.Accept()
		if err != nil {
			abort(append(conns, c))
			ln.Close()
			return 0, nil, err
		}
		conns = append(conns, c, s)
	}
	return uint16(ln.Addr().(*net.TCPAddr).Port), func() { abort(conns); ln.Close() }, nil
}

// abort closes connections with an RST, so none lingers in TIME_WAIT.
func abort(conns []net.Conn) {
	for _, c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	}
}

// raiseFileLimit lifts the soft fd limit to the hard one.
func raiseFileLimit() {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	}
}

// hostSockets counts the TCP sockets of this network namespace (IPv4 and
// IPv6 in use, plus TIME_WAIT) from /proc/net/sockstat{,6}.
func hostSockets() int {
	total := 0
	for _, f := range []struct{ path, prefix string }{
		{"/proc/net/sockstat", "TCP:"}, {"/proc/net/sockstat6", "TCP6:"},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			fields := strings.Fields(line)
			if len(fields) == 0 || fields[0] != f.prefix {
				continue
			}
			for i := 1; i+1 < len(fields); i += 2 {
				if fields[i] == "inuse" || fields[i] == "tw" {
					n, _ := strconv.Atoi(fields[i+1])
					total += n
				}
			}
		}
	}
	return total
}

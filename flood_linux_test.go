package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The flood: more idle keep-alive clients than the server has file
// descriptors. childFiles gives connCaps(256) = 128 HTTP connections.
const (
	childFiles   = 256  // RLIMIT_NOFILE of the server process
	floodConns   = 2000 // idle keep-alive clients, ~8x childFiles
	floodWorkers = 16   // dialling them in parallel
	probeEvery   = 50 * time.Millisecond
	probeWait    = 2 * time.Second  // what a probe of /healthz or / may take
	floodIOWait  = 10 * time.Second // any one dial, write or read of the flood
)

func init() { serveChild = serveWithFewFiles }

// serveWithFewFiles runs connlab on 127.0.0.1:0 with RLIMIT_NOFILE lowered
// to childFiles (soft and hard, so serve cannot raise it) until SIGTERM.
func serveWithFewFiles() int {
	lim := unix.Rlimit{Cur: childFiles, Max: childFiles}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		return 3
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := run(ctx, []string{"-addr", "127.0.0.1:0", "-interval", "250ms"}, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "connlab:", err)
		return 1
	}
	return 0
}

// TestIdleFloodKeepsServing holds floodConns idle keep-alive connections
// to a connlab whose process may open only childFiles files, and requires
// /healthz and the page to answer throughout. Before the connection cap the
// server ran out of descriptors (accept4: too many open files) and stopped
// answering.
func TestIdleFloodKeepsServing(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", tokenEnv+"=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 16)
	go func() { // ends when the child exits and its stdout closes
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		exited <- cmd.Wait()
	}()
	stopped := false
	stopChild := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(shutdownTimeout + 5*time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Error("the server did not stop on SIGTERM")
		}
	}
	defer stopChild()

	var base string
	deadline := time.After(20 * time.Second)
	for base == "" {
		select {
		case l := <-lines:
			if m := listeningRE.FindStringSubmatch(l); m != nil {
				base = m[1]
			}
		case <-deadline:
			t.Fatalf("the server did not print its address; stderr:\n%s", stderr.String())
		}
	}
	addr := strings.TrimPrefix(base, "http://")

	// Probes: fresh connections, one request each, all the time.
	probe := &http.Client{Timeout: probeWait, Transport: &http.Transport{DisableKeepAlives: true}}
	var probes, failures atomic.Int64
	var firstFailure atomic.Value
	stopProbes := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // stopped by stopProbes
		defer wg.Done()
		tick := time.NewTicker(probeEvery)
		defer tick.Stop()
		for {
			for _, path := range []string{"/healthz", "/"} {
				probes.Add(1)
				resp, err := probe.Get(base + path)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("GET %s: %v", path, err))
				}
			}
			select {
			case <-stopProbes:
				return
			case <-tick.C:
			}
		}
	}()

	// The flood: each client sends one request, reads the answer and stays.
	var mu sync.Mutex
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	var answered, lost atomic.Int64
	next := make(chan struct{})
	var flood sync.WaitGroup
	for range floodWorkers {
		flood.Add(1)
		go func() { // ends when next is closed
			defer flood.Done()
			for range next {
				c, err := net.DialTimeout("tcp", addr, floodIOWait)
				if err != nil {
					lost.Add(1)
					continue
				}
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
				_ = c.SetDeadline(time.Now().Add(floodIOWait))
				if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
					lost.Add(1)
					continue
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					lost.Add(1)
					continue
				}
				resp.Body.Close()
				answered.Add(1)
			}
		}()
	}
	start := time.Now()
	for range floodConns {
		next <- struct{}{}
	}
	close(next)
	flood.Wait()
	floodTime := time.Since(start)

	// Every flood connection is still held by this test; the server must
	// still answer, and hold no more sockets than its cap allows.
	for _, path := range []string{"/healthz", "/"} {
		resp, err := probe.Get(base + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s after the flood: %v %v; server stderr:\n%s", path, resp, err, stderr.String())
		}
		resp.Body.Close()
	}
	close(stopProbes)
	wg.Wait()
	sockets := openSockets(t, cmd.Process.Pid)
	t.Logf("flood of %d idle clients in %s: %d answered, %d closed unanswered; %d probes, %d failed; server holds %d sockets",
		floodConns, floodTime.Round(time.Millisecond), answered.Load(), lost.Load(), probes.Load(), failures.Load(), sockets)
	if failures.Load() > 0 {
		t.Errorf("%d of %d probes failed during the flood (first: %v)", failures.Load(), probes.Load(), firstFailure.Load())
	}
	// 128 HTTP connections at most, plus the listener, netlink and the
	// sockets of the last probe still closing.
	httpCap, _ := connCaps(childFiles)
	if sockets > httpCap+16 {
		t.Errorf("the server holds %d sockets, want at most the cap %d + 16", sockets, httpCap)
	}
	stopChild()
	if strings.Contains(stderr.String(), "too many open files") {
		t.Errorf("the server ran out of file descriptors:\n%s", stderr.String())
	}
}

// openSockets counts the sockets among a process's open files.
func openSockets(t *testing.T, pid int) int {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(dir + "/" + e.Name()); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}

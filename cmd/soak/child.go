package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a connlab process started by soak. Its stderr (the slog log) goes
// to a file in the work directory; its one stdout line gives the URL.
type child struct {
	cmd     *exec.Cmd
	pid     int
	base    string // http://127.0.0.1:PORT
	port    int
	logPath string

	done chan struct{} // closed once the process has exited and been reaped
	err  error         // cmd.Wait's result; read only after done is closed
}

const listeningPrefix = "connlab listening on "

// moduleRoot finds the directory of connlab's go.mod, from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the module root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/connlab/connlab\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the module root: no go.mod of github.com/connlab/connlab above the working directory (run soak from the repository, or pass -bin)")
		}
		dir = parent
	}
}

// buildConnlab runs `go build -o dir/connlab .` in the module root.
func buildConnlab(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build connlab: %w", err)
	}
	bin := filepath.Join(dir, "connlab")
	cmd := exec.CommandContext(ctx, gobin, "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build connlab (go build in %s): %w\n%s", root, err, out)
	}
	return bin, nil
}

// startChild starts bin with args plus -addr 127.0.0.1:0 and -state in dir, and waits until it
// prints the URL it serves.
func startChild(ctx context.Context, bin, dir string, args ...string) (*child, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("connlab-%d.log", time.Now().UnixNano()))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start connlab: %w", err)
	}
	// Its state (saved Lab runs, watched ports) stays in dir, away from the user's.
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-state", filepath.Join(dir, "state")}, args...)...)
	cmd.Stderr = logf
	setProcAttr(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start connlab: %w", err)
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start connlab: %w", err)
	}
	c := &child{cmd: cmd, pid: cmd.Process.Pid, logPath: logPath, done: make(chan struct{})}
	urls := make(chan string, 1)
	// Reaps the process: reads stdout to EOF (the process exited), then
	// Waits. It ends when connlab exits, which stop or kill make sure of;
	// c.done tells who waits for it.
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), listeningPrefix); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			}
		}
		c.err = cmd.Wait()
		_ = logf.Close()
		close(c.done)
	}()

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case raw := <-urls:
		u, err := url.Parse(raw)
		if err == nil {
			c.port, err = strconv.Atoi(u.Port())
		}
		if err != nil {
			c.kill()
			return nil, fmt.Errorf("start connlab: cannot read the port of %q: %v", raw, err)
		}
		c.base = raw
		return c, nil
	case <-c.done:
		return nil, fmt.Errorf("start connlab: it exited before serving (%v); its log:\n%s", c.err, c.tail(logTail))
	case <-timer.C:
		c.kill()
		return nil, fmt.Errorf("start connlab: no %q line within %s; its log:\n%s", listeningPrefix, startTimeout, c.tail(logTail))
	case <-ctx.Done():
		c.kill()
		return nil, fmt.Errorf("start connlab: %w", ctx.Err())
	}
}

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// signalWait sends sig and waits up to d for the process to end.
func (c *child) signalWait(sig syscall.Signal, d time.Duration) bool {
	if c.exited() {
		return true
	}
	_ = c.cmd.Process.Signal(sig)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.done:
		return true
	case <-t.C:
		return false
	}
}

// stop sends SIGTERM and requires an exit with status 0 within stopTimeout.
// The process is killed if it does not comply.
func (c *child) stop() error {
	if c.exited() {
		return fmt.Errorf("connlab had already exited: %v", c.err)
	}
	start := time.Now()
	if !c.signalWait(syscall.SIGTERM, stopTimeout) {
		c.quit()
		return fmt.Errorf("connlab did not exit within %s of SIGTERM (sent SIGQUIT: its log %s holds the goroutine stacks)", stopTimeout, c.logPath)
	}
	if c.err != nil {
		return fmt.Errorf("connlab exited with %v after SIGTERM (in %s); its log:\n%s", c.err, time.Since(start).Round(time.Millisecond), c.tail(logTail))
	}
	return nil
}

// quit sends SIGQUIT, which makes a Go program print every goroutine's
// stack to its log and exit (SIGCONT too, in case it was stopped); SIGKILL
// follows if it does not exit.
func (c *child) quit() {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	if !c.signalWait(sigCont, killWait) {
		c.kill()
	}
}

// kill ends the process with SIGKILL and waits for it to be reaped.
func (c *child) kill() {
	c.signalWait(syscall.SIGKILL, killWait)
}

// exitText describes how connlab ended. It exits 0 only after SIGINT or
// SIGTERM (graceful shutdown): soak sends neither while it measures.
func exitText(err error) string {
	if err == nil {
		return "exit status 0 (connlab shuts down cleanly only on SIGINT or SIGTERM, which soak had not sent: another process signalled it)"
	}
	return err.Error()
}

// tail returns the last n lines of connlab's log.
func (c *child) tail(n int) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return "(log unreadable: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before; full log: %s)", len(lines)-n, c.logPath)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// countLog counts the lines of connlab's log that contain s.
func (c *child) countLog(s string) int {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte(s))
}

// portSockets is what ss shows on connlab's side of its port (local port
// = port) once it has exited.
type portSockets struct {
	left     []string // not TIME_WAIT and owned by no live process: connlab's leftovers
	timeWait int      // TIME_WAIT: kernel-owned, no process holds them
	foreign  int      // owned by another process (one that took the freed port number)
}

// socketsOn reads `ss -Htanp '( sport = :PORT )'`.
func socketsOn(ctx context.Context, port int) (portSockets, error) {
	filter := fmt.Sprintf("( sport = :%d )", port)
	out, err := exec.CommandContext(ctx, "ss", "-Htanp", filter).Output()
	if err != nil {
		return portSockets{}, fmt.Errorf("ss -Htanp %q: %w", filter, err)
	}
	return parseSS(string(out)), nil
}

// parseSS sorts the lines of `ss -Htanp`.
func parseSS(out string) portSockets {
	var ps portSockets
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "TIME-WAIT":
			ps.timeWait++
		case strings.Contains(line, "users:("):
			ps.foreign++
		default:
			ps.left = append(ps.left, strings.Join(f, " "))
		}
	}
	return ps
}

// checkPortClear polls ss until connlab's port holds nothing of connlab's
// but TIME_WAIT (orphans in FIN_WAIT or LAST_ACK end within ms on lo).
func checkPortClear(ctx context.Context, port int) (portSockets, error) {
	deadline := time.Now().Add(socketsGoneWait)
	for {
		ps, err := socketsOn(ctx, port)
		if err != nil || len(ps.left) == 0 {
			return ps, err
		}
		if time.Now().After(deadline) {
			return ps, fmt.Errorf("%d socket(s) left on connlab's port %d %s after it exited: %s", len(ps.left), port, socketsGoneWait, strings.Join(ps.left, "; "))
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return ps, err
		}
	}
}

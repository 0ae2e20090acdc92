package hostpop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Limits and timings.
const (
	// holderEnv, set to a number of pairs, makes a re-executed process a holder.
	holderEnv = "CONNLAB_HOSTPOP_HOLD_PAIRS"
	// maxPairsPerHolder caps one holder process (2 fds per pair), so a large
	// population spreads over processes.
	maxPairsPerHolder = 9000
	// fdSpare is how many descriptors a holder keeps free for itself.
	fdSpare = 64
	// readyTimeout bounds how long a holder may take to connect its pairs.
	readyTimeout = 2 * time.Minute
	// stopTimeout bounds how long a holder may take to close its sockets
	// and exit once told to; then it is killed.
	stopTimeout = 30 * time.Second
)

// Population is the set of holder processes that make up the host's
// sockets. It is used by one goroutine.
type Population struct {
	log       *slog.Logger
	holders   []*holder
	held      int // pairs the holders said they hold
	perHolder int // pairs per holder, at most (maxPairsPerHolder; tests lower it)
}

// holder is one child process holding ESTABLISHED pairs. Closing its stdin
// tells it to abort them and exit.
type holder struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	pairs  int
	readyc chan readyMsg // the holder's first line
}

type readyMsg struct {
	line string
	err  error
}

// New returns an empty population.
func New(log *slog.Logger) *Population { return &Population{log: log, perHolder: maxPairsPerHolder} }

// Held is how many ESTABLISHED pairs (two sockets each) the holders hold.
func (p *Population) Held() int { return p.held }

// Grow starts holders until the host has about target TCP sockets (it may
// already have more: then nothing is added).
func (p *Population) Grow(ctx context.Context, target int) error {
	need := target - HostSockets()
	if need <= 0 {
		return nil
	}
	return p.Add(ctx, (need+1)/2)
}

// Add starts holders for pairs more ESTABLISHED pairs and waits until they
// hold them. Holders that connect fewer pairs than asked (out of ports or
// descriptors) are logged, not an error: Held says what is held.
func (p *Population) Add(ctx context.Context, pairs int) error {
	perHolder := min(p.perHolder, pairsPerHolder())
	var started []*holder
	for pairs > 0 {
		n := min(pairs, perHolder)
		h, err := startHolder(n)
		if err != nil {
			return err
		}
		p.holders = append(p.holders, h)
		started = append(started, h)
		pairs -= n
	}
	for _, h := range started {
		got, err := h.ready(ctx)
		if err != nil {
			return err
		}
		p.held += got
		if got < h.pairs {
			p.log.Warn("hostpop: holder connected fewer pairs than asked", "asked", h.pairs, "got", got)
		}
	}
	return nil
}

// Close stops every holder and waits for it (killing one that does not
// exit within stopTimeout).
func (p *Population) Close() {
	for _, h := range p.holders {
		h.stdin.Close()
	}
	for _, h := range p.holders {
		done := make(chan error, 1)
		go func() { done <- h.cmd.Wait() }() // ends when the holder exits; waited for below
		select {
		case err := <-done:
			if err != nil {
				p.log.Warn("hostpop: holder exit", "err", err)
			}
		case <-time.After(stopTimeout):
			_ = h.cmd.Process.Kill()
			<-done
		}
	}
	p.holders, p.held = nil, 0
}

// pairsPerHolder is what one holder can hold under the hard file limit (2
// fds per pair, some spare).
func pairsPerHolder() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 2*fdSpare {
		return 400
	}
	return int(min(uint64(maxPairsPerHolder), (lim.Max-fdSpare)/2))
}

// pids are the holders' process ids.
func (p *Population) pids() []int {
	var out []int
	for _, h := range p.holders {
		out = append(out, h.cmd.Process.Pid)
	}
	return out
}

func startHolder(pairs int) (*holder, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), holderEnv+"="+strconv.Itoa(pairs))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("holder stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("holder stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start holder: %w", err)
	}
	h := &holder{cmd: cmd, stdin: stdin, pairs: pairs, readyc: make(chan readyMsg, 1)}
	// Ends when the holder prints its line or its stdout closes (it exits).
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		h.readyc <- readyMsg{line, err}
	}()
	return h, nil
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
	case <-time.After(readyTimeout):
		return 0, errors.New("holder not ready in time")
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// RaiseFileLimit lifts this process's soft open-file limit to the hard one.
func RaiseFileLimit() {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	}
}

// HostSockets counts the TCP sockets of this network namespace (IPv4 and
// IPv6 in use, plus TIME_WAIT) from /proc/net/sockstat{,6}.
func HostSockets() int {
	total := 0
	for _, f := range []struct{ path, prefix string }{
		{"/proc/net/sockstat", "TCP:"}, {"/proc/net/sockstat6", "TCP6:"},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			continue
		}
		total += parseSockstat(string(b), f.prefix)
	}
	return total
}

// parseSockstat adds the "inuse" and "tw" counts of the line starting with
// prefix ("TCP:" or "TCP6:") of a /proc/net/sockstat file.
func parseSockstat(text, prefix string) int {
	total := 0
	for line := range strings.Lines(text) {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != prefix {
			continue
		}
		for i := 1; i+1 < len(fields); i += 2 {
			if fields[i] == "inuse" || fields[i] == "tw" {
				n, _ := strconv.Atoi(fields[i+1])
				total += n
			}
		}
	}
	return total
}

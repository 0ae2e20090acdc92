//go:build linux

// Command pollbench measures what one poll of "the sockets of port P" costs
// on a host holding many sockets: the netlink sampler, the gopsutil sampler
// and an `ss -Htan '( sport = :P or dport = :P )'` process, per poll CPU time
// (rusage) and wall time, at about 1k, 10k and 50k TCP sockets on the host.
//
//	go run ./cmd/pollbench            # the table, in Markdown
//	go run ./cmd/pollbench -sizes 1000,10000
//
// The socket population is held by child processes (this program re-executed)
// each holding ESTABLISHED loopback pairs, so the file limit of one process
// does not cap it; they abort (RST) their connections on exit, leaving no
// TIME_WAIT behind. Port P is a listener of this process with a few dozen
// sockets.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/connlab/connlab/internal/hostpop"
	"github.com/connlab/connlab/internal/sockstat"
	"github.com/connlab/connlab/internal/sysinfo"
)

// Benchmark shape.
const (
	// portPairs is how many ESTABLISHED pairs sit on port P (2 sockets each,
	// plus the listener).
	portPairs = 16
	// minPolls and maxPolls bound the polls per measurement.
	minPolls = 5
	maxPolls = 3000
)

// budget is how long each method is polled at each size (a variable for
// the tests).
var budget = 1500 * time.Millisecond

func main() {
	hostpop.IfHolder()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pollbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pollbench", flag.ContinueOnError)
	sizesFlag := fs.String("sizes", "1000,10000,50000", "socket populations to measure at (host-wide TCP sockets)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	hostpop.RaiseFileLimit()

	port, closePort, err := portPopulation(portPairs)
	if err != nil {
		return err
	}
	defer closePort()
	pop := hostpop.New(log)
	defer pop.Close()

	netlink, err := sockstat.New(log, sockstat.ModeNetlink)
	if err != nil {
		return err
	}
	defer netlink.Close()
	gops, err := sockstat.New(log, sockstat.ModeGopsutil)
	if err != nil {
		return err
	}
	defer gops.Close()

	info := sysinfo.Read()
	fmt.Fprintf(stdout, "pollbench: %s %s kernel %s, %d CPUs, %s; port %d holds %d sockets\n\n",
		info.OS, info.Arch, info.Kernel, runtime.NumCPU(), runtime.Version(), port, 2*portPairs+1)
	fmt.Fprintln(stdout, "| sockets on host | method | CPU/poll | wall/poll | CPU vs ss | wall vs ss | sockets on P | polls |")
	fmt.Fprintln(stdout, "|---:|---|---:|---:|---:|---:|---:|---:|")
	var rows []row
	for _, size := range sizes {
		if err := pop.Grow(ctx, size); err != nil {
			return err
		}
		host := hostpop.HostSockets()
		ss, err := measureSS(ctx, port)
		if err != nil {
			return err
		}
		nl, err := measureSampler(ctx, netlink, port)
		if err != nil {
			return err
		}
		gp, err := measureSampler(ctx, gops, port)
		if err != nil {
			return err
		}
		for _, r := range []row{{host, "netlink", nl}, {host, "gopsutil", gp}, {host, "ss process", ss}} {
			printRow(stdout, r, ss)
			rows = append(rows, r)
		}
	}
	fmt.Fprintln(stdout)
	printTargets(stdout, rows)
	return ctx.Err()
}

// row is one line of the table.
type row struct {
	host   int
	method string
	m      measure
}

func printRow(w io.Writer, r row, ss measure) {
	fmt.Fprintf(w, "| %s | %s | %s | %s | %.2fx | %.2fx | %d | %d |\n",
		thousands(r.host), r.method, ms(r.m.cpu), ms(r.m.wall),
		float64(r.m.cpu)/float64(ss.cpu), float64(r.m.wall)/float64(ss.wall), r.m.sockets, r.m.polls)
}

// printTargets restates issue 2's targets against the rows measured nearest
// to 10k and 50k sockets.
func printTargets(w io.Writer, rows []row) {
	nearest := func(size int, method string) (row, bool) {
		var best row
		found := false
		for _, r := range rows {
			if r.method == method && (!found || abs(r.host-size) < abs(best.host-size)) {
				best, found = r, true
			}
		}
		return best, found && abs(best.host-size) < size/2
	}
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	if nl, ok := nearest(10000, "netlink"); ok {
		ss, _ := nearest(10000, "ss process")
		fmt.Fprintf(w, "target at ~10k: netlink <= 2 ms CPU/poll: %s (%s); <= 0.8x ss: %s (%.2fx)\n",
			check(nl.m.cpu <= 2*time.Millisecond), ms(nl.m.cpu), check(float64(nl.m.cpu) <= 0.8*float64(ss.m.cpu)), float64(nl.m.cpu)/float64(ss.m.cpu))
	}
	if nl, ok := nearest(50000, "netlink"); ok {
		fmt.Fprintf(w, "target at ~50k: netlink <= 12 ms CPU/poll: %s (%s)\n", check(nl.m.cpu <= 12*time.Millisecond), ms(nl.m.cpu))
	}
}

func parseSizes(s string) ([]int, error) {
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("-sizes: %q is not a socket count", f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

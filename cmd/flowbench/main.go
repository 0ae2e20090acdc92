//go:build linux

// Command flowbench measures what Watch's kernel transitions (eBPF) cost
// against its polls, as ratios against the polls measured in the same run
// (this machine's speed varies too much for absolute targets):
//
//   - the CPU of a connlab process watching an idle port while the host
//     holds about 10k and 50k TCP sockets;
//
//   - the CPU per 1,000 transitions/s of churn on the watched port, at two
//     rates (eBPF's cost is partly per wake-up, not per event);
//
//   - the kernel-side cost of connlab's eBPF programs per TCP transition
//     on a port it does not watch.
//
//     go run ./cmd/flowbench            # the tables, in Markdown (about 4 minutes)
//     go run ./cmd/flowbench -quick     # a smoke run of a few seconds
//
// connlab runs as separate processes (built from this module unless
// -connlab names a binary), four at once so that every round compares them
// over the same window: -transitions auto (eBPF) and -transitions polls,
// each with and without a websocket subscriber on the port. A process's CPU
// is the sum of its threads' run times (/proc/PID/task/*/schedstat, in ns),
// checked against utime+stime of /proc/PID/stat (10 ms ticks). The machine's
// CPU comes from /proc/stat. Churn is loopback connections opened at a set
// rate, held for a lifetime and aborted (RST) from the client, so no
// TIME_WAIT piles up and the host's socket count stays flat; the kernel
// events each one makes are counted once, up front, with internal/tcpevents.
// The socket population is internal/hostpop's (holders in child processes:
// this program re-executed). Everything it starts is stopped before it
// returns, and on Ctrl-C.
//
// It needs Linux and the privileges for eBPF (root, or CAP_BPF and
// CAP_PERFMON); the browser latency half of `make bench-flow` is
// web/bench/latency.mjs.
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
	"github.com/connlab/connlab/internal/sysinfo"
)

// Timings and limits.
const (
	startTimeout = 20 * time.Second       // connlab to listen; a websocket's snapshot
	stopTimeout  = 5 * time.Second        // connlab to exit after SIGTERM, then SIGKILL
	httpTimeout  = 5 * time.Second        // one API request or websocket handshake
	churnTick    = 5 * time.Millisecond   // the churner's pacing step
	maxCatchUp   = 100 * time.Millisecond // of the rate, caught up in one tick at most after a stall
	idlePairs    = 16                     // ESTABLISHED pairs held on the watched port (as pollbench)
	drainTimeout = 5 * time.Second        // kernel events of a calibration to be read, connlab's counts to settle
	drainStep    = 20 * time.Millisecond  // polling step while waiting for them
	saturated    = 0.05                   // idle below this share of the CPUs: the machine is saturated
	highRate     = 3                      // the second churn rate on the watched port, times -rate
)

// options are the command line.
type options struct {
	window        time.Duration
	rounds        int
	settle        time.Duration
	sizes         []int
	rate          float64
	lifetime      time.Duration
	unwatchedRate float64
	calibrate     time.Duration
	connlab       string
}

func main() {
	hostpop.IfHolder()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "flowbench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("flowbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.window, "window", 8*time.Second, "one measurement window")
	fs.IntVar(&o.rounds, "rounds", 3, "windows per figure (the tables show the median and the range)")
	fs.DurationVar(&o.settle, "settle", time.Second, "wait after starting something before measuring")
	sizes := fs.String("sizes", "10000,50000", "host TCP socket populations for the idle-port figures")
	fs.Float64Var(&o.rate, "rate", 500, "connections per second churned on the watched port (and 3 times that)")
	fs.DurationVar(&o.lifetime, "lifetime", 500*time.Millisecond, "how long each churned connection on the watched port lives")
	fs.Float64Var(&o.unwatchedRate, "unwatched-rate", 2000, "connections per second churned on a port no connlab watches")
	fs.DurationVar(&o.calibrate, "calibrate", 2*time.Second, "churn counted with eBPF to learn the kernel events per connection")
	fs.StringVar(&o.connlab, "connlab", "", "connlab binary to measure (default: built from this module)")
	quick := fs.Bool("quick", false, "a smoke run of a few seconds: tiny windows, one round, a +200-socket population, low rates")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *quick {
		// Quick values for the flags not given.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{
			"window": "300ms", "rounds": "1", "settle": "200ms", "calibrate": "300ms",
			"rate": "100", "lifetime": "200ms", "unwatched-rate": "200",
			"sizes": strconv.Itoa(hostpop.HostSockets() + 200),
		} {
			if !set[name] {
				_ = fs.Set(name, v)
			}
		}
	}
	var err error
	if o.sizes, err = parseSizes(*sizes); err != nil {
		return o, err
	}
	if o.window <= 0 || o.rounds < 1 || o.rate <= 0 || o.unwatchedRate <= 0 || o.calibrate <= 0 || o.lifetime < 0 || o.settle < 0 {
		return o, fmt.Errorf("-window, -rounds, -rate, -unwatched-rate and -calibrate must be positive; -lifetime and -settle not negative")
	}
	return o, nil
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	hostpop.RaiseFileLimit()
	if o.connlab == "" {
		dir, err := os.MkdirTemp("", "flowbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if o.connlab, err = buildConnlab(ctx, dir); err != nil {
			return err
		}
	}
	defer apiClient.CloseIdleConnections()
	b := &bench{o: o, out: stdout, log: log}
	return b.run(ctx)
}

// machineLine is the first line of the report.
func machineLine(o options) string {
	info := sysinfo.Read()
	return fmt.Sprintf("flowbench: %s %s, kernel %s, %d CPUs, %s; windows of %s, %d round(s): median (min–max); load average %s",
		info.OS, info.Arch, info.Kernel, runtime.NumCPU(), runtime.Version(), o.window, o.rounds, loadAverage())
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Command loadbench checks that connlab's experiment client is not the
// bottleneck: at concurrency 50 on 127.0.0.1, keep-alive on and off, it
// compares the requests/s of a connlab experiment with full
// instrumentation (kernel monitor holding the port) with those of hey
// (github.com/rakyll/hey, installed with `go install` when missing)
// against the same instrumented server, then measures the RSS of a
// process that ran a 1,000,000-request experiment.
//
//	go run ./cmd/loadbench                  # the tables, in Markdown
//	go run ./cmd/loadbench -rounds 1 -rss-requests 100000
//
// Fairness. An experiment owns its server and its client, and the Lab has
// no server-only mode, so hey is pointed at the server of a second
// experiment of the same spec whose client is parked (one request, then a
// pause of parkInterval), running while hey runs. Both tools thus meet the
// same server code with the same instrumentation (tapped listener and
// conns, ConnState, per-request counters) and the same kernel monitor
// holding its port; only the client differs. connlab's client shares its
// process (and its 2 CPUs) with that server, as in the product; hey runs
// in its own process on the same CPUs. Runs alternate (connlab, hey, ...)
// with the order rotated each round, and the table gives the median and
// the min–max of the rounds. A reference column gives hey against a plain
// net/http server with the same response, which prices the server-side
// instrumentation (it is not part of the ratio).
//
// The program exits non-zero only when it cannot run; missed targets are
// reported as figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/connlab/connlab/internal/sysinfo"
)

// Benchmark shape, targets and timings.
const (
	// defaultConcurrency is the workers of both tools (the requirement's 50).
	defaultConcurrency = 50
	// defaultRounds is how many times each measurement is repeated.
	defaultRounds = 3
	// defaultKeepAliveN is the requests per keep-alive run (a few seconds each).
	defaultKeepAliveN = 100_000
	// defaultCloseN is the requests per keep-alive-off run: one connection
	// each, so every run leaves about that many sockets in TIME_WAIT for
	// 60 s; rounds × tools × defaultCloseN stays well under
	// tcp_max_tw_buckets (131,072 here).
	defaultCloseN = 10_000
	// warmupN is the requests of each tool's warm-up run (keep-alive on).
	warmupN = 5000
	// defaultRSSRequests is the length of the RSS run.
	defaultRSSRequests = 1_000_000
	// parkInterval is the parked client's pause after its one request; the
	// parked experiment is stopped long before it ends.
	parkInterval = 9 * time.Minute
	// targetRatio is the throughput target: connlab ≥ 0.8 × hey.
	targetRatio = 0.8
	// rssTarget is the memory target of the 1,000,000-request run.
	rssTarget = 100 << 20
	// twWarnShare: warn when the keep-alive-off runs may leave more than
	// this share of tcp_max_tw_buckets in TIME_WAIT.
	twWarnShare = 0.8
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if arg := os.Getenv(childEnv); arg != "" {
		err = runRSSChild(ctx, arg, os.Stdout)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	c, rounds       int
	nKeep, nClose   int
	rssN            int
	hey, cpuProfile string
	reference       bool
	install         bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.c, "c", defaultConcurrency, "concurrency (workers) of both tools")
	fs.IntVar(&o.rounds, "rounds", defaultRounds, "rounds of interleaved runs")
	fs.IntVar(&o.nKeep, "n", defaultKeepAliveN, "requests per run with keep-alive on")
	fs.IntVar(&o.nClose, "n-close", defaultCloseN, "requests per run with keep-alive off (one connection each)")
	fs.IntVar(&o.rssN, "rss-requests", defaultRSSRequests, "requests of the RSS run (0 skips it)")
	fs.StringVar(&o.hey, "hey", "", "hey binary (default: hey on PATH, else installed with go install)")
	fs.BoolVar(&o.install, "install", true, "install hey with go install when it is missing")
	fs.BoolVar(&o.reference, "reference", true, "also run hey against a plain (uninstrumented) net/http server")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "after the rounds, profile one extra connlab run per mode into `prefix`-keepalive-{on,off}.pprof")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	switch {
	case o.c < 1 || o.c > 1000:
		return o, fmt.Errorf("-c %d: want 1..1000", o.c)
	case o.rounds < 1:
		return o, fmt.Errorf("-rounds %d: want at least 1", o.rounds)
	case o.nKeep < o.c || o.nClose < o.c:
		return o, fmt.Errorf("-n and -n-close must be at least -c (%d)", o.c)
	case o.rssN < 0:
		return o, fmt.Errorf("-rss-requests %d: want 0 or more", o.rssN)
	}
	// hey sends n/c requests per worker: keep n a multiple of c so both
	// tools send the same number.
	o.nKeep -= o.nKeep % o.c
	o.nClose -= o.nClose % o.c
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	bin, err := findHey(ctx, o.hey, o.install, stderr)
	if err != nil {
		return err
	}
	l, err := newLab(log)
	if err != nil {
		return err
	}
	defer l.close()
	var plain *plainServer
	if o.reference {
		spec, err := workloadSpec(o.c, o.c, true)
		if err != nil {
			return err
		}
		if plain, err = startPlain(spec.BodyBytes); err != nil {
			return err
		}
		defer plain.close()
	}

	info := sysinfo.Read()
	hv := heyVersion(ctx, bin)
	fmt.Fprintf(stdout, "loadbench: %s/%s, kernel %s, %d CPUs, %s, sampler %s, hey %s (%s)\n",
		info.OS, info.Arch, info.Kernel, runtime.NumCPU(), runtime.Version(), l.source(), orUnknown(hv), bin)
	fmt.Fprintf(stdout, "concurrency %d, %d rounds; keep-alive on: %d requests/run, off: %d requests/run (one connection each)\n",
		o.c, o.rounds, o.nKeep, o.nClose)
	printKnobs(stdout, info, o)
	load0 := loadAvg()
	fmt.Fprintln(stdout)

	// Warm-up, not counted: the first run of a process (heap growth, hey's
	// page cache) is slower than the next ones.
	fmt.Fprintln(stderr, "warm-up (not counted):")
	warm := &modeResult{keepAlive: true, n: min(o.nKeep, warmupN-warmupN%o.c)}
	b := &bench{l: l, plain: plain, hey: bin, o: o, log: stderr}
	if err := b.round(ctx, warm, 0); err != nil {
		return err
	}
	modes := []*modeResult{{keepAlive: true, n: o.nKeep}, {keepAlive: false, n: o.nClose}}
	for round := range o.rounds {
		for _, m := range modes {
			if err := b.round(ctx, m, round); err != nil {
				return err
			}
		}
	}

	fmt.Fprintf(stdout, "### Throughput: connlab vs hey, concurrency %d, 127.0.0.1, median (min–max) of %d rounds\n\n", o.c, o.rounds)
	if load0 != "" {
		fmt.Fprintf(stdout, "Load average (1 min) of the host: %s before the rounds, %s after, on %d CPUs; other processes' load moves req/s far more than the CPU time per request.\n\n", load0, loadAvg(), runtime.NumCPU())
	}
	printTable(stdout, modes, o.reference)
	fmt.Fprintln(stdout)
	printTargets(stdout, modes)
	fmt.Fprintln(stdout)
	if printCPU(stdout, modes) {
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "Fairness: hey is pointed at the instrumented server of a second experiment of the same spec (its own client parked after one request), with the kernel monitor holding its port, while it runs: both tools meet the same server code, instrumentation and monitor; only the client differs. connlab's client shares its process with that server (as in the product), hey runs in its own process on the same %d CPUs (when other processes load the host, the kernel shares CPU per thread, so two processes tend to get more of it than one: the CPU-per-request table is the steadier comparison). Runs alternate, order rotated each round, after an uncounted warm-up of each.", runtime.NumCPU())
	if o.reference {
		fmt.Fprint(stdout, " The plain-server column (hey against an uninstrumented net/http server with the same 1 KiB response) prices the server-side instrumentation; it is not in the ratio.")
	}
	fmt.Fprintln(stdout)
	for _, m := range modes {
		if m.heyMissing > 0 {
			fmt.Fprintf(stdout, "\nWarning: keep-alive %s: the instrumented server counted %d fewer requests than hey sent.\n", onOff(m.keepAlive), m.heyMissing)
		}
	}

	if o.cpuProfile != "" {
		for _, m := range modes {
			if err := profileRun(ctx, l, o, m.keepAlive, stdout); err != nil {
				return err
			}
		}
	}

	if o.rssN > 0 {
		fmt.Fprintf(stderr, "loadbench: RSS run, %d requests (a fresh process)...\n", o.rssN)
		r, err := measureRSS(ctx, o.rssN, o.c, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n### Memory: one experiment of %s requests in a fresh process\n\n", thousands(float64(o.rssN)))
		printRSS(stdout, r, o.c)
	}
	return nil
}

// loadAvg is the host's 1-minute load average ("" where unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func orUnknown(s string) string {
	if s == "" {
		return "(version unknown)"
	}
	return s
}

// printKnobs states the kernel settings that bound the keep-alive-off runs.
func printKnobs(w io.Writer, info sysinfo.Info, o options) {
	k := info.Knobs
	fmt.Fprintf(w, "ip_local_port_range %s (%d ports), tcp_tw_reuse %s, tcp_max_tw_buckets %s\n",
		orUnknown(k[sysinfo.PortRange]), info.EphemeralPorts, orUnknown(k["net.ipv4.tcp_tw_reuse"]), orUnknown(k["net.ipv4.tcp_max_tw_buckets"]))
	tools := 2
	if o.reference {
		tools = 3
	}
	planned := o.rounds * tools * o.nClose
	if b, err := strconv.Atoi(k["net.ipv4.tcp_max_tw_buckets"]); err == nil && float64(planned) > twWarnShare*float64(b) {
		fmt.Fprintf(w, "Note: the keep-alive-off runs open %d connections; with TIME_WAIT lasting 60 s the kernel may overflow tcp_max_tw_buckets (%d) and drop the oldest TIME_WAIT sockets early (no failure; lower -n-close or -rounds to avoid it).\n", planned, b)
	}
}

// usPer is d per request, in microseconds.
func usPer(d time.Duration, n int) float64 {
	return float64(d) / float64(time.Microsecond) / float64(n)
}

// profileRun runs one extra connlab workload under the CPU profiler (not
// counted in the table).
func profileRun(ctx context.Context, l *rig, o options, keepAlive bool, stdout io.Writer) error {
	n := o.nClose
	if keepAlive {
		n = o.nKeep
	}
	spec, err := workloadSpec(n, o.c, keepAlive)
	if err != nil {
		return err
	}
	path := fmt.Sprintf("%s-keepalive-%s.pprof", o.cpuProfile, onOff(keepAlive))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	s, err := l.runWorkload(ctx, spec)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nCPU profile of a keep-alive-%s run (%s req/s under the profiler): %s\n", onOff(keepAlive), thousands(s.rps), path)
	return f.Close()
}

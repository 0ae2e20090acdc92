package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/connlab/connlab/internal/hostpop"
	"github.com/connlab/connlab/internal/tcpevents"
	"golang.org/x/sys/unix"
)

// bench is one run: its options, where the report goes, the watched port.
type bench struct {
	o    options
	out  io.Writer
	log  *slog.Logger
	port *idlePort // the watched port: idle pairs, and the churn of the churn figures

	cpuSched, cpuStat time.Duration // all instances over all windows: the cross-check
}

// window is what one measurement window saw.
type window struct {
	wall    time.Duration
	machine machineCPU // delta over the window
	procs   []procCPU  // delta per instance, in the order given
	msgs    []int      // tick + transitions messages per instance's subscriber
	made    int64      // connections the churner opened
	self    procCPU    // this program (the churner's process)
}

func (b *bench) run(ctx context.Context) error {
	var err error
	if b.port, err = newIdlePort(idlePairs); err != nil {
		return err
	}
	defer b.port.close()
	fmt.Fprintln(b.out, machineLine(b.o))
	fmt.Fprintln(b.out)

	perConn, err := b.calibrate(ctx)
	if err != nil {
		return err
	}
	insts, err := b.startAll(ctx)
	defer func() {
		for _, i := range insts {
			i.stop()
		}
	}()
	if err != nil {
		return err
	}
	if err := b.idle(ctx, insts); err != nil {
		return err
	}
	if err := b.churn(ctx, insts, perConn); err != nil {
		return err
	}
	for _, i := range insts {
		i.stop()
	}
	insts = nil
	if err := b.kernel(ctx); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "CPU cross-check, all connlab windows: threads' schedstat %.1f ms, /proc/PID/stat utime+stime %.0f ms (10 ms ticks, per reading). Load average at the end: %s\n",
		ms(b.cpuSched), ms(b.cpuStat), loadAverage())
	return ctx.Err()
}

// startAll starts the four connlab processes of the idle and churn figures:
// eBPF and polls, each without and with a websocket subscriber. Their
// order is the table's.
func (b *bench) startAll(ctx context.Context) ([]*instance, error) {
	var insts []*instance
	for _, ws := range []bool{false, true} {
		for _, ev := range []string{"auto", "polls"} {
			i, err := startInstance(ctx, b.o.connlab, ev, ws, b.port.port())
			if err != nil {
				return insts, err
			}
			insts = append(insts, i)
		}
	}
	return insts, b.wait(ctx, b.o.settle)
}

// reference is the index of the polls instance that insts[k] is compared
// with: the one with the same subscriber.
func reference(insts []*instance, k int) int {
	for j, i := range insts {
		if i.events == "polls" && i.ws == insts[k].ws {
			return j
		}
	}
	return k
}

// wait waits d or until ctx ends.
func (b *bench) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// measure runs one window over insts (and the churner, if any).
func (b *bench) measure(ctx context.Context, insts []*instance, ch *churner) (window, error) {
	type state struct {
		machine machineCPU
		self    procCPU
		procs   []procCPU
		msgs    []int
		made    int64
	}
	read := func() (state, error) {
		var s state
		var err error
		if s.machine, err = readMachineCPU(); err != nil {
			return s, err
		}
		if s.self, err = readProcCPU(os.Getpid()); err != nil {
			return s, err
		}
		for _, i := range insts {
			c, err := readProcCPU(i.pid())
			if err != nil {
				return s, fmt.Errorf("%s: %w; its output: %s", i.name(), err, i.out.String())
			}
			s.procs = append(s.procs, c)
			s.msgs = append(s.msgs, i.sub.count("tick")+i.sub.count("transitions"))
		}
		if ch != nil {
			s.made = ch.made.Load()
		}
		return s, nil
	}
	s0, err := read()
	if err != nil {
		return window{}, err
	}
	t0 := time.Now()
	if err := b.wait(ctx, b.o.window); err != nil {
		return window{}, err
	}
	s1, err := read()
	if err != nil {
		return window{}, err
	}
	w := window{wall: time.Since(t0), made: s1.made - s0.made, self: s1.self.sub(s0.self),
		machine: machineCPU{busy: s1.machine.busy - s0.machine.busy, idle: s1.machine.idle - s0.machine.idle, steal: s1.machine.steal - s0.machine.steal}}
	for k := range insts {
		d := s1.procs[k].sub(s0.procs[k])
		w.procs = append(w.procs, d)
		w.msgs = append(w.msgs, s1.msgs[k]-s0.msgs[k])
		b.cpuSched += d.sched
		b.cpuStat += d.stat
	}
	return w, nil
}

// calibrate churns the watched-port pattern on a fresh port while
// tcpevents counts its kernel events: events (state changes and resets,
// both sockets) per connection, and resets per connection.
func (b *bench) calibrate(ctx context.Context) (perConn float64, err error) {
	src, err := tcpevents.Open(b.log, tcpevents.Config{})
	if err != nil {
		return 0, fmt.Errorf("flowbench compares eBPF with polls and needs eBPF: %w", err)
	}
	defer src.Close()
	p, err := newIdlePort(0)
	if err != nil {
		return 0, err
	}
	defer p.close()
	if err := src.SetPorts([]uint16{p.port()}); err != nil {
		return 0, err
	}
	var mu sync.Mutex
	events, resets := 0, 0
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { // stopped by cancel below
		runErr = src.Run(runCtx, func(e *tcpevents.Event) {
			mu.Lock()
			events++
			if e.Kind != tcpevents.Transition {
				resets++
			}
			mu.Unlock()
		})
	})
	ch := startChurn(p.ln, b.o.rate, b.o.lifetime)
	waitErr := b.wait(ctx, b.o.calibrate)
	churnErr := ch.stop()
	// Every connection has ended (stop aborts the held ones): wait until
	// Run has read every event the kernel matched.
	deadline := time.Now().Add(drainTimeout)
	for waitErr == nil && churnErr == nil {
		st, err := src.Stats()
		mu.Lock()
		got := events
		mu.Unlock()
		if err == nil && uint64(got) >= st.Matched-st.Lost {
			if st.Lost > 0 {
				churnErr = fmt.Errorf("calibration: the kernel dropped %d events", st.Lost)
			}
			break
		}
		if time.Now().After(deadline) {
			churnErr = fmt.Errorf("calibration: read %d events of %d matched in %s", got, st.Matched, drainTimeout)
			break
		}
		time.Sleep(drainStep)
	}
	cancel()
	wg.Wait()
	if err := errors.Join(waitErr, churnErr, runErr); err != nil {
		return 0, err
	}
	made := ch.made.Load()
	if made == 0 {
		return 0, errors.New("calibration: no connection made")
	}
	perConn, resetsPerConn := float64(events)/float64(made), float64(resets)/float64(made)
	fmt.Fprintf(b.out, "Churn: loopback connections opened at a set rate, held, then aborted by the client (RST: no TIME_WAIT piles up). Calibrated with eBPF over %d connections: %.2f kernel events per connection on its port (both sockets; %.2f of them resets), which the figures below multiply by the connections made.\n\n",
		made, perConn, resetsPerConn)
	return perConn, nil
}

// idle measures the instances with the watched port idle at each host
// population.
func (b *bench) idle(ctx context.Context, insts []*instance) error {
	pop := hostpop.New(b.log)
	defer pop.Close()
	fmt.Fprintf(b.out, "### connlab CPU, watched port idle (%d idle ESTABLISHED pairs on it), host holding N TCP sockets\n\n", idlePairs)
	fmt.Fprintln(b.out, "| sockets on host | connlab | CPU ms/s | vs polls (same subscriber) |")
	fmt.Fprintln(b.out, "|---:|---|---:|---:|")
	for _, size := range b.o.sizes {
		if err := pop.Grow(ctx, size); err != nil {
			return err
		}
		if err := b.wait(ctx, b.o.settle); err != nil {
			return err
		}
		host := hostpop.HostSockets()
		cpu := make([][]float64, len(insts))
		for range b.o.rounds {
			w, err := b.measure(ctx, insts, nil)
			if err != nil {
				return err
			}
			for k := range insts {
				cpu[k] = append(cpu[k], perSecond(w.procs[k].sched, w.wall))
			}
		}
		for k, i := range insts {
			ref := reference(insts, k)
			ratios := make([]float64, len(cpu[k]))
			for r := range cpu[k] {
				ratios[r] = ratio(cpu[k][r], cpu[ref][r])
			}
			fmt.Fprintf(b.out, "| %s | %s | %s | %s |\n", thousands(host), i.name(), spreadOf(cpu[k]).format(fmtMs), spreadOf(ratios).format(fmtX))
		}
	}
	fmt.Fprintln(b.out)
	return nil
}

// churn measures the instances with the watched port idle and churning at
// two rates (-rate and highRate times it), in turn each round, and checks
// what they counted against what was made.
func (b *bench) churn(ctx context.Context, insts []*instance, perConn float64) error {
	port := b.port.port()
	before := make([]flowCounts, len(insts))
	for k, i := range insts {
		f, err := i.flow(ctx, port)
		if err != nil {
			return err
		}
		before[k] = f
	}
	levels := []float64{b.o.rate, b.o.rate * highRate}
	// Per instance, per round: idle CPU; per level, instance, round: CPU
	// churning, websocket messages; per level, round: transitions/s.
	idle := make([][]float64, len(insts))
	busy := make([][][]float64, len(levels))
	msgs := make([][][]float64, len(levels))
	rates := make([][]float64, len(levels))
	var made int64
	for l := range levels {
		busy[l], msgs[l] = make([][]float64, len(insts)), make([][]float64, len(insts))
	}
	for range b.o.rounds {
		w, err := b.measure(ctx, insts, nil)
		if err != nil {
			return err
		}
		for k := range insts {
			idle[k] = append(idle[k], perSecond(w.procs[k].sched, w.wall))
		}
		for l, rate := range levels {
			ch := startChurn(b.port.ln, rate, b.o.lifetime)
			err = b.wait(ctx, b.o.lifetime+b.o.settle) // the churned population reaches its steady size
			var wc window
			if err == nil {
				wc, err = b.measure(ctx, insts, ch)
			}
			err = errors.Join(err, ch.stop())
			made += ch.made.Load() // after stop: the last tick may have made more
			if err != nil {
				return err
			}
			rates[l] = append(rates[l], float64(wc.made)/wc.wall.Seconds()*perConn)
			for k := range insts {
				busy[l][k] = append(busy[l][k], perSecond(wc.procs[k].sched, wc.wall))
				msgs[l][k] = append(msgs[l][k], float64(wc.msgs[k])/wc.wall.Seconds())
			}
		}
	}
	fmt.Fprintf(b.out, "### connlab CPU per 1,000 transitions/s on the watched port\n\n")
	fmt.Fprintf(b.out, "Churn at two rates, each connection held %s (%.2f kernel events each); idle and churning windows in turn, each round. CPU per 1,000 transitions/s = (churning − idle) / (transitions/s / 1000).\n\n", b.o.lifetime, perConn)
	fmt.Fprintln(b.out, "| connections/s | transitions/s | connlab | CPU ms/s idle | CPU ms/s churning | CPU ms/s per 1,000 transitions/s | vs polls (same subscriber) | websocket messages/s |")
	fmt.Fprintln(b.out, "|---:|---:|---|---:|---:|---:|---:|---:|")
	for l, level := range levels {
		per := make([][]float64, len(insts))
		for k := range insts {
			for r := range busy[l][k] {
				per[k] = append(per[k], (busy[l][k][r]-idle[k][r])/(rates[l][r]/1000))
			}
		}
		for k, i := range insts {
			ref := reference(insts, k)
			ratios := make([]float64, len(per[k]))
			for r := range per[k] {
				ratios[r] = ratio(per[k][r], per[ref][r])
			}
			m := "—"
			if i.ws {
				m = spreadOf(msgs[l][k]).format(fmtMs)
			}
			fmt.Fprintf(b.out, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", thousands(int(level)), spreadOf(rates[l]).format(fmtMs), i.name(),
				spreadOf(idle[k]).format(fmtMs), spreadOf(busy[l][k]).format(fmtMs), spreadOf(per[k]).format(fmtMs), spreadOf(ratios).format(fmtX), m)
		}
	}
	fmt.Fprintln(b.out)
	fmt.Fprintln(b.out, "Per 1,000 transitions/s is a slope through idle, so compare it at the same rate: a cost paid per wake-up rather than per event weighs more at a low rate (while events flow, connlab's ring buffer reader wakes up to every 5 ms and its flusher wakes 10 ms after the first of a batch, and sleeps while nothing arrives).")
	fmt.Fprintln(b.out)
	return b.counted(ctx, insts, before, made)
}

// counted prints what each instance counted of the made connections. eBPF
// must have them all unless the kernel dropped events (its ring buffer
// full: connlab says how many), which is printed as a finding; a shortfall
// without drops is an error.
func (b *bench) counted(ctx context.Context, insts []*instance, before []flowCounts, made int64) error {
	port := b.port.port()
	got := make([]flowCounts, len(insts))
	short := func(k int) bool { return insts[k].events == "auto" && int64(got[k].opened) < made }
	deadline := time.Now().Add(drainTimeout)
	for {
		waiting := false
		for k, i := range insts {
			f, err := i.flow(ctx, port)
			if err != nil {
				return err
			}
			got[k] = flowCounts{opened: f.opened - before[k].opened, lost: f.lost - before[k].lost}
			waiting = waiting || short(k)
		}
		if !waiting || time.Now().After(deadline) {
			break
		}
		if err := b.wait(ctx, drainStep); err != nil {
			return err
		}
	}
	fmt.Fprintf(b.out, "Counted by connlab (flow.total.opened) of %d connections churned:", made)
	for k, i := range insts {
		fmt.Fprintf(b.out, " %s %d;", i.name(), got[k].opened)
	}
	fmt.Fprintln(b.out, " polls are lower bounds (a connection that opens and ends between two polls is unseen).")
	var errs []error
	for k, i := range insts {
		switch {
		case !short(k):
		case got[k].lost > 0:
			fmt.Fprintf(b.out, "**connlab %s missed %d connections: the kernel dropped %d of its events (ring buffer full: its reader fell behind).**\n", i.name(), made-int64(got[k].opened), got[k].lost)
		case queueDrops(i.out.String()) > 0:
			fmt.Fprintf(b.out, "**connlab %s missed %d connections: its monitor dropped at least %d events (queue full, in its log).**\n", i.name(), made-int64(got[k].opened), queueDrops(i.out.String()))
		default:
			errs = append(errs, fmt.Errorf("connlab %s counted %d of %d connections churned on its port, and reports no dropped events", i.name(), got[k].opened, made))
		}
	}
	fmt.Fprintln(b.out)
	return errors.Join(errs...)
}

// queueDrops adds up the events a connlab log says its monitor dropped
// (level=WARN msg="monitor: kernel transitions dropped (queue full)" n=N).
func queueDrops(log string) int {
	total := 0
	for line := range strings.Lines(log) {
		if !strings.Contains(line, "kernel transitions dropped (queue full)") {
			continue
		}
		for f := range strings.FieldsSeq(line) {
			if v, ok := strings.CutPrefix(f, "n="); ok {
				n, _ := strconv.Atoi(v)
				total += n
			}
		}
	}
	return total
}

// kernel measures the machine with one connlab watching an idle port while
// another port churns: with eBPF attached, and with polls only, alternately
// (order swapped every round); then one window with BPF statistics on.
func (b *bench) kernel(ctx context.Context) error {
	u, err := newIdlePort(0)
	if err != nil {
		return err
	}
	defer u.close()
	ch := startChurn(u.ln, b.o.unwatchedRate, 0)
	stopped := false
	defer func() {
		if !stopped {
			_ = ch.stop()
		}
	}()
	// Per source (0 eBPF, 1 polls), per round, in ms/s.
	const rows = 4
	var fig [rows][2][]float64
	for r := range b.o.rounds {
		order := []string{"auto", "polls"}
		if r%2 == 1 {
			order = []string{"polls", "auto"}
		}
		for _, ev := range order {
			w, err := b.single(ctx, ev, ch)
			if err != nil {
				return err
			}
			k := 0
			if ev == "polls" {
				k = 1
			}
			own := perSecond(w.procs[0].sched, w.wall)
			fig[0][k] = append(fig[0][k], perSecond(w.machine.busy, w.wall)-own)
			fig[1][k] = append(fig[1][k], perSecond(w.self.sched, w.wall))
			fig[2][k] = append(fig[2][k], own)
			fig[3][k] = append(fig[3][k], perSecond(w.machine.idle, w.wall))
		}
	}
	runs, nsPerRun, perProg, err := b.bpfStats(ctx, ch)
	if err != nil {
		return err
	}
	stopped = true
	if err := ch.stop(); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "### Kernel-side cost of connlab's eBPF programs per TCP transition on a port it does not watch\n\n")
	fmt.Fprintf(b.out, "Churn of %.0f connections/s (held for one %s tick) on a port no connlab watches: %s TCP transitions/s host-wide (the programs' run counts). One connlab watches an idle port, with eBPF attached or with polls only, in alternate windows (order swapped each round). The difference column is (eBPF − polls) of the paired windows per host-wide transition.\n\n",
		b.o.unwatchedRate, churnTick, fmtMs(runs))
	fmt.Fprintln(b.out, "| ms/s of CPU | with connlab's eBPF | polls only | eBPF vs polls | difference per transition |")
	fmt.Fprintln(b.out, "|---|---:|---:|---:|---:|")
	names := [rows]string{
		"machine busy (/proc/stat, all CPUs, tick-sampled), connlab excluded",
		"the churning process (this program: its syscalls and the loopback softirqs they run)",
		"connlab's own",
		"machine idle",
	}
	for f := range rows {
		ratios := make([]float64, len(fig[f][0]))
		diffs := make([]float64, len(fig[f][0]))
		for r := range ratios {
			ratios[r] = ratio(fig[f][0][r], fig[f][1][r])
			diffs[r] = (fig[f][0][r] - fig[f][1][r]) * 1e6 / runs // ms/s per (runs/s) -> ns per run
		}
		diff := spreadOf(diffs).format(fmtSignedNs)
		if f >= 2 {
			diff = ""
		}
		fmt.Fprintf(b.out, "| %s | %s | %s | %s | %s |\n", names[f], spreadOf(fig[f][0]).format(fmtMs), spreadOf(fig[f][1]).format(fmtMs), spreadOf(ratios).format(fmtX), diff)
	}
	fmt.Fprintln(b.out)
	fmt.Fprintf(b.out, "BPF statistics (kernel.bpf_stats: run time summed by the kernel over one window, which adds two clock reads per run): %s ns per program run; %s.", fmtMs(nsPerRun), perProg)
	fmt.Fprint(b.out, " A difference whose range spans zero is below what that measure resolves here: other work on the machine varies more between windows than the programs cost.")
	if idle := spreadOf(append(fig[3][0], fig[3][1]...)).med; idle < saturated*1000*float64(runtime.NumCPU()) {
		fmt.Fprintf(b.out, " The machine was saturated (idle %s ms/s of %d000): its busy time cannot grow, so the first row shows nothing, and what else runs competes with the churning process for the CPUs and their caches, which the second row's difference includes.", fmtMs(idle), runtime.NumCPU())
	}
	fmt.Fprintln(b.out)
	fmt.Fprintln(b.out)
	return nil
}

// single runs one window with one connlab (events "auto" or "polls").
func (b *bench) single(ctx context.Context, events string, ch *churner) (window, error) {
	i, err := startInstance(ctx, b.o.connlab, events, false, b.port.port())
	if err != nil {
		return window{}, err
	}
	defer i.stop()
	if err := b.wait(ctx, b.o.settle); err != nil {
		return window{}, err
	}
	return b.measure(ctx, []*instance{i}, ch)
}

// bpfStats runs one window of an eBPF connlab with BPF run statistics on:
// its programs' runs per second, run time per run, and a line per program.
func (b *bench) bpfStats(ctx context.Context, ch *churner) (runsPerSec, nsPerRun float64, perProg string, err error) {
	i, err := startInstance(ctx, b.o.connlab, "auto", false, b.port.port())
	if err != nil {
		return 0, 0, "", err
	}
	defer i.stop()
	if err := b.wait(ctx, b.o.settle); err != nil {
		return 0, 0, "", err
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return 0, 0, "", fmt.Errorf("enable bpf statistics: %w", err)
	}
	defer stats.Close()
	p0, err := readBPFProgs(i.pid())
	if err != nil {
		return 0, 0, "", err
	}
	t0 := time.Now()
	if err := b.wait(ctx, b.o.window); err != nil {
		return 0, 0, "", err
	}
	p1, err := readBPFProgs(i.pid())
	wall := time.Since(t0)
	if err != nil {
		return 0, 0, "", err
	}
	if len(p0) == 0 || len(p0) != len(p1) {
		return 0, 0, "", fmt.Errorf("connlab -transitions auto holds %d BPF programs, then %d", len(p0), len(p1))
	}
	var runs uint64
	var runTime time.Duration
	var lines []string
	for k := range p1 {
		n, d := p1[k].runs-p0[k].runs, p1[k].runTime-p0[k].runTime
		runs += n
		runTime += d
		per := "no runs"
		if n > 0 {
			per = fmtNs(float64(d)/float64(n)) + " per run"
		}
		lines = append(lines, fmt.Sprintf("%s %s runs/s, %s", name(p1[k].tp), fmtMs(float64(n)/wall.Seconds()), per))
	}
	if runs == 0 {
		return 0, 0, "", errors.New("connlab's BPF programs did not run during the churn")
	}
	lines = append(lines, fmt.Sprintf("all together %s ms/s of kernel CPU", fmtMs(perSecond(runTime, wall))))
	return float64(runs) / wall.Seconds(), float64(runTime) / float64(runs), strings.Join(lines, "; "), nil
}

func name(tp string) string {
	if tp == "" {
		return "(unlinked program)"
	}
	return tp
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

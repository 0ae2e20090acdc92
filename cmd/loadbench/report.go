package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// spread is the median and range of a set of figures.
type spread struct {
	med, lo, hi float64
	n           int
}

func spreadOf(v []float64) spread {
	if len(v) == 0 {
		return spread{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{med: m, lo: s[0], hi: s[len(s)-1], n: len(s)}
}

// rate renders a spread of requests/s: "21,345 (20,100–22,000)".
func (s spread) rate() string {
	if s.n == 0 {
		return "–"
	}
	if s.n == 1 {
		return thousands(s.med)
	}
	return fmt.Sprintf("%s (%s–%s)", thousands(s.med), thousands(s.lo), thousands(s.hi))
}

// thousands renders v rounded, with comma separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func mb(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}

// modeResult is every run of one keep-alive mode.
type modeResult struct {
	keepAlive  bool
	n          int
	connlab    []float64 // req/s per round
	hey        []float64 // hey against the instrumented server, per round
	plain      []float64 // hey against the plain server, per round
	errConnlab int
	errHey     int
	connsConnl int // connections of connlab's last run
	connsHey   int // connections of hey's last run (instrumented server)
	heyMissing int // requests hey sent that the instrumented server did not count
	// CPU µs per request, per round: connlab's process (client, server,
	// monitor); hey's process plus ours (server, monitor); hey's alone.
	cpuConnlab, cpuHey, cpuHeyOwn []float64
	// CPU cores busy during the runs (CPU time / wall time), per round.
	coresConnlab, coresHey []float64
}

// ratio is median(connlab)/median(hey), and the range of the per-round
// ratios (each round's connlab over the same round's hey).
func (m *modeResult) ratio() (med float64, rounds spread) {
	c, h := spreadOf(m.connlab), spreadOf(m.hey)
	if h.med > 0 {
		med = c.med / h.med
	}
	var per []float64
	for i := range min(len(m.connlab), len(m.hey)) {
		if m.hey[i] > 0 {
			per = append(per, m.connlab[i]/m.hey[i])
		}
	}
	return med, spreadOf(per)
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// printTable writes the throughput table in Markdown.
func printTable(w io.Writer, modes []*modeResult, reference bool) {
	head := "| keep-alive | requests/run | connlab req/s (full instrumentation) | hey req/s (same instrumented server) | connlab / hey |"
	rule := "|---|---:|---:|---:|---:|"
	if reference {
		head += " hey req/s (plain net/http server) |"
		rule += "---:|"
	}
	head += " conns/run connlab · hey | errors connlab · hey |"
	rule += "---:|---:|"
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, rule)
	for _, m := range modes {
		med, per := m.ratio()
		ratio := fmt.Sprintf("**%.2fx**", med)
		if per.n > 1 {
			ratio += fmt.Sprintf(" (%.2f–%.2f)", per.lo, per.hi)
		}
		row := fmt.Sprintf("| %s | %s | %s | %s | %s |", onOff(m.keepAlive), thousands(float64(m.n)),
			spreadOf(m.connlab).rate(), spreadOf(m.hey).rate(), ratio)
		if reference {
			row += " " + spreadOf(m.plain).rate() + " |"
		}
		row += fmt.Sprintf(" %s · %s | %d · %d |", thousands(float64(m.connsConnl)), thousands(float64(m.connsHey)), m.errConnlab, m.errHey)
		fmt.Fprintln(w, row)
	}
}

// printTargets says, in one line per mode, how the ratio compares with
// the target (a figure, not a verdict on the run).
func printTargets(w io.Writer, modes []*modeResult) {
	for _, m := range modes {
		med, _ := m.ratio()
		word := "meets"
		if med < targetRatio {
			word = "is below"
		}
		fmt.Fprintf(w, "- keep-alive %s: connlab runs at %.2fx hey's requests/s, which %s the %.1fx target.\n", onOff(m.keepAlive), med, word, targetRatio)
	}
}

// printRSS writes the memory table in Markdown.
func printRSS(w io.Writer, r rssResult, c int) {
	fmt.Fprintln(w, "| run | requests | errors | connections | req/s | peak RSS (VmHWM) | final RSS (VmRSS) | Go heap in use | target |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
	verdict := "under 100 MB"
	if r.PeakRSS <= 0 {
		verdict = "unknown (no /proc)"
	} else if r.PeakRSS >= rssTarget {
		verdict = "**over** 100 MB"
	}
	fmt.Fprintf(w, "| keep-alive on, c=%d, full instrumentation | %s | %d | %s | %s | %s | %s | %s | %s |\n",
		c, thousands(float64(r.Requests)), r.Errors, thousands(float64(r.Conns)), thousands(r.RPS),
		mb(r.PeakRSS), mb(r.FinalRSS), mb(int64(r.HeapInuse)), verdict)
}

// us renders a spread of µs/request: "52.1 (50.3–55.0)".
func (s spread) us() string {
	if s.n == 0 {
		return "–"
	}
	if s.n == 1 {
		return fmt.Sprintf("%.1f", s.med)
	}
	return fmt.Sprintf("%.1f (%.1f–%.1f)", s.med, s.lo, s.hi)
}

// printCPU writes the CPU-per-request table in Markdown; false when the
// CPU time is unknown here. The server's share is what this process used
// while hey ran (instrumented server and monitor); connlab's client is
// estimated as connlab's whole process minus that share.
func printCPU(w io.Writer, modes []*modeResult) bool {
	if len(modes) == 0 || len(modes[0].cpuConnlab) == 0 {
		return false
	}
	fmt.Fprintln(w, "CPU time per request, µs (user + system, every process involved), median (min–max): less sensitive than req/s to other load on a shared box; on dedicated CPUs throughput follows its inverse. Cores busy (CPU time / wall time, median) shows how much of the machine each run got: well under the CPU count means other processes took the rest.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| keep-alive | connlab: client + server + monitor | hey + same server + monitor | hey's process alone | server + monitor alone | connlab's client ≈ | hey / connlab: total · client | cores busy: connlab · hey |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, m := range modes {
		var srv []float64
		for i := range min(len(m.cpuHey), len(m.cpuHeyOwn)) {
			srv = append(srv, m.cpuHey[i]-m.cpuHeyOwn[i])
		}
		c, h, own, sv := spreadOf(m.cpuConnlab), spreadOf(m.cpuHey), spreadOf(m.cpuHeyOwn), spreadOf(srv)
		client := c.med - sv.med
		ratios := "–"
		if c.med > 0 && client > 0 {
			ratios = fmt.Sprintf("**%.2fx** · %.2fx", h.med/c.med, own.med/client)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.1f | %s | %.2f · %.2f |\n", onOff(m.keepAlive), c.us(), h.us(), own.us(), sv.us(), client, ratios,
			spreadOf(m.coresConnlab).med, spreadOf(m.coresHey).med)
	}
	return true
}

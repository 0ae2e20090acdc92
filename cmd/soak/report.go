package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
)

// printAbuse prints the abuse figures as a table, each with its target.
func printAbuse(out io.Writer, rep *abuseReport, ab abuseOptions) {
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "figure\tmeasured\ttarget\t")
	if rep.labRuns > 0 {
		fmt.Fprintf(w, "Lab: RSS after %d runs at concurrency %d (after run 1; highest)\t%s (%s; %s)\t≤ %s\t%s\n",
			rep.labRuns, abuseConcurrency, formatMB(float64(rep.labRSS)), formatMB(float64(rep.labEach[0])), formatMB(float64(rep.labPeakRSS)),
			formatMB(abuseLabRSSTarget), mark(rep.labRSS <= abuseLabRSSTarget))
		fmt.Fprintf(w, "Lab: RSS %s after the last run (idle)\t%s\t≤ %s\t%s\n", rep.labIdle,
			formatMB(float64(rep.labIdleRSS)), formatMB(abuseLabRSSTarget), mark(rep.labIdleRSS <= abuseLabRSSTarget))
	}
	if len(rep.variants) > 0 {
		fmt.Fprintf(w, "websocket: abused port\t%d sockets, snapshot %d KB\t\t\n", rep.sockets, rep.snapshot>>10)
	}
	for _, f := range rep.variants {
		growth := f.rssPeak - f.rssBase
		fmt.Fprintf(w, "%s: RSS growth (from → peak)\t%s (%s → %s)\t≤ %s\t%s\n", f.name,
			formatMB(float64(growth)), formatMB(float64(f.rssBase)), formatMB(float64(f.rssPeak)),
			formatMB(abuseRSSGrowth), mark(growth <= abuseRSSGrowth))
		p50, hmax := quantiles(f.healthDuring)
		b50, bmax := quantiles(f.healthBefore)
		fmt.Fprintf(w, "%s: /healthz p50 / max during (before)\t%.1f / %.1f ms (%.1f / %.1f ms), %d probes, %d unanswered\t< %.0f ms\t%s\n", f.name,
			p50, hmax, b50, bmax, len(f.healthDuring), f.healthFails, float64(abuseHealthTarget.Microseconds())/1000,
			mark(len(f.healthDuring) > 0 && f.healthFails == 0 && hmax < float64(abuseHealthTarget.Microseconds())/1000))
		fmt.Fprintf(w, "%s: viewer ticks/s before → during\t%.1f → %.1f\tunchanged (≥ %.0f%%)\t%s\n", f.name,
			f.ticksBefore, f.ticksDuring, abuseTickShare*100, mark(f.ticksBefore > 0 && f.ticksDuring >= abuseTickShare*f.ticksBefore))
		fmt.Fprintf(w, "%s: how the %d abusive clients ended\t%s\tclosed 1013\t\n", f.name, ab.clients, endings(f.ends))
		fmt.Fprintf(w, "%s: connlab's log: hub drops, websocket 1013 closes\t%d, %d\t%d, %d\t\n", f.name,
			f.logHubDrops, f.logWSCloses, ab.clients, ab.clients)
		fmt.Fprintf(w, "%s: connlab CPU before → during; host load\t%.0f%% → %.0f%%; load %s → %s\t\t\n", f.name,
			f.cpuBefore, f.cpuDuring, f.loadBefore, f.loadDuring)
	}
	_ = w.Flush()
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// quantiles returns the median and the maximum (0, 0 for none).
func quantiles(xs []float64) (p50, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	return median(xs), slices.Max(xs)
}

// endings formats the counts of how clients ended: "8 closed 1013".
func endings(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

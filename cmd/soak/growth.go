package main

import (
	"fmt"
	"slices"
)

// limit is how far a metric may rise from the middle third of a run to the
// last third before it counts as growing: rel × the middle third's peak,
// plus abs.
type limit struct {
	name   string
	rel    float64
	abs    float64
	format func(float64) string
}

// The slack of each judged metric (see the package doc).
var (
	limitRSS        = limit{name: "RSS", rel: 0.10, abs: 16 << 20, format: formatMB}
	limitFDs        = limit{name: "fds", rel: 0.10, abs: 16, format: formatCount}
	limitGoroutines = limit{name: "goroutines", rel: 0.10, abs: 32, format: formatCount}
	limitThreads    = limit{name: "threads", rel: 0.25, abs: 8, format: formatCount}
)

// verdict is the growth rule's answer for one metric.
type verdict struct {
	grew   bool
	detail string // "RSS: last third peak 61.0 MB > middle third peak 40.1 MB + 20.0 MB slack"
}

// judge applies the growth rule to the per-period medians of one metric:
// the first third of the periods is warm-up; the metric grew when the
// highest median of the last third exceeds the highest median of the middle
// third by more than l.rel × that peak + l.abs. It needs at least
// minVerdictPeriods periods (the caller also requires minVerdictRun).
func judge(medians []float64, l limit) (verdict, bool) {
	n := len(medians)
	if n < minVerdictPeriods {
		return verdict{}, false
	}
	k := n / 3
	middle, last := medians[n-2*k:n-k], medians[n-k:]
	peakMid, peakLast := slices.Max(middle), slices.Max(last)
	slack := l.rel*peakMid + l.abs
	v := verdict{grew: peakLast > peakMid+slack}
	op := "≤"
	if v.grew {
		op = ">"
	}
	v.detail = fmt.Sprintf("%s: last third peak %s %s middle third peak %s + %s slack",
		l.name, l.format(peakLast), op, l.format(peakMid), l.format(slack))
	return v, true
}

// median of xs (0 for none); xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func formatMB(v float64) string    { return fmt.Sprintf("%.1f MB", v/(1<<20)) }
func formatCount(v float64) string { return fmt.Sprintf("%.0f", v) }

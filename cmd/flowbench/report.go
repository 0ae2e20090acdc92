package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// spread is the median and range of one figure over the rounds.
type spread struct {
	med, lo, hi float64
	n           int
}

// spreadOf summarises xs, ignoring NaNs (a ratio against zero).
func spreadOf(xs []float64) spread {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return spread{med: math.NaN(), lo: math.NaN(), hi: math.NaN()}
	}
	slices.Sort(v)
	med := v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return spread{med: med, lo: v[0], hi: v[len(v)-1], n: len(v)}
}

// format renders the median with its range when there is more than one
// round, each value through f.
func (s spread) format(f func(float64) string) string {
	if s.n == 0 {
		return "n/a"
	}
	if s.n == 1 || s.lo == s.hi {
		return f(s.med)
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.med), f(s.lo), f(s.hi))
}

// ratio is a/b, NaN when b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return a / b
}

// perSecond is d spent over wall, in milliseconds per second.
func perSecond(d, wall time.Duration) float64 {
	if wall <= 0 {
		return math.NaN()
	}
	return float64(d) / float64(time.Millisecond) / wall.Seconds()
}

// Number formats.
func fmtMs(x float64) string       { return strconv.FormatFloat(x, 'f', decimals(x), 64) }
func fmtX(x float64) string        { return strconv.FormatFloat(x, 'f', 2, 64) + "x" }
func fmtNs(x float64) string       { return strconv.FormatFloat(x, 'f', 0, 64) + " ns" }
func fmtSignedNs(x float64) string { return fmtSigned(x) + " ns" }
func fmtSigned(x float64) string {
	s := strconv.FormatFloat(x, 'f', decimals(x), 64)
	if x >= 0 {
		s = "+" + s
	}
	return s
}

// decimals keeps about three significant digits.
func decimals(x float64) int {
	switch a := math.Abs(x); {
	case a >= 100:
		return 0
	case a >= 10:
		return 1
	case a >= 1:
		return 2
	default:
		return 3
	}
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

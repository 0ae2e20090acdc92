package verdict

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// count renders "1 connection" / "20 connections".
func count(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, noun(n, one, many))
}

// noun picks the singular or plural form for n.
func noun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// of renders "20 of 20 requests" / "1 of 1 request", plural by the total.
func of(n, total int, one, many string) string {
	return ofN(n, total) + " " + noun(total, one, many)
}

// ofN renders "20 of 20".
func ofN(n, total int) string {
	return fmt.Sprintf("%d of %d", n, total)
}

// pct renders n/d as a rounded percentage that never claims 0% or 100%
// unless it is exactly that.
func Percent(n, d int) string {
	if d <= 0 {
		return "0%"
	}
	if n == d {
		return "100%"
	}
	if n == 0 {
		return "0%"
	}
	p := float64(n) * 100 / float64(d)
	switch {
	case p < 0.1:
		return "<0.1%"
	case p < 10:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", p), ".0") + "%"
	case p > 99 && n < d:
		return ">99%"
	}
	return fmt.Sprintf("%.0f%%", math.Round(p))
}

// ratio renders n/d with precision that suits its size: "100", "2.5", "33".
func ratio(n, d int) string {
	if d <= 0 {
		return "0"
	}
	if n%d == 0 {
		return fmt.Sprintf("%d", n/d)
	}
	v := float64(n) / float64(d)
	if v < 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// ms renders a duration in milliseconds, switching to seconds from 1 s on.
func ms(v float64) string {
	switch {
	case v >= 100_000:
		return fmt.Sprintf("%.0f s", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1f s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

// rate renders a throughput: "850 req/s", "2.5 req/s".
func rate(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f req/s", v)
	}
	return fmt.Sprintf("%.1f req/s", v)
}

// sortedKeys returns m's keys ordered by count (desc), then key (asc), so
// that map iteration order never reaches the output.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// sum adds m's positive values.
func sum(m map[string]int) int {
	t := 0
	for _, v := range m {
		t += max(v, 0)
	}
	return t
}

// quote renders an error sample on one short line.
func quote(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return "`" + s + "`"
}

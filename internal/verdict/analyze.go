package verdict

import "fmt"

// Analyze turns measured evidence into findings, in a fixed order. It is pure
// and deterministic: the same Evidence always yields the same findings.
func Analyze(ev Evidence) []Finding {
	var fs []Finding
	fs = append(fs, reuse(ev))
	return fs
}

func reuse(ev Evidence) Finding {
	c, r := ev.Connections.Accepted, ev.Requests.Total
	return Finding{
		ID:       "reuse",
		Level:    "info",
		Text:     fmt.Sprintf("%d connections for %d requests", c, r),
		Evidence: []string{fmt.Sprintf("listener accepted %d connections for %d requests", c, r)},
	}
}

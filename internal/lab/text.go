package lab

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/verdict"
	"github.com/connlab/connlab/internal/wire"
)

// textLanes is how many connections the text report lists.
const textLanes = 10

var levelMarks = map[string]string{"good": "[ok]  ", "info": "[info]", "warn": "[warn]", "bad": "[BAD] "}

// WriteText writes the human report of a result: what ran, the verdict,
// then the tables behind it. It is what `connlab run` prints.
func WriteText(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	p := ew.printf
	p("connlab run %s    %s    127.0.0.1:%d    %s\n", nameOr(r.Preset, "(custom)"), r.Go, r.Port, r.Status)
	if r.Error != "" {
		p("error: %s\n", r.Error)
	}
	if info, ok := experiment.Lookup(r.Preset); ok {
		p("question: %s\n", info.Question)
		p("look at:  %s\n", info.LookAt)
	}
	if sets := overrides(r); len(sets) > 0 {
		p("-set:     %s\n", strings.Join(sets, " "))
	}
	pr := &r.Progress
	p("workload: %d requests in %s (%s req/s), then %s observed\n\n",
		r.Requests.Total, secs(pr.WorkloadMs), num(r.Latency.RequestsPerSec), secs(pr.ObserveMs))

	p("VERDICT\n")
	for _, f := range r.Findings {
		p("%s %s\n", levelMarks[f.Level], f.Text)
		for _, e := range f.Evidence {
			p("         - %s\n", e)
		}
		if f.Why != "" {
			p("         why: %s\n", f.Why)
		}
		if f.Change != "" {
			p("         change: %s\n", f.Change)
		}
	}
	p("\n")

	q, c, k := &r.Requests, &r.Connections, &r.Kernel
	p("REQUESTS     total %d, ok %d, errors %d, retried %d, resp.Close %d\n", q.Total, q.OK, q.Errors, q.Retried, q.RespClose)
	p("  reuse      %s\n", reuseLine(c, q))
	p("  server saw %s\n", countList(q.ServerSaw, "Connection: ", "no Connection header"))
	p("  protocols  %s; framing %s\n", countList(q.Protos, "", ""), countList(q.Framing, "", ""))
	p("LATENCY      p50 %s ms, p99 %s ms, max %s ms\n", num(r.Latency.P50Ms), num(r.Latency.P99Ms), num(r.Latency.MaxMs))
	p("CONNECTIONS  %s\n", countsLine(c))
	p("  dialed %d, reset %d, peak open %d, most requests on one %d\n", c.Dialed, c.Reset, c.PeakOpen, c.MaxRequestsPerConn)
	p("  closed first: server %d, client %d, simultaneous %d (before the teardown); server idle-closed %d\n",
		c.ClosedFirst.Server, c.ClosedFirst.Client, c.ClosedFirst.Simultaneous, c.ServerIdleClosed)
	p("\n")
	if k.Polls == 0 {
		p("KERNEL       no kernel evidence (the port was not polled)\n")
	} else {
		row := func(name string, v wire.SidePair) { p("  %-22s %11d %11d\n", name, v.Server, v.Client) }
		p("KERNEL       %s, %d polls\n", k.Source, k.Polls)
		p("  %-22s %11s %11s\n", "", "server side", "client side")
		row("TIME_WAIT peak", k.TimeWaitPeak)
		row("TIME_WAIT at the end", k.TimeWaitEnd)
		row("ESTABLISHED peak", k.EstablishedPeak)
		row("CLOSE_WAIT peak", k.CloseWaitPeak)
		row("keepalive timers peak", k.KeepalivePeak)
		switch {
		case k.DrainedMs < 0:
			p("  TIME_WAIT had not drained when observation ended (it lasts 60 s on Linux; -set observe=65s shows it go)\n")
		case k.TimeWaitPeak.Server+k.TimeWaitPeak.Client > 0:
			p("  TIME_WAIT drained %s after the workload\n", secs(k.DrainedMs))
		}
	}
	p("\n")
	var tw *tabwriter.Writer
	t := func(format string, a ...any) { _, _ = fmt.Fprintf(tw, format, a...) }
	if len(r.Lanes) > 0 {
		n := min(textLanes, len(r.Lanes))
		p("LAST %d OF %d CONNECTIONS\n", n, r.LanesTotal)
		tw = tabwriter.NewWriter(ew, 2, 8, 2, ' ', 0)
		t("id\tclient port\trequests\topened ms\tclosed by\tend\tlifetime ms\tTIME_WAIT\n")
		for _, l := range r.Lanes[len(r.Lanes)-n:] {
			by, life := "(open)", "-"
			if l.ClosedBy != "" {
				by = l.ClosedBy
				if l.Teardown {
					by += " (teardown)"
				} else if l.IdleClosed {
					by += " (idle)"
				}
				life = num(l.EndedMs - l.OpenedMs)
			}
			t("%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", l.ID, l.ClientPort, l.Requests, num(l.OpenedMs), by, nameOr(l.End, "-"), life, nameOr(l.TimeWait, "-"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		p("\n")
	}
	if len(q.ErrorSamples) > 0 {
		p("ERRORS\n")
		for _, e := range sortedByCount(q.ErrorSamples) {
			p("  %6d  %s\n", q.ErrorSamples[e], e)
		}
	}
	return ew.err
}

// countsLine is the connection counts under the names every view uses
// (the progress panel, Compare, the JSON's opened, carried, unused and
// teardown): "connections opened 620: carried requests 378, never used
// 242; closed by teardown 2".
func countsLine(c *wire.ExpConnections) string {
	s := fmt.Sprintf("connections opened %d: carried requests %d, never used %d; closed by teardown %d", c.Opened, c.Carried, c.Unused, c.Teardown)
	if c.Open > 0 {
		s += fmt.Sprintf("; still open %d", c.Open)
	}
	return s
}

// reuseLine is the server's count of reuse over the requests the server
// served (the population of the verdict's and Compare's ratio), with
// httptrace's figure beside it when it differs.
func reuseLine(c *wire.ExpConnections, q *wire.ExpRequests) string {
	served := c.ServedRequests
	s := fmt.Sprintf("%d of %d requests served went over an already-used connection (%s, the server's count)",
		c.ReusedRequests, served, percent(c.ReusedRequests, served))
	if q.Reused != c.ReusedRequests {
		s += fmt.Sprintf("; httptrace GotConn said reused on %d of %d", q.Reused, q.Total)
	}
	return s
}

// percent is part of whole as the verdict writes it ("-" when whole is 0).
func percent(part, whole int) string {
	if whole <= 0 {
		return "-"
	}
	return verdict.Percent(part, whole)
}

// overrides lists "key=value" for the spec fields that differ from the
// preset (or from Default), as -set would write them.
func overrides(r *Result) []string {
	var s experiment.Spec
	if err := json.Unmarshal(r.Spec, &s); err != nil {
		return nil
	}
	base := experiment.Default()
	if p, err := experiment.Preset(r.Preset); err == nil {
		base = p
	}
	return experiment.Diff(&s, &base)
}

func countList(m map[string]int, prefix, empty string) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range sortedByCount(m) {
		name := prefix + k
		if k == "" && empty != "" {
			name = empty
		}
		parts = append(parts, fmt.Sprintf("%s x%d", name, m[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedByCount(m map[string]int) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	return keys
}

func nameOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// num prints a measurement with 3 significant digits at most.
func num(v float64) string {
	switch {
	case v >= 100 || v == 0:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func secs(ms float64) string { return num(ms/1000) + " s" }

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, a ...any) { _, _ = fmt.Fprintf(e, format, a...) }

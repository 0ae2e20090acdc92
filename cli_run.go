package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/connlab/connlab/internal/app"
	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/wire"
)

// Headless runs poll the kernel faster than the dashboard: runs are short.
const (
	runDefaultInterval = 100 * time.Millisecond
	runProgressEvery   = time.Second // progress line on stderr
	runStopGrace       = 5 * time.Second
)

// stringList is a repeatable flag (-set a=1 -set b=2).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runPresets prints the presets: name, question, what to look at.
func runPresets(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connlab presets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the presets with their specs as JSON")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("presets takes no arguments, got %s", quoteArg(fs.Arg(0)))}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(experiment.Presets())
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRESET\tQUESTION")
	for _, p := range experiment.Presets() {
		fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Question)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nRun one: connlab run PRESET [-set key=value ...] [-json]")
	return nil
}

type runOptions struct {
	preset   string
	spec     experiment.Spec
	json     bool
	interval time.Duration
	sampler  string
	out      string // -o: the run file to write ("" for none)
}

func parseRunFlags(args []string, stderr io.Writer) (runOptions, error) {
	var o runOptions
	var sets stringList
	fs := flag.NewFlagSet("connlab run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&sets, "set", "override a spec field: key=value (repeatable; keys as in the spec JSON, e.g. requests, interval, client.disableKeepAlives, server.idleTimeout)")
	fs.BoolVar(&o.json, "json", false, "print the full result as JSON")
	fs.DurationVar(&o.interval, "interval", runDefaultInterval, "kernel poll interval during the run (min 50ms)")
	fs.StringVar(&o.sampler, "sampler", "auto", "socket source: auto, netlink or gopsutil")
	fs.StringVar(&o.out, "o", "", "also write the run to `FILE` (the run file the dashboard downloads; read it with connlab show FILE)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: connlab run PRESET [-set key=value ...] [-json] [-o FILE]\n\nPresets: %s\nSpec keys: %s\n\nFlags:\n",
			strings.Join(experiment.PresetNames(), ", "), strings.Join(experiment.Keys(), ", "))
		fs.PrintDefaults()
	}
	// The preset may come before or after the flags.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		o.preset, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return o, flagErr(err)
	}
	if o.preset == "" && fs.NArg() > 0 {
		o.preset = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return o, flagErr(err)
		}
	}
	if fs.NArg() > 0 {
		return o, &usageError{fmt.Sprintf("unexpected argument %s after the preset", quoteArg(fs.Arg(0)))}
	}
	if o.preset == "" {
		return o, &usageError{"name a preset: connlab run PRESET (see connlab presets)"}
	}
	spec, err := experiment.Preset(o.preset)
	if err != nil {
		// The Lab's error already lists the presets.
		return o, &usageError{clipArgs(err.Error())}
	}
	for _, kv := range sets {
		if err := experiment.SetPair(&spec, kv); err != nil {
			return o, &usageError{"-set " + quoteArg(kv) + ": " + clipArgs(err.Error())}
		}
	}
	if err := spec.Validate(); err != nil {
		return o, &usageError{err.Error()}
	}
	if err := checkPollFlags(o.interval, o.sampler); err != nil {
		return o, err
	}
	o.spec = spec
	return o, nil
}

// flagErr turns a flag package error into a usage error (-h is not an error).
func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err.Error()}
}

// runExperiment runs one experiment headless and prints its verdict.
func runExperiment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(app.Config{Log: log, Sampler: o.sampler, Interval: o.interval, History: time.Hour, Headless: true})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(runCtx) }() // stopped by stop, waited for below
	defer func() { stop(); <-runErr }()

	mgr := a.Lab
	id, err := mgr.Start(ctx, o.spec)
	if err != nil {
		return fmt.Errorf("start %s: %w", o.preset, err)
	}
	res, err := waitWithProgress(ctx, mgr, id, stderr)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
	} else if err := lab.WriteText(stdout, res); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if o.out != "" { // after the report: a failed write still leaves the verdict on screen
		if err := writeRunFile(o.out, res); err != nil {
			return err
		}
	}
	switch res.Status {
	case wire.ExpCompleted:
		return nil
	case wire.ExpStopped:
		return errors.New("the run was stopped before it completed")
	}
	return fmt.Errorf("the run failed: %s", res.Error)
}

// waitWithProgress waits for the experiment, printing a progress line every
// second; on ctx cancel (Ctrl-C) it stops the run and returns its result.
func waitWithProgress(ctx context.Context, mgr *lab.Manager, id string, stderr io.Writer) (*wire.ExperimentResult, error) {
	tick := time.NewTicker(runProgressEvery)
	defer tick.Stop()
	done := make(chan struct{})
	var res *wire.ExperimentResult
	var werr error
	go func() { // ends when the run ends (Stop below guarantees it)
		defer close(done)
		res, werr = mgr.Wait(context.Background(), id)
	}()
	for {
		select {
		case <-done:
			return res, werr
		case <-ctx.Done():
			_ = mgr.Stop(id)
			select {
			case <-done:
				return res, werr
			case <-time.After(runStopGrace):
				return nil, errors.New("the run did not stop in time")
			}
		case <-tick.C:
			if r, ok := mgr.Get(id); ok {
				fmt.Fprintln(stderr, progressLine(r))
			}
		}
	}
}

func progressLine(r *wire.ExperimentResult) string {
	p := r.Progress
	target := "until stopped"
	if p.RequestsTarget > 0 {
		target = fmt.Sprintf("of %d", p.RequestsTarget)
	} else if p.DurationMs > 0 {
		target = fmt.Sprintf("in %s", time.Duration(p.DurationMs)*time.Millisecond)
	}
	return fmt.Sprintf("… %-8s %5.1fs  %d requests %s, %d connections", p.Phase, p.ElapsedMs/1000, p.RequestsDone, target, r.Connections.Opened)
}

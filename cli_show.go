package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/connlab/connlab/internal/atomicfile"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/runstore"
	"github.com/connlab/connlab/internal/wire"
)

// runFilePerm is the mode of a file written with -o: a file to share, as
// a shell's redirection would create it (the state directory's are 0600).
const runFilePerm = 0o644

// writeRunFile writes res as a run file at path (connlab run -o), atomically.
func writeRunFile(path string, res *wire.ExperimentResult) error {
	f := wire.NewRunFile(*res, version, time.Now())
	b, err := runstore.Marshal(&f)
	if err != nil {
		return fmt.Errorf("write the run to %s: %w", path, err)
	}
	if err := atomicfile.Write(path, b, runFilePerm); err != nil {
		return fmt.Errorf("write the run (-o): %w", err)
	}
	return nil
}

// runShow prints a run file's verdict as `connlab run` printed it, or its
// result as JSON.
func runShow(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connlab show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the run's result as JSON (as connlab run -json does)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: connlab show FILE [-json]\n\nPrints the verdict of a saved run: a file of connlab run -o, a download of the\ndashboard, or one of the state directory's runs/.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	// The file may come before or after the flags.
	var path string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if path == "" && fs.NArg() > 0 {
		path = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return flagErr(err)
		}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %s after the file", quoteArg(fs.Arg(0)))}
	}
	if path == "" {
		return &usageError{"name a run file: connlab show FILE"}
	}
	f, err := readRunFile(path)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&f.Result); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
		return nil
	}
	fmt.Fprintf(stderr, "run %s saved %s by connlab %s\n", f.Result.ID, f.SavedAt, quoteArg(f.Connlab))
	if err := lab.WriteText(stdout, &f.Result); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// readRunFile reads and checks a run file (at most runstore.MaxFileBytes).
func readRunFile(path string) (*wire.RunFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the run file: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, runstore.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the run file %s: %w", path, err)
	}
	f, err := runstore.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

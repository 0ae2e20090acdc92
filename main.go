// Command connlab serves a live dashboard of the TCP sockets of any port and
// runs keep-alive experiments in-process.
//
//	connlab [flags]                      serve the dashboard (default 127.0.0.1:9000)
//	connlab run PRESET [-set k=v] [-json] run one Lab experiment headless (-o FILE: save it)
//	connlab show FILE [-json]            print a saved run's verdict
//	connlab presets                      list the Lab presets
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped by `make build` / `make release` with -ldflags -X.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "connlab:", err)
		os.Exit(exitCode(err))
	}
}

// run is the whole program: main only adds signals and the exit status.
// -h (or -help) prints a command's usage and is not an error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := command(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "run":
			return runExperiment(ctx, args[1:], stdout, stderr)
		case "show":
			return runShow(args[1:], stdout, stderr)
		case "presets":
			return runPresets(args[1:], stdout, stderr)
		}
	}
	return serve(ctx, args, stdout, stderr)
}

package lab_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/app"
	"github.com/connlab/connlab/internal/lab"
)

// testKernel is the kernel monitor of a real connlab (the composition
// root's: real sampler, polling every testPoll), shared by the tests of the
// package (TestMain runs it). Tests build their own Managers on it, with
// their own publishers and options.
var testKernel lab.Kernel

const testPoll = 50 * time.Millisecond

func TestMain(m *testing.M) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(app.Config{Log: log, Interval: testPoll, History: time.Minute, Headless: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(1)
	}
	testKernel = a.Monitor
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }() // stopped by cancel below
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "app.Run:", err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

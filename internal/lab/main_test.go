package lab

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/sockstat"
)

// testKernel is the real monitor over the real sampler, polling every
// testPoll, shared by the tests of the package (TestMain runs it).
var testKernel *monitor.Monitor

const testPoll = 50 * time.Millisecond

// nopPub drops what the monitor publishes.
type nopPub struct{}

func (nopPub) Publish(string, []byte) {}

func TestMain(m *testing.M) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := sockstat.New(log, sockstat.ModeAuto)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sampler:", err)
		os.Exit(1)
	}
	testKernel = monitor.New(s, nopPub{}, monitor.Options{Interval: testPoll, History: time.Minute}, log)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = testKernel.Run(ctx) })
	code := m.Run()
	cancel()
	wg.Wait()
	_ = s.Close()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

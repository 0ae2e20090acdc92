package main

import (
	"context"
	"log/slog"

	"github.com/connlab/connlab/internal/flow"
	"github.com/connlab/connlab/internal/tcpevents"
)

// kernelEvents adapts the eBPF transition source to what the monitor
// consumes (monitor.Events).
type kernelEvents struct {
	src *tcpevents.Source
	t   flow.Transition // reused for every event: the monitor copies it
}

// openEvents opens the kernel transition source; when it cannot (not
// Linux, no BTF, not privileged) it returns nil and the reason, and the
// Watch counts from polls.
func openEvents(log *slog.Logger) (*kernelEvents, string) {
	src, err := tcpevents.Open(log, tcpevents.Config{})
	if err != nil {
		log.Info("kernel transitions unavailable: Watch counts connections from polls (lower bounds)", "reason", err)
		return nil, err.Error()
	}
	return &kernelEvents{src: src}, ""
}

func (k *kernelEvents) SetPorts(ports []uint16) error { return k.src.SetPorts(ports) }

func (k *kernelEvents) Lost() uint64 {
	st, err := k.src.Stats()
	if err != nil {
		return 0
	}
	return st.Lost
}

func (k *kernelEvents) Run(ctx context.Context, fn func(*flow.Transition)) error {
	return k.src.Run(ctx, func(e *tcpevents.Event) {
		t := &k.t
		*t = flow.Transition{At: e.At, Local: e.Local, Remote: e.Remote, Old: e.Old, New: e.New}
		switch e.Kind {
		case tcpevents.ResetSent:
			t.Reset = flow.ResetSent
		case tcpevents.ResetReceived:
			t.Reset = flow.ResetReceived
		}
		if e.PidKnown {
			t.Pid, t.Comm = e.Pid, e.Comm
		}
		fn(t)
	})
}

func (k *kernelEvents) Close() error { return k.src.Close() }

//go:build !linux

package tcpevents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
)

// Source is a loaded and attached probe; on this system there is none.
type Source struct{}

// Open returns an error wrapping ErrUnavailable: eBPF tracing is Linux only.
func Open(*slog.Logger, Config) (*Source, error) {
	return nil, fmt.Errorf("%w: eBPF is Linux only (this is %s)", ErrUnavailable, runtime.GOOS)
}

var errNoSource = errors.New("tcpevents: no source on this system")

// SetPorts fails: there is no source.
func (*Source) SetPorts([]uint16) error { return errNoSource }

// Ports returns nothing.
func (*Source) Ports() []uint16 { return nil }

// Run fails: there is no source.
func (*Source) Run(context.Context, func(*Event)) error { return errNoSource }

// Stats returns zeros.
func (*Source) Stats() (Stats, error) { return Stats{}, errNoSource }

// Close does nothing.
func (*Source) Close() error { return nil }

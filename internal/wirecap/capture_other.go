//go:build !linux

package wirecap

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// Capture is a running capture; there are none on this system.
type Capture struct{}

// Start fails: AF_PACKET is Linux only.
func Start(ctx context.Context, o Options) (*Capture, error) {
	return nil, fmt.Errorf("capture on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// Stop returns nothing.
func (c *Capture) Stop() (Result, error) {
	return Result{}, fmt.Errorf("capture on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

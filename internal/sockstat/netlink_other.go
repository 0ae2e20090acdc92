//go:build !linux

package sockstat

import (
	"errors"
	"fmt"
)

// netlinkSampler is Linux-only; elsewhere newNetlink says so.
type netlinkSampler struct{ Sampler }

func newNetlink() (*netlinkSampler, error) {
	return nil, errors.New("netlink sock_diag exists only on Linux")
}

func (n *netlinkSampler) variant() fmt.Stringer { return nil }

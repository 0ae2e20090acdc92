//go:build !linux

package sockstat

import (
	"context"

	"github.com/shirou/gopsutil/v3/process"
)

// pidsByInode finds nothing: off Linux sockets carry no inode.
func pidsByInode(context.Context, map[uint32]struct{}, []int32) (map[uint32]int32, error) {
	return nil, nil
}

// processName asks gopsutil, "" if the process is gone.
func processName(ctx context.Context, pid int32) string {
	p, err := process.NewProcessWithContext(ctx, pid)
	if err != nil {
		return ""
	}
	name, _ := p.NameWithContext(ctx)
	return name
}

//go:build !linux

package sockstat

import (
	"context"

	psnet "github.com/shirou/gopsutil/v3/net"
)

// listTCP lists TCP sockets with the only call gopsutil implements off Linux
// (the Max/WithoutUids variants return "not implemented" there). On macOS and
// the BSDs it runs lsof, which cannot see TIME_WAIT.
func listTCP(ctx context.Context) ([]psnet.ConnectionStat, error) {
	return psnet.ConnectionsWithContext(ctx, "tcp")
}

// listTCPOwners lists TCP sockets with their pids.
func listTCPOwners(ctx context.Context) ([]psnet.ConnectionStat, error) {
	return psnet.ConnectionsWithContext(ctx, "tcp")
}

//go:build linux

package sockstat

import (
	"context"

	psnet "github.com/shirou/gopsutil/v3/net"
)

// listTCP is gopsutil's cheapest call that still returns every TCP socket in
// every state, TIME_WAIT included: it reads /proc/net/tcp and tcp6 whole, and
// with max=1 reads a single fd per process for the inode -> pid map we do not
// use (ConnectionsPid* would drop the sockets no process owns).
func listTCP(ctx context.Context) ([]psnet.ConnectionStat, error) {
	return psnet.ConnectionsMaxWithoutUidsWithContext(ctx, "tcp", 1)
}

// listTCPOwners lists TCP sockets with their pids (every fd of every process
// read; uids skipped: they cost a /proc/<pid>/status read per connection).
func listTCPOwners(ctx context.Context) ([]psnet.ConnectionStat, error) {
	return psnet.ConnectionsWithoutUidsWithContext(ctx, "tcp")
}

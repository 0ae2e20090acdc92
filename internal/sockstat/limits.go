package sockstat

import "time"

// Timings and limits of the samplers and the owner pass. The netlink
// sampler's own (buffer size, socket timeout) sit with it in netlink_linux.go.
const (
	// gopsutilTimeout bounds one gopsutil listing (on macOS it runs lsof).
	gopsutilTimeout = 10 * time.Second
	// MinOwnersEvery is the shortest interval between two owner passes: a
	// pass reads process fd tables, which must stay a background cost,
	// never a per-poll one.
	MinOwnersEvery = 5 * time.Second
	// ownerKeepPasses: a resolved owner nobody looked up for this many passes
	// is forgotten, so the cache follows the watched ports' sockets.
	ownerKeepPasses = 3
	// ownerRetryPasses: a socket a full pass could not attribute (its owner
	// is unreadable to us, or it is gone) is not searched for again before
	// this many passes.
	ownerRetryPasses = 6
	// maxWanted bounds the sockets waiting for an owner pass.
	maxWanted = 4096
	// maxHints bounds the pids an owner pass searches first.
	maxHints = 64
)

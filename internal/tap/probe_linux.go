package tap

import (
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/connlab/connlab/internal/sockstat"
)

// probeClose reads, just before a Close, the socket's TCP state and how many
// bytes sit unread in its receive queue. ESTABLISHED means this Close sends
// the first FIN (active close); CLOSE_WAIT means the peer's FIN came first;
// CLOSE means an RST already ended it. Unread data makes Linux answer the
// Close with an RST instead of a FIN (tcp_close: data_was_unread).
func probeClose(rc syscall.RawConn) (st sockstat.State, unread int, ok bool) {
	if rc == nil {
		return 0, 0, false
	}
	_ = rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			return
		}
		st, ok = sockstat.State(info.State), true
		if n, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil {
			unread = n
		}
	})
	return st, unread, ok
}

package monitor

import (
	"net/netip"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

// sock is a fixture socket from "addr:port" strings.
func sock(local, remote string, st sockstat.State) sockstat.Socket {
	return sockstat.Socket{
		Local:  netip.MustParseAddrPort(local),
		Remote: netip.MustParseAddrPort(remote),
		State:  st,
	}
}

// timeWait is a fixture TIME_WAIT socket with its countdown.
func timeWait(local, remote string, left time.Duration) sockstat.Socket {
	s := sock(local, remote, sockstat.TimeWait)
	s.Timer, s.Expires = sockstat.TimerTimeWait, left
	return s
}

// setOf builds a socketSet from fixtures.
func setOf(socks ...sockstat.Socket) *socketSet {
	s := newSocketSet()
	for i := range socks {
		s.add(&socks[i])
	}
	return s
}

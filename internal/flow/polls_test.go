package flow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

func sock(local, remote string, st sockstat.State) *sockstat.Socket {
	return &sockstat.Socket{Local: netip.MustParseAddrPort(local), Remote: netip.MustParseAddrPort(remote), State: st}
}

func TestPolls(t *testing.T) {
	p := New(P, SourcePolls, t0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	// The first poll is the baseline: what exists already counts nothing.
	p.Poll(at(0), Opened, sock("127.0.0.1:8081", "0.0.0.0:0", sockstat.Listen))
	p.Poll(at(0), Opened, sock("127.0.0.1:8081", "127.0.0.1:40000", es))
	p.Poll(at(0), Opened, sock("127.0.0.1:40000", "127.0.0.1:8081", es))
	p.Poll(at(0), Opened, sock("127.0.0.1:8081", "127.0.0.1:40001", sockstat.TimeWait))
	p.EndPoll(at(0))

	// Poll 2: a new connection (both ends), the old one closed by the server.
	p.Poll(at(1), Opened, sock("127.0.0.1:8081", "127.0.0.1:40002", es))
	p.Poll(at(1), Opened, sock("127.0.0.1:40002", "127.0.0.1:8081", es))
	p.Poll(at(1), Changed, sock("127.0.0.1:8081", "127.0.0.1:40000", sockstat.TimeWait))
	p.Poll(at(1), Gone, sock("127.0.0.1:40000", "127.0.0.1:8081", la))
	p.EndPoll(at(1))

	// Poll 3: a connection born and closed by the client between polls
	// (seen only in TIME_WAIT: a close, its opening unseen), and the other
	// closed by both ends at once.
	p.Poll(at(2), Opened, sock("127.0.0.1:40003", "127.0.0.1:8081", sockstat.TimeWait))
	p.Poll(at(2), Changed, sock("127.0.0.1:8081", "127.0.0.1:40002", sockstat.TimeWait))
	p.Poll(at(2), Changed, sock("127.0.0.1:40002", "127.0.0.1:8081", sockstat.TimeWait))
	p.EndPoll(at(2))

	f := p.Figures(at(3), Ephemeral{})
	if !f.LowerBound || f.Source != SourcePolls || f.LifetimeP50 != -1 {
		t.Fatalf("polls figures must be lower bounds without lifetimes: %+v", f)
	}
	// Poll 2 saw both ends of 40002 open; 40003 was first seen in
	// TIME_WAIT: its opening is not counted on either side.
	want := Counts{Opened: 1, OpenedBy: [3]int{sockstat.Server: 1, sockstat.Client: 1}, ClosedFirst: [4]int{Server: 1, Client: 1, Simultaneous: 1}, TimeWait: [3]int{sockstat.Server: 2, sockstat.Client: 2}}
	if f.Total != want {
		t.Fatalf("total %+v, want %+v", f.Total, want)
	}
	// Gone sockets are forgotten: only TIME_WAIT ends remain followed.
	p.Poll(at(4), Gone, sock("127.0.0.1:8081", "127.0.0.1:40000", sockstat.TimeWait))
	p.Poll(at(4), Gone, sock("127.0.0.1:40003", "127.0.0.1:8081", sockstat.TimeWait))
	p.Poll(at(4), Gone, sock("127.0.0.1:8081", "127.0.0.1:40002", sockstat.TimeWait))
	p.Poll(at(4), Gone, sock("127.0.0.1:40002", "127.0.0.1:8081", sockstat.TimeWait))
	p.EndPoll(at(4))
	if p.Followed() != 0 {
		t.Fatalf("%d connections followed after every socket went", p.Followed())
	}
	if e := p.Ended(); len(e) != 3 || e[0].Closer != Server || e[2].Closer != Simultaneous {
		t.Fatalf("ended %+v", e)
	}
}

// TestPollsOpenedBySide: a socket counts as opened on its side once, when
// its 4-tuple first shows up (not again when its state changes), unless it
// shows up already in TIME_WAIT.
func TestPollsOpenedBySide(t *testing.T) {
	p := New(P, SourcePolls, t0)
	p.EndPoll(t0) // empty baseline
	at := t0.Add(time.Second)
	p.Poll(at, Opened, sock("127.0.0.1:50001", "10.0.0.8:8081", ss))                  // dialed out
	p.Poll(at, Opened, sock("127.0.0.1:8081", "10.0.0.7:40000", sockstat.NewSynRecv)) // accepted
	p.Poll(at, Opened, sock("127.0.0.1:8081", "10.0.0.7:40001", sockstat.TimeWait))   // opening unseen
	p.EndPoll(at)
	at = at.Add(time.Second)
	p.Poll(at, Changed, sock("127.0.0.1:50001", "10.0.0.8:8081", es))
	p.Poll(at, Changed, sock("127.0.0.1:8081", "10.0.0.7:40000", es))
	p.EndPoll(at)
	f := p.Figures(at, Ephemeral{})
	if f.Total.Opened != 2 || f.Total.OpenedBy != [3]int{0, 1, 1} {
		t.Fatalf("opened %d by side %v, want 2 and [0 1 1]", f.Total.Opened, f.Total.OpenedBy)
	}
}

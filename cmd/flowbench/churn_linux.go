package main

import (
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/hostpop"
)

// churner opens loopback connections to its listener at a steady rate,
// holds each for a lifetime, then aborts it from the client (RST): no
// TIME_WAIT is left behind, so the host's socket count stays flat however
// long it runs.
type churner struct {
	ln       *net.TCPListener
	rate     float64       // connections per second
	lifetime time.Duration // how long each is held
	made     atomic.Int64  // connections opened so far

	stopc chan struct{}
	done  chan error
}

// pair is one churned connection: the dialled end, the accepted end and
// when to abort them.
type pair struct {
	c, s net.Conn
	end  time.Time
}

// startChurn starts opening connections to ln; stop ends it.
func startChurn(ln *net.TCPListener, rate float64, lifetime time.Duration) *churner {
	ch := &churner{ln: ln, rate: rate, lifetime: lifetime, stopc: make(chan struct{}), done: make(chan error, 1)}
	go func() { ch.done <- ch.run() }() // stopped by stop, which waits for it
	return ch
}

// stop aborts the connections held, ends the churn and returns its error.
func (ch *churner) stop() error {
	close(ch.stopc)
	return <-ch.done
}

func (ch *churner) run() error {
	var held []pair
	defer func() {
		for _, p := range held {
			hostpop.Abort([]net.Conn{p.c})
			p.s.Close()
		}
	}()
	addr := ch.ln.Addr().String()
	t := time.NewTicker(churnTick)
	defer t.Stop()
	start := time.Now()
	// maxBurst caps how far one tick catches up after the process was not
	// scheduled for a while: the rate is measured as made, not assumed.
	maxBurst := max(1, int64(ch.rate*maxCatchUp.Seconds()))
	for {
		select {
		case <-ch.stopc:
			return nil
		case now := <-t.C:
			n := 0
			for ; n < len(held) && !held[n].end.After(now); n++ {
				hostpop.Abort([]net.Conn{held[n].c})
				held[n].s.Close()
			}
			held = append(held[:0], held[n:]...)
			due := min(int64(now.Sub(start).Seconds()*ch.rate)-ch.made.Load(), maxBurst)
			for range due {
				c, err := net.Dial("tcp4", addr)
				if err != nil {
					return fmt.Errorf("churn: dial %s: %w", addr, err)
				}
				s, err := ch.ln.Accept()
				if err != nil {
					c.Close()
					return fmt.Errorf("churn: accept: %w", err)
				}
				held = append(held, pair{c: c, s: s, end: time.Now().Add(ch.lifetime)})
				ch.made.Add(1)
			}
		}
	}
}

// idlePort is a loopback listener holding a few idle ESTABLISHED pairs:
// the bench's watched port.
type idlePort struct {
	ln    *net.TCPListener
	conns []net.Conn
}

func newIdlePort(pairs int) (*idlePort, error) {
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	p := &idlePort{ln: ln}
	for range pairs {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			p.close()
			return nil, fmt.Errorf("dial the idle port: %w", err)
		}
		s, err := ln.Accept()
		if err != nil {
			c.Close()
			p.close()
			return nil, fmt.Errorf("accept on the idle port: %w", err)
		}
		p.conns = append(p.conns, c, s)
	}
	return p, nil
}

func (p *idlePort) port() uint16 { return uint16(p.ln.Addr().(*net.TCPAddr).Port) }

func (p *idlePort) close() {
	hostpop.Abort(p.conns)
	p.ln.Close()
}

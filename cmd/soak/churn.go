package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// style is how the connections of one churn port end.
type style int

const (
	serverCloses style = iota // TIME_WAIT on the server side
	clientCloses              // TIME_WAIT on the client side
	keepAlive                 // reused for seconds, then closed by the client
	reset                     // client sets SO_LINGER 0: RST, no TIME_WAIT
)

func (s style) String() string {
	return [...]string{"server-closes", "client-closes", "keep-alive", "reset"}[s]
}

// churnSpec is one churn port: its style and the connections per second of
// its client (keepAlive keeps keepAlivePool connections instead).
type churnSpec struct {
	style style
	rate  float64
}

// soakChurn is the churn of the soak: about 31 new connections a second.
var soakChurn = []churnSpec{
	{serverCloses, rateServerCloses},
	{clientCloses, rateClientCloses},
	{keepAlive, 0},
	{reset, rateReset},
}

// churnRate is the new connections per second of specs.
func churnRate(specs []churnSpec) float64 {
	var r float64
	for _, s := range specs {
		if s.style == keepAlive {
			r += keepAlivePool / keepAliveLife.Seconds()
			continue
		}
		r += s.rate
	}
	return r
}

// churnPort is one loopback server of the churn and the client that feeds
// it. The protocol is a line and its echo: "ping\n", "pong\n".
type churnPort struct {
	spec churnSpec
	ln   net.Listener
	port int

	mu     sync.Mutex
	conns  map[net.Conn]struct{} // the server's open connections
	closed bool                  // Run has closed them: close new ones at once
}

// newChurnPort listens on 127.0.0.1:0.
func newChurnPort(spec churnSpec) (*churnPort, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the %s churn: %w", spec.style, err)
	}
	return &churnPort{spec: spec, ln: ln, port: ln.Addr().(*net.TCPAddr).Port, conns: map[net.Conn]struct{}{}}, nil
}

// Run serves and feeds the port until ctx is done, then closes the
// listener and every connection and waits for its goroutines.
func (p *churnPort) Run(ctx context.Context, cnt *counters) error {
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { _ = p.ln.Close() })
	defer stop()
	// The accept loop ends when ctx closes the listener; its connection
	// handlers end when ctx closes their connections (below). wg waits.
	wg.Go(func() { p.serve(&wg) })
	addr := p.ln.Addr().String()
	if p.spec.style == keepAlive {
		for range keepAlivePool {
			wg.Go(func() { p.pool(ctx, addr, cnt) })
		}
	} else {
		wg.Go(func() { p.feed(ctx, addr, cnt) })
	}
	<-ctx.Done()
	_ = p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	wg.Wait()
	return nil
}

func (p *churnPort) serve(wg *sync.WaitGroup) {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed by Run
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		wg.Go(func() { p.handle(c) })
	}
}

// handle answers each line; a server-closes port closes after the first.
func (p *churnPort) handle(c net.Conn) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		_ = c.Close()
	}()
	r := bufio.NewReader(c)
	for {
		// Idle keep-alive connections wait at most ~0.3 s between lines.
		_ = c.SetDeadline(time.Now().Add(connDeadline))
		if _, err := r.ReadString('\n'); err != nil {
			return // EOF, RST, or Run closed c
		}
		if _, err := io.WriteString(c, "pong\n"); err != nil || p.spec.style == serverCloses {
			return
		}
	}
}

// feed opens connections at the port's rate; one exchange each.
func (p *churnPort) feed(ctx context.Context, addr string, cnt *counters) {
	t := time.NewTicker(time.Duration(float64(time.Second) / p.spec.rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := oneShot(ctx, addr, p.spec.style); err != nil {
			if ctx.Err() != nil {
				return
			}
			cnt.errors.add("churn "+p.spec.style.String(), err)
			continue
		}
		cnt.conns.Add(1)
	}
}

// oneShot dials, sends a line, reads the answer and ends the connection
// the style's way.
func oneShot(ctx context.Context, addr string, s style) error {
	d := net.Dialer{Timeout: connDeadline}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(connDeadline))
	r := bufio.NewReader(c)
	if err := ping(c, r); err != nil {
		return err
	}
	switch s {
	case serverCloses:
		// Wait for the server's FIN before closing: it closed first.
		if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
			return fmt.Errorf("want EOF from the server, got %v", err)
		}
	case reset:
		if err := c.(*net.TCPConn).SetLinger(0); err != nil {
			return fmt.Errorf("set linger 0: %w", err)
		}
	}
	return nil // the deferred Close ends it
}

// ping sends "ping\n" and reads "pong\n".
func ping(c net.Conn, r *bufio.Reader) error {
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if line != "pong\n" {
		return fmt.Errorf("read %q, want pong", line)
	}
	return nil
}

// pool keeps one keep-alive connection: reused for a random life, then
// closed by the client and dialed again.
func (p *churnPort) pool(ctx context.Context, addr string, cnt *counters) {
	for ctx.Err() == nil {
		if err := p.keep(ctx, addr); err != nil && ctx.Err() == nil {
			cnt.errors.add("churn keep-alive", err)
			_ = sleep(ctx, keepAliveEvery)
			continue
		}
		cnt.conns.Add(1)
	}
}

func (p *churnPort) keep(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: connDeadline}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	r := bufio.NewReader(c)
	end := time.Now().Add(jitter(keepAliveLife, 1))
	for time.Now().Before(end) {
		_ = c.SetDeadline(time.Now().Add(connDeadline))
		if err := ping(c, r); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if sleep(ctx, jitter(keepAliveEvery, 1)) != nil {
			return nil
		}
	}
	return nil
}

// burst opens and closes n connections to addr as fast as one client can,
// the client closing first: n sockets in TIME_WAIT for 60 s.
func burst(ctx context.Context, addr string, n int) error {
	for i := range n {
		if err := oneShot(ctx, addr, clientCloses); err != nil {
			return fmt.Errorf("burst connection %d of %d: %w", i+1, n, err)
		}
	}
	return nil
}

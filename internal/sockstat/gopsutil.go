package sockstat

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	psnet "github.com/shirou/gopsutil/v3/net"
)

// gopsutilSampler is the portable path: gopsutil's connection list (every TCP
// socket of the host, IPv4 and IPv6) filtered to the ports in Go. It has no
// timers, uid, inode nor tcp_info.
type gopsutilSampler struct {
	list  func(ctx context.Context) ([]psnet.ConnectionStat, error)
	given []uint16
	ready bool
	ports portSet
	seen  map[Key]struct{}
}

func newGopsutil() *gopsutilSampler {
	return &gopsutilSampler{list: listTCP, seen: make(map[Key]struct{})}
}

// Source implements Sampler.
func (g *gopsutilSampler) Source() string { return SourceGopsutil }

// Close implements Sampler.
func (g *gopsutilSampler) Close() error { return nil }

// Sample implements Sampler.
func (g *gopsutilSampler) Sample(ports []uint16, dst []Socket) ([]Socket, error) {
	if !g.ready || !equalPorts(ports, g.given) {
		g.given = append(g.given[:0], ports...)
		g.ports = portSet{}
		for _, p := range ports {
			if p != 0 {
				g.ports.add(p)
			}
		}
		g.ready = true
	}
	if g.ports.empty() {
		return dst, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), gopsutilTimeout)
	defer cancel()
	conns, err := g.list(ctx)
	if err != nil {
		return dst, fmt.Errorf("list tcp connections (gopsutil): %w", err)
	}
	start := len(dst)
	for i := range conns {
		c := &conns[i]
		if !g.ports.has(uint16(c.Laddr.Port)) && !g.ports.has(uint16(c.Raddr.Port)) {
			continue
		}
		if s, ok := fromConnStat(c); ok {
			dst = append(dst, s)
		}
	}
	return dedupe(dst, start, g.seen), nil
}

// fromConnStat converts one gopsutil connection; ok is false when its state
// is not a TCP state.
func fromConnStat(c *psnet.ConnectionStat) (Socket, bool) {
	st, ok := stateFromName(c.Status)
	if !ok {
		return Socket{}, false
	}
	return Socket{
		Local:  addrPort(c.Laddr),
		Remote: addrPort(c.Raddr),
		State:  st,
	}, true
}

func addrPort(a psnet.Addr) netip.AddrPort {
	ip, _ := netip.ParseAddr(a.IP) // "" (lsof: no peer) stays the zero Addr
	return netip.AddrPortFrom(ip, uint16(a.Port))
}

// stateFromName reads a state as gopsutil spells it on Linux (as /proc does:
// "FIN_WAIT1"), Windows ("SYN_RECEIVED", "FIN_WAIT_1", "CLOSED") or through
// lsof ("SYN_RCVD", "FIN_WAIT_1", "CLOSED").
func stateFromName(name string) (State, bool) {
	n := strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(name)), "_", "")
	switch n {
	case "ESTABLISHED":
		return Established, true
	case "SYNSENT":
		return SynSent, true
	case "SYNRECV", "SYNRCVD", "SYNRECEIVED":
		return SynRecv, true
	case "FINWAIT1":
		return FinWait1, true
	case "FINWAIT2":
		return FinWait2, true
	case "TIMEWAIT":
		return TimeWait, true
	case "CLOSE", "CLOSED", "DELETE":
		return Close, true
	case "CLOSEWAIT":
		return CloseWait, true
	case "LASTACK":
		return LastAck, true
	case "LISTEN":
		return Listen, true
	case "CLOSING":
		return Closing, true
	}
	return 0, false
}

// portSet is a bitmap of the 65536 ports.
type portSet [1 << 16 / 64]uint64

func (s *portSet) add(p uint16)      { s[p/64] |= 1 << (p % 64) }
func (s *portSet) has(p uint16) bool { return s[p/64]&(1<<(p%64)) != 0 }
func (s *portSet) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

func equalPorts(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

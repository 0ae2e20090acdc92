package wirecap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// ErrNeedRoot is wrapped by Start's error when the process may not open a
// packet socket (it needs root or CAP_NET_RAW). On systems other than Linux
// Start's error wraps errors.ErrUnsupported instead.
var ErrNeedRoot = errors.New("packet capture needs root (CAP_NET_RAW)")

// Options say what to capture.
type Options struct {
	// Ports are the watched TCP ports: segments from or to any of them,
	// IPv4 and IPv6, whatever the address.
	Ports []uint16
	// Endpoints narrow the capture to connections with one end at one of
	// these (a listener's address); their ports are watched too. An
	// unspecified address stands for what a listener on it accepts: "::"
	// any address of the port, "0.0.0.0" any IPv4 address. Tests on a
	// shared machine want this: another process can use the same port
	// number on another address (127.0.0.1:P beside [::1]:P).
	Endpoints []netip.AddrPort
	// Iface is the interface to capture on; "" is "lo".
	Iface string
	// Buffer is the size of the receive ring in bytes, in whole 256 KiB
	// blocks (at least 2); 0 is 32 MiB.
	Buffer int

	// Test hooks. keepOutgoing lets loopback's PACKET_OUTGOING copies
	// through the filter (they are then handed to tap, never tracked); tap
	// sees every parsed segment; gate, when set, holds the first read back
	// until it is closed.
	keepOutgoing bool
	tap          func(outgoing bool, s segment)
	gate         <-chan struct{}
}

// Endpoint is a's address and port as the wire shows them (an IPv4-mapped
// address as IPv4), for Options.Endpoints and Result.Find. a is a
// *net.TCPAddr, as a listener's or a conn's Addr.
func Endpoint(a net.Addr) netip.AddrPort {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}
	}
	ap := ta.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// ports is every watched port: Ports and those of Endpoints.
func (o Options) ports() []uint16 {
	ports := slices.Clone(o.Ports)
	for _, e := range o.Endpoints {
		ports = append(ports, e.Port())
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

func (o Options) check() error {
	ports := o.ports()
	if len(ports) == 0 || len(ports) > maxPorts {
		return fmt.Errorf("capture: %d ports, want 1 to %d", len(ports), maxPorts)
	}
	if ports[0] == 0 {
		return errors.New("capture: port 0")
	}
	for _, e := range o.Endpoints {
		if !e.Addr().IsValid() {
			return fmt.Errorf("capture: endpoint %v without an address", e)
		}
	}
	return nil
}

func (o Options) iface() string {
	if o.Iface == "" {
		return "lo"
	}
	return o.Iface
}

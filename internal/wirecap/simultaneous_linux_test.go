package wirecap

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TCP states as /proc/net/tcp prints them (include/net/tcp_states.h).
const (
	procTimeWait = 0x06
	procListen   = 0x0a
)

// procSocket is one line of /proc/net/tcp or tcp6.
type procSocket struct {
	local, remote netip.AddrPort
	state         int
}

// procSockets reads the host's TCP sockets with an end at ep. A read is
// not atomic under churn: a socket may appear twice, which the callers
// tolerate (they look sockets up by 4-tuple).
func procSockets(t testing.TB, ep netip.AddrPort) []procSocket {
	t.Helper()
	var out []procSocket
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 {
				continue
			}
			local, err1 := procAddr(fields[1])
			remote, err2 := procAddr(fields[2])
			state, err3 := strconv.ParseInt(fields[3], 16, 32)
			if err1 != nil || err2 != nil || err3 != nil {
				f.Close()
				t.Fatalf("%s: %q: %v %v %v", name, sc.Text(), err1, err2, err3)
			}
			if atEndpoint(ep, local) || atEndpoint(ep, remote) {
				out = append(out, procSocket{local, remote, int(state)})
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// procAddr parses "0100007F:1F90": the address as 32-bit words printed in
// host byte order, then the port.
func procAddr(s string) (netip.AddrPort, error) {
	h, p, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(h)
	if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
}

// TestSimultaneousCloseAgainstTheKernel closes both ends of each
// connection at once, from two goroutines, and checks the wire's verdict
// against the kernel's TIME_WAIT sockets: a simultaneous close leaves
// TIME_WAIT on both ends (both went FIN_WAIT1 -> CLOSING -> TIME_WAIT),
// any other FIN close only on the end that closed first. Which of the two
// happens on a given connection is up to the scheduler: the test counts
// both kinds and needs the wire to agree with the kernel on every one.
func TestSimultaneousCloseAgainstTheKernel(t *testing.T) {
	const pairs = 40
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			ln, ep := listen(t, fam.network, fam.addr)
			c := startCapture(t, only1(ep))
			for range pairs {
				cli, srv := dialPair(t, ln, fam.network)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for _, end := range []interface{ Close() error }{cli, srv} {
					wg.Go(func() {
						<-start
						if err := end.Close(); err != nil {
							t.Error(err)
						}
					})
				}
				close(start)
				wg.Wait()
			}
			// Every close handshake over: only LISTEN and TIME_WAIT left.
			waitFor(t, "the close handshakes", func() bool {
				for _, s := range procSockets(t, ep) {
					if s.state != procListen && s.state != procTimeWait {
						return false
					}
				}
				return true
			})
			res := stopCapture(t, c)
			timeWait := map[[2]netip.AddrPort]bool{}
			for _, s := range procSockets(t, ep) {
				if s.state == procTimeWait {
					timeWait[[2]netip.AddrPort{s.local, s.remote}] = true
				}
			}
			sum := res.Summary()
			if sum.Conns != pairs || sum.Ended != pairs || sum.Reset != 0 || sum.FirstFIN != pairs {
				t.Fatalf("%+v", sum)
			}
			for _, w := range res.Conns {
				cliTW := timeWait[[2]netip.AddrPort{w.Client, w.Server}]
				srvTW := timeWait[[2]netip.AddrPort{w.Server, w.Client}]
				want := [2]bool{w.Simultaneous || w.FirstCloser == Client, w.Simultaneous || w.FirstCloser == Server}
				if [2]bool{cliTW, srvTW} != want {
					t.Errorf("%v: wire says first %v, simultaneous %v; kernel TIME_WAIT client %v server %v",
						w.Client, w.FirstCloser, w.Simultaneous, cliTW, srvTW)
				}
			}
			t.Logf("%d connections: %d simultaneous, %d client first, %d server first",
				sum.Conns, sum.Simultaneous, sum.ClientFirst, sum.ServerFirst)
		})
	}
}

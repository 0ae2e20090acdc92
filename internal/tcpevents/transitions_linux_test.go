package tcpevents

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// selfComm is this test binary's task name, as the kernel reports it.
func selfComm(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestCloseSequences: who closes first shows on both sockets, for IPv4,
// IPv6 and an IPv4 client of a dual-stack listener (an AF_INET6 server
// socket with v4-mapped addresses, reported unmapped).
func TestCloseSequences(t *testing.T) {
	nets := []struct{ name, listen, host string }{
		{"ipv4", "127.0.0.1:0", ""},
		{"ipv6", "[::1]:0", ""},
		{"v4-mapped", ":0", "127.0.0.1"},
	}
	for _, nw := range nets {
		for _, serverFirst := range []bool{true, false} {
			name := nw.name + "/client-first"
			if serverFirst {
				name = nw.name + "/server-first"
			}
			t.Run(name, func(t *testing.T) {
				s := sharedSource(t)
				ln := listen(t, nw.listen)
				if err := s.SetPorts([]uint16{portOf(ln)}); err != nil {
					t.Fatal(err)
				}
				col := collect(t, s)
				c := dial(t, ln, nw.host)

				col.waitFor(t, "open transitions", func(evs []Event) bool {
					return slices.Equal(steps(evs, c.cl, c.sv), openClient) && slices.Equal(steps(evs, c.sv, c.cl), openServer)
				})
				evs := col.events()
				syn := socketEvents(evs, c.cl, c.sv)[0]
				if syn.Local.Port() != 0 || syn.Remote != c.sv || !syn.PidKnown || syn.Pid != uint32(os.Getpid()) || syn.Comm != selfComm(t) {
					t.Errorf("SYN_SENT event %s: want local port 0, remote %v, this process (%d %q)", describe(&syn), c.sv, os.Getpid(), selfComm(t))
				}
				wantV6 := nw.name != "ipv4"
				for _, e := range socketEvents(evs, c.sv, c.cl) {
					if e.IPv6 != wantV6 {
						t.Errorf("server event %s: IPv6 %v, want %v", describe(&e), e.IPv6, wantV6)
					}
				}

				first, second := c.client, c.server
				firstAddr, firstPeer := c.cl, c.sv
				if serverFirst {
					first, second = c.server, c.client
					firstAddr, firstPeer = c.sv, c.cl
				}
				if err := first.Close(); err != nil {
					t.Fatal(err)
				}
				// Close the second end only once its FIN arrived, so the
				// closes cannot cross (that would be a simultaneous close).
				col.waitFor(t, "CLOSE_WAIT on the peer", func(evs []Event) bool {
					return endsWith(evs, firstPeer, firstAddr, "ESTABLISHED>CLOSE_WAIT")
				})
				if err := second.Close(); err != nil {
					t.Fatal(err)
				}
				col.waitFor(t, "both sockets closed", func(evs []Event) bool {
					return endsWith(evs, firstAddr, firstPeer, "FIN_WAIT2>CLOSE") && endsWith(evs, firstPeer, firstAddr, "LAST_ACK>CLOSE")
				})

				evs = col.events()
				wantClient, wantServer := join(openClient, closesFirst), join(openServer, closedByPeer)
				if serverFirst {
					wantClient, wantServer = join(openClient, closedByPeer), join(openServer, closesFirst)
				}
				if got := steps(evs, c.cl, c.sv); !slices.Equal(got, wantClient) {
					t.Errorf("client socket:\n got %v\nwant %v", got, wantClient)
				}
				if got := steps(evs, c.sv, c.cl); !slices.Equal(got, wantServer) {
					t.Errorf("server socket:\n got %v\nwant %v", got, wantServer)
				}
				for _, e := range socketEvents(evs, firstAddr, firstPeer) {
					if step(&e) == "ESTABLISHED>FIN_WAIT1" && (!e.PidKnown || e.Pid != uint32(os.Getpid())) {
						t.Errorf("the closing process is known: %s", describe(&e))
					}
				}
				for _, e := range socketEvents(evs, firstPeer, firstAddr) {
					// The FIN is processed in softirq, not by the peer's
					// owner: nothing in this test holds the peer's socket
					// then (no read, write or close is in progress on it).
					if step(&e) == "ESTABLISHED>CLOSE_WAIT" && (e.PidKnown || e.Pid != 0 || e.Comm != "") {
						t.Errorf("CLOSE_WAIT comes from softirq, no process: %s", describe(&e))
					}
				}
			})
		}
	}
}

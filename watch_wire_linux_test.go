//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/tcpevents"
	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/internal/wirecap"
)

// TestWatchAgainstTheWire runs the seed's server and clients as their own
// processes against a port connlab watches with kernel transitions, captures
// the port on loopback, and requires connlab's connections to be the wire's,
// one by one: who sent the first FIN or RST, whether it ended by RST, and
// the totals. It needs root (eBPF and a packet socket); CI runs as root.
func TestWatchAgainstTheWire(t *testing.T) {
	if src, err := tcpevents.Open(slog.New(slog.DiscardHandler), tcpevents.Config{}); err != nil {
		t.Skipf("no kernel transitions here: %v", err)
	} else {
		_ = src.Close()
	}
	url := startConnlab(t)
	modes := []struct {
		name   string
		client []string
	}{
		{"no keep-alive client at 10/s", []string{"-mode", "nokeepalive", "-n", "20", "-every", "100ms"}},
		{"keep-alive client", []string{"-mode", "keepalive", "-n", "20", "-every", "20ms"}},
		{"client closes idle connections first", []string{"-mode", "clientidle", "-n", "5", "-every", "150ms"}},
		{"client closes large bodies unread", []string{"-mode", "unread", "-n", "10", "-every", "50ms"}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			addr, stop := seedServerAddr(t)
			defer stop()
			ap := netip.MustParseAddrPort(addr)
			watchPort(t, url, ap.Port())
			capture, err := wirecap.Start(context.Background(), wirecap.Options{Endpoints: []netip.AddrPort{ap}})
			if errors.Is(err, wirecap.ErrNeedRoot) || errors.Is(err, errors.ErrUnsupported) {
				t.Skipf("no wire truth: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			runSeedClient(t, append([]string{"-url", "http://" + addr}, m.client...)...)
			// Every connection has ended on the wire (the client closed its
			// idle ones): wait until connlab lists as many, then compare.
			res, err := capture.Stop()
			if err == nil {
				err = res.Complete()
			}
			if err != nil {
				t.Fatal(err)
			}
			wireConns := res.Conns
			var got wire.FlowConns
			deadline := time.Now().Add(10 * time.Second)
			for {
				getJSON(t, url+"/api/ports/"+strconv.Itoa(int(ap.Port()))+"/connections", &got)
				if len(got.Connections) >= len(wireConns) || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond) // polling a condition, bounded by deadline
			}
			if got.Source != "ebpf" {
				t.Fatalf("flow source %q, want ebpf", got.Source)
			}
			compareWithWire(t, wireConns, got.Connections)
			var st wire.PortStatus
			getJSON(t, url+"/api/ports/"+strconv.Itoa(int(ap.Port())), &st)
			sum := res.Summary()
			tot := st.Flow.Total
			if tot.Opened != sum.Conns || tot.ClosedFirst.Server != sum.ServerFirst || tot.ClosedFirst.Client != sum.ClientFirst ||
				tot.ClosedFirst.Simultaneous != sum.Simultaneous || tot.Reset != sum.Reset {
				t.Errorf("connlab totals %+v, the wire's %+v", tot, sum)
			}
			t.Logf("%d connections: server first %d, client first %d, both %d, reset %d (wire and connlab agree)",
				sum.Conns, sum.ServerFirst, sum.ClientFirst, sum.Simultaneous, sum.Reset)
		})
	}
}

// compareWithWire matches connlab's connections with the wire's by client
// address, in order (a client port can be used twice: tcp_tw_reuse), and
// requires the same first closer and the same RST.
func compareWithWire(t *testing.T, wireConns []wirecap.Conn, got []wire.FlowConn) {
	t.Helper()
	byClient := map[string][]wire.FlowConn{}
	for _, c := range got {
		byClient[c.Client] = append(byClient[c.Client], c)
	}
	for _, w := range wireConns {
		k := w.Client.String()
		if len(byClient[k]) == 0 {
			t.Errorf("wire connection from %s (%s first, reset %v) not listed by connlab", k, closerOf(w), w.Reset)
			continue
		}
		c := byClient[k][0]
		byClient[k] = byClient[k][1:]
		if c.ClosedFirst != closerOf(w) || c.Reset != w.Reset {
			t.Errorf("connection from %s: connlab says %q first, reset %v; the wire says %q first (%s), reset %v",
				k, c.ClosedFirst, c.Reset, closerOf(w), w.FirstKind, w.Reset)
		}
	}
	for k, rest := range byClient {
		if len(rest) > 0 {
			t.Errorf("connlab lists %d connections from %s the wire never saw", len(rest), k)
		}
	}
}

// closerOf is the wire's first closer spelled as connlab spells it.
func closerOf(w wirecap.Conn) string {
	switch {
	case w.Simultaneous:
		return "simultaneous"
	case w.FirstCloser == wirecap.Server:
		return "server"
	case w.FirstCloser == wirecap.Client:
		return "client"
	}
	return ""
}

// watchPort adds port and waits for its first poll (which also gives the
// port to the kernel transition source).
func watchPort(t *testing.T, url string, port uint16) {
	t.Helper()
	body, _ := json.Marshal(map[string]uint16{"port": port})
	resp, err := http.Post(url+"/api/ports", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("watch %d: %d", port, resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st wire.PortStatus
		getJSON(t, url+"/api/ports/"+strconv.Itoa(int(port)), &st)
		if st.At != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("port %d never polled", port)
		}
		time.Sleep(20 * time.Millisecond) // polling step
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

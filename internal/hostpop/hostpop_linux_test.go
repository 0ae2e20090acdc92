package hostpop

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	IfHolder() // the holders are this test binary re-executed
	goleak.VerifyTestMain(m)
}

// TestAddAndClose: pairs spread over holders of at most perHolder pairs each; every
// holder really holds its sockets (counted from its file descriptors), and
// Close ends every holder.
func TestAddAndClose(t *testing.T) {
	p := New(slog.New(slog.DiscardHandler))
	p.perHolder = 40
	defer p.Close()
	if err := p.Add(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	if p.Held() != 100 {
		t.Fatalf("held %d pairs, want 100", p.Held())
	}
	pids := p.pids()
	if len(pids) != 3 {
		t.Fatalf("%d holders, want 3 (40+40+20)", len(pids))
	}
	sockets := 0
	for _, pid := range pids {
		sockets += socketFDs(t, pid)
	}
	// Each pair is 2 sockets, and each holder has its listener.
	if sockets != 2*100+len(pids) {
		t.Errorf("holders have %d socket fds, want %d", sockets, 2*100+len(pids))
	}
	holders := p.holders
	p.Close()
	for _, h := range holders {
		if h.cmd.ProcessState == nil {
			t.Errorf("holder %d not waited for", h.cmd.Process.Pid)
		}
	}
	if p.Held() != 0 || len(p.pids()) != 0 {
		t.Errorf("after Close: held %d, %d holders", p.Held(), len(p.pids()))
	}
}

// TestGrowBelowHost: a target the host already exceeds starts nothing.
func TestGrowBelowHost(t *testing.T) {
	p := New(slog.New(slog.DiscardHandler))
	defer p.Close()
	if err := p.Grow(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if len(p.pids()) != 0 {
		t.Fatalf("%d holders started for target 0", len(p.pids()))
	}
}

func TestParseSockstat(t *testing.T) {
	v4 := "sockets: used 290\nTCP: inuse 27 orphan 0 tw 13 alloc 31 mem 4\nUDP: inuse 3 mem 2\n"
	v6 := "TCP6: inuse 5\nUDP6: inuse 1\n"
	if n := parseSockstat(v4, "TCP:"); n != 40 {
		t.Errorf("TCP: %d, want 27 inuse + 13 tw", n)
	}
	if n := parseSockstat(v6, "TCP6:"); n != 5 {
		t.Errorf("TCP6: %d, want 5", n)
	}
	if n := parseSockstat(v4, "TCP6:"); n != 0 {
		t.Errorf("TCP6 in the v4 file: %d, want 0", n)
	}
	if HostSockets() < 0 {
		t.Error("negative host sockets")
	}
}

// socketFDs counts the socket descriptors of process pid.
func socketFDs(t *testing.T, pid int) int {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

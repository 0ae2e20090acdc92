package flow

import (
	"net/netip"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/sockstat"
)

const (
	P  = 8081
	es = sockstat.Established
	ss = sockstat.SynSent
	sr = sockstat.SynRecv
	f1 = sockstat.FinWait1
	f2 = sockstat.FinWait2
	cl = sockstat.Close
	cw = sockstat.CloseWait
	la = sockstat.LastAck
	cg = sockstat.Closing
)

var (
	t0     = time.Unix(1_800_000_000, 0)
	srvA   = netip.MustParseAddrPort("127.0.0.1:8081")
	cliA   = netip.MustParseAddrPort("127.0.0.1:50001")
	mapped = netip.MustParseAddrPort("[::ffff:127.0.0.1]:8081")
)

// ev is one event of a script: which end, the states, a reset, the time.
type ev struct {
	side     sockstat.Side
	old, new sockstat.State
	reset    Reset
	ms       float64
}

// play feeds a script to a new port, the server end reporting itself with
// a v4-mapped address as a Go server on ":P" does.
func play(t *testing.T, script []ev) *Port {
	t.Helper()
	p := New(P, SourceEBPF, t0)
	for _, e := range script {
		tr := Transition{At: t0.Add(time.Duration(e.ms * float64(time.Millisecond))), Old: e.old, New: e.new, Reset: e.reset}
		if e.side == sockstat.Server {
			tr.Local, tr.Remote = mapped, netip.MustParseAddrPort("[::ffff:127.0.0.1]:50001")
		} else {
			tr.Local, tr.Remote = cliA, srvA
		}
		p.Transition(&tr)
	}
	return p
}

func TestTransitions(t *testing.T) {
	S, C := sockstat.Server, sockstat.Client
	open := []ev{{C, ss, es, 0, 1}, {S, sr, es, 0, 1.01}}
	tests := []struct {
		name     string
		script   []ev
		closer   Closer
		reset    int
		tw       [3]int
		lifetime bool
	}{
		// The sequences measured on kernel 6.18 (docs: kernel facts).
		{"server first", append(open, ev{S, es, f1, 0, 5}, ev{C, es, cw, 0, 5.01}, ev{S, f1, f2, 0, 5.02}, ev{C, cw, la, 0, 5.03}, ev{S, f2, cl, 0, 5.04}, ev{C, la, cl, 0, 5.05}),
			Server, 0, [3]int{0, 1, 0}, true},
		{"client first", append(open, ev{C, es, f1, 0, 5}, ev{S, es, cw, 0, 5.01}, ev{C, f1, f2, 0, 5.02}, ev{S, cw, la, 0, 5.03}, ev{C, f2, cl, 0, 5.04}, ev{S, la, cl, 0, 5.05}),
			Client, 0, [3]int{0, 0, 1}, true},
		{"simultaneous", append(open, ev{S, es, f1, 0, 5}, ev{C, es, f1, 0, 5.001}, ev{S, f1, cg, 0, 5.01}, ev{C, f1, cg, 0, 5.01}, ev{S, cg, cl, 0, 5.02}, ev{C, cg, cl, 0, 5.02}),
			Simultaneous, 0, [3]int{0, 1, 1}, true},
		// The order measured on loopback: the aborting socket's →CLOSE,
		// the peer's reset and →CLOSE, then the sender's ResetSent.
		{"client RST (linger 0)", append(open, ev{C, es, cl, 0, 5}, ev{S, es, es, ResetReceived, 5.01}, ev{S, es, cl, 0, 5.02}, ev{C, cl, cl, ResetSent, 5.03}),
			Client, 1, [3]int{}, true},
		{"server RST (linger 0)", append(open, ev{S, es, cl, 0, 5}, ev{C, es, es, ResetReceived, 5.01}, ev{C, es, cl, 0, 5.02}, ev{S, cl, cl, ResetSent, 5.03}),
			Server, 1, [3]int{}, true},
		{"server FIN then RST", append(open, ev{S, es, f1, 0, 5}, ev{C, es, cw, 0, 5.01}, ev{S, f1, f1, ResetSent, 5.23}, ev{S, f1, cl, 0, 5.24}, ev{C, cw, cw, ResetReceived, 5.25}, ev{C, cw, cl, 0, 5.26}),
			Server, 1, [3]int{}, true},
		{"abort without reset events", append(open, ev{S, es, cl, 0, 5}, ev{C, es, cl, 0, 5.1}),
			None, 1, [3]int{}, true},
		{"closed after watching began", []ev{{S, es, f1, 0, 5}, {C, es, cw, 0, 5.01}, {S, f1, f2, 0, 5.02}, {C, cw, la, 0, 5.03}, {S, f2, cl, 0, 5.04}, {C, la, cl, 0, 5.05}},
			Server, 0, [3]int{0, 1, 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := play(t, tt.script)
			f := p.Figures(t0.Add(10*time.Second), Ephemeral{})
			wantOpened := 0
			if tt.lifetime {
				wantOpened = 1
			}
			for _, c := range []Counts{f.Total, f.Last60s} {
				if c.Opened != wantOpened {
					t.Errorf("opened %d, want %d (both ends count once)", c.Opened, wantOpened)
				}
				// Each end is a socket of its side seen opening.
				if wantBy := [3]int{0, wantOpened, wantOpened}; c.OpenedBy != wantBy {
					t.Errorf("opened by side %v, want %v", c.OpenedBy, wantBy)
				}
				for _, by := range []Closer{Server, Client, Simultaneous} {
					want := 0
					if by == tt.closer {
						want = 1
					}
					if c.ClosedFirst[by] != want {
						t.Errorf("closed first by %s: %d, want %d", by, c.ClosedFirst[by], want)
					}
				}
				if c.Reset != tt.reset || c.TimeWait != tt.tw {
					t.Errorf("reset %d TIME_WAIT %v, want %d %v", c.Reset, c.TimeWait, tt.reset, tt.tw)
				}
			}
			if tt.lifetime != (f.Lifetimes == 1) {
				t.Errorf("lifetimes %d (p50 %s)", f.Lifetimes, f.LifetimeP50)
			}
			if tt.lifetime && (f.LifetimeP50 < 3*time.Millisecond || f.LifetimeP50 > 5*time.Millisecond) {
				t.Errorf("lifetime p50 %s, want about 4 ms", f.LifetimeP50)
			}
			if p.Followed() != 0 {
				t.Errorf("%d connections still followed after both ends closed", p.Followed())
			}
			ended := p.Ended()
			if len(ended) != 1 || ended[0].Closer != tt.closer || ended[0].Reset != (tt.reset == 1) ||
				ended[0].Opened.IsZero() == tt.lifetime || !ended[0].Here(sockstat.Server) || ended[0].Client != cliA {
				t.Errorf("ended %+v", ended)
			}
		})
	}
}

// TestRefusedDialCountsNothing: an RST answering a SYN opened and closed
// nothing.
func TestRefusedDialCountsNothing(t *testing.T) {
	p := New(P, SourceEBPF, t0)
	p.Transition(&Transition{At: t0, Local: srvA, Remote: cliA, Reset: ResetSent})
	p.Transition(&Transition{At: t0, Local: cliA, Remote: srvA, Old: ss, New: cl})
	p.Transition(&Transition{At: t0, Local: cliA, Remote: srvA, Old: ss, New: ss, Reset: ResetReceived})
	if f := p.Figures(t0.Add(time.Second), Ephemeral{}); f.Total != (Counts{}) || p.Followed() != 0 {
		t.Fatalf("counted %+v, following %d", f.Total, p.Followed())
	}
}

// TestSameTupleAgain: a new connection on the 4-tuple of one that just
// ended is a new connection, not a late event of the old one.
func TestSameTupleAgain(t *testing.T) {
	S, C := sockstat.Server, sockstat.Client
	once := []ev{{C, ss, es, 0, 1}, {S, sr, es, 0, 1}, {S, es, f1, 0, 2}, {C, es, cw, 0, 2}, {S, f1, f2, 0, 2}, {C, cw, la, 0, 2}, {S, f2, cl, 0, 2}, {C, la, cl, 0, 2}}
	again := make([]ev, len(once))
	for i, e := range once {
		e.ms += 100
		again[i] = e
	}
	p := play(t, append(once, again...))
	if f := p.Figures(t0.Add(time.Second), Ephemeral{}); f.Total.Opened != 2 || f.Total.ClosedFirst[Server] != 2 || f.Total.OpenedBy != [3]int{0, 2, 2} {
		t.Fatalf("total %+v, want 2 opened, 2 closed first by the server", f.Total)
	}
}

func TestOtherPortsAndIncompleteTuplesIgnored(t *testing.T) {
	p := New(P, SourceEBPF, t0)
	// SYN_SENT is entered with local port 0.
	p.Transition(&Transition{At: t0, Local: netip.MustParseAddrPort("127.0.0.1:0"), Remote: srvA, Old: cl, New: ss})
	p.Transition(&Transition{At: t0, Local: netip.MustParseAddrPort("127.0.0.1:9"), Remote: netip.MustParseAddrPort("127.0.0.1:10"), Old: ss, New: es})
	if f := p.Figures(t0.Add(time.Second), Ephemeral{}); f.Total.Opened != 0 || p.Followed() != 0 {
		t.Fatalf("counted %+v, following %d", f.Total, p.Followed())
	}
}

func TestWindowAndRates(t *testing.T) {
	p := New(P, SourceEBPF, t0)
	// 120 server-first connections, one every half second for 60 s, then 30 s of nothing.
	for i := range 120 {
		at := t0.Add(time.Duration(i) * 500 * time.Millisecond)
		cli := netip.AddrPortFrom(cliA.Addr(), uint16(40000+i))
		step := func(side sockstat.Side, old, new sockstat.State, d time.Duration) {
			tr := Transition{At: at.Add(d), Old: old, New: new, Local: srvA, Remote: cli}
			if side == sockstat.Client {
				tr.Local, tr.Remote = cli, srvA
			}
			p.Transition(&tr)
		}
		step(sockstat.Client, ss, es, 0)
		step(sockstat.Server, sr, es, time.Microsecond)
		step(sockstat.Server, es, f1, 2*time.Millisecond)
		step(sockstat.Client, es, cw, 2*time.Millisecond+time.Microsecond)
		step(sockstat.Server, f1, f2, 3*time.Millisecond)
		step(sockstat.Client, cw, la, 3*time.Millisecond)
		step(sockstat.Server, f2, cl, 3*time.Millisecond)
		step(sockstat.Client, la, cl, 3*time.Millisecond)
	}
	f := p.Figures(t0.Add(60*time.Second), Ephemeral{})
	if f.Total.Opened != 120 || f.Total.ClosedFirst[Server] != 120 {
		t.Fatalf("total %+v", f.Total)
	}
	// The window holds seconds 1..60 of 0..60: 118 of the 120.
	if f.Last60s.Opened < 116 || f.Last60s.Opened > 120 || f.WindowSec != 60 {
		t.Fatalf("last 60 s: %d opened over %.1f s", f.Last60s.Opened, f.WindowSec)
	}
	if f.PerSec < 1.9 || f.PerSec > 2.01 {
		t.Errorf("rate %.2f/s, want about 2", f.PerSec)
	}
	// 2 server closes a second, each TIME_WAIT lasting 60 s: about 120 held.
	if s := f.TimeWaitSteady[sockstat.Server]; s < 115 || s > 121 || f.TimeWaitSteady[sockstat.Client] != 0 {
		t.Errorf("steady TIME_WAIT server %.1f client %.1f", s, f.TimeWaitSteady[sockstat.Client])
	}
	later := p.Figures(t0.Add(200*time.Second), Ephemeral{})
	if later.Last60s.Opened != 0 || later.Total.Opened != 120 || later.PerSec != 0 || later.LifetimeP50 != -1 {
		t.Errorf("after 140 s of silence: %+v", later)
	}
}

func TestExhaust(t *testing.T) {
	tests := []struct {
		rate float64
		e    Ephemeral
		want float64
	}{
		{0, Ephemeral{Range: 28232}, -1},
		{100, Ephemeral{Range: 28232, InUse: 3000, Open: 10}, -1},        // 6,010 steady: fits
		{1000, Ephemeral{Range: 28232, InUse: 8232, Open: 10}, 20},       // 60,010 steady: 20,000 left at 1,000/s
		{1000, Ephemeral{Range: 28232, InUse: 30000, Open: 10}, 0},       // already over
		{400, Ephemeral{Range: 0, InUse: 10}, -1},                        // unknown range
		{400, Ephemeral{Range: 28232, InUse: 10000, Open: 10000}, 45.58}, // 34,000 steady
	}
	for _, tt := range tests {
		if got := exhaust(tt.rate, tt.e); got < tt.want-0.01 || got > tt.want+0.01 {
			t.Errorf("exhaust(%v, %+v) = %.2f, want %.2f", tt.rate, tt.e, got, tt.want)
		}
	}
}

func TestLifeHist(t *testing.T) {
	var h lifeHist
	if h.quantile(0.5) != -1 {
		t.Fatal("empty histogram has a median")
	}
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, q := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}} {
		got := h.quantile(q.q)
		if d := float64(got-q.want) / float64(q.want); d < -0.1 || d > 0.1 {
			t.Errorf("p%v = %s, want %s ± 10 %%", q.q*100, got, q.want)
		}
	}
	for _, d := range []time.Duration{0, time.Microsecond, 7 * time.Microsecond, time.Hour, 100 * time.Hour} {
		if i := lifeIndex(d); i < 0 || i >= lifeBuckets {
			t.Errorf("lifeIndex(%s) = %d", d, i)
		}
	}
}

func TestFollowLimit(t *testing.T) {
	p := New(P, SourceEBPF, t0)
	for i := range maxConns + 10 {
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 40000)
		p.Transition(&Transition{At: t0, Local: cli, Remote: srvA, Old: ss, New: es})
	}
	f := p.Figures(t0.Add(time.Second), Ephemeral{})
	if p.Followed() != maxConns || f.Untracked != 10 || f.Total.Opened != maxConns+10 || f.Total.OpenedBy[sockstat.Client] != maxConns+10 {
		t.Fatalf("followed %d untracked %d opened %d (client side %d)", p.Followed(), f.Untracked, f.Total.Opened, f.Total.OpenedBy[sockstat.Client])
	}
}

// TestOpenedBySide: connections whose other end is not on this host open
// one socket each, of the side this host plays.
func TestOpenedBySide(t *testing.T) {
	p := New(P, SourceEBPF, t0)
	remote := netip.MustParseAddrPort("10.0.0.7:40000")
	// Accepted from a remote client: the server side opens.
	p.Transition(&Transition{At: t0, Local: srvA, Remote: remote, Old: sockstat.NewSynRecv, New: es})
	// Dialed to a remote server on port P: the client side opens.
	p.Transition(&Transition{At: t0, Local: cliA, Remote: netip.MustParseAddrPort("10.0.0.8:8081"), Old: ss, New: es})
	p.Transition(&Transition{At: t0, Local: netip.MustParseAddrPort("127.0.0.1:50002"), Remote: netip.MustParseAddrPort("10.0.0.8:8081"), Old: ss, New: es})
	f := p.Figures(t0.Add(time.Second), Ephemeral{})
	for _, c := range []Counts{f.Total, f.Last60s} {
		if c.Opened != 3 || c.OpenedBy != [3]int{0, 1, 2} {
			t.Errorf("opened %d by side %v, want 3 and [0 1 2]", c.Opened, c.OpenedBy)
		}
	}
}

func TestEndedKeepsTheMostRecent(t *testing.T) {
	p := New(P, SourceEBPF, t0)
	for i := range keepDone + 5 {
		cli := netip.AddrPortFrom(cliA.Addr(), uint16(20000+i))
		at := t0.Add(time.Duration(i) * time.Millisecond)
		p.Transition(&Transition{At: at, Local: cli, Remote: srvA, Old: ss, New: es})
		p.Transition(&Transition{At: at, Local: cli, Remote: srvA, Old: es, New: cl})
	}
	e := p.Ended()
	if len(e) != keepDone || e[0].Client.Port() != 20005 || e[len(e)-1].Client.Port() != uint16(20000+keepDone+4) {
		t.Fatalf("%d ended, first %v last %v", len(e), e[0].Client, e[len(e)-1].Client)
	}
}

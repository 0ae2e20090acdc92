//go:build linux

package sockstat

import "testing"

// TestGopsutilMatchesSS: the portable path counts per (side, state) what ss
// counts, TIME_WAIT included on both sides (gopsutil's cheapest listing
// still reads every socket of /proc/net/tcp and tcp6).
func TestGopsutilMatchesSS(t *testing.T) {
	needSS(t)
	for _, c := range labCases {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t, c, 3, 2, 4)
			g := newGopsutil()
			socks := checkAgainstSS(t, g, l)
			for _, s := range socks {
				if s.Timer != TimerNone || s.HasInfo || s.Inode != 0 || s.Orphan {
					t.Errorf("%v: gopsutil reported timer %v hasInfo %v inode %d orphan %v; it knows none of these", s.Key(), s.Timer, s.HasInfo, s.Inode, s.Orphan)
				}
			}
		})
	}
}

// BenchmarkGopsutilSample: one poll of the portable path, for comparison.
func BenchmarkGopsutilSample(b *testing.B) {
	l := newLab(b, labV4, 4, 2, 2)
	g := newGopsutil()
	ports := []uint16{l.port}
	var dst []Socket
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if dst, err = g.Sample(ports, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(dst)), "sockets")
}

package hist

import (
	"testing"
	"time"
)

func TestHist(t *testing.T) {
	var h Hist
	if h.QuantileMs(0.5) != 0 {
		t.Fatal("empty histogram has a median")
	}
	for i := 1; i <= 1000; i++ {
		h.Add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct{ q, want float64 }{{0.5, 500}, {0.99, 990}, {0, 1}, {1, 1000}} {
		got := h.QuantileMs(tc.q)
		if d := got/tc.want - 1; d > 0.04 || d < -0.04 {
			t.Errorf("q%.2f = %.1f ms, want %.0f within 4%%", tc.q, got, tc.want)
		}
	}
	var g Hist
	g.Add(3 * time.Microsecond)
	g.Merge(&h)
	if g.N() != 1001 || g.MaxMs() != 1000 {
		t.Errorf("merge: n %d max %.1f", g.N(), g.MaxMs())
	}
	for us := uint64(0); us < 1<<40; us = us*3/2 + 1 {
		if i := histIndex(us); i < 0 || i >= histBuckets {
			t.Fatalf("index %d for %d µs", i, us)
		}
		if mid := histMid(histIndex(us)); us >= histLinear && (mid < float64(us)*0.96 || mid > float64(us)*1.04) {
			t.Fatalf("bucket of %d µs has middle %.0f", us, mid)
		}
	}
}

package main

import (
	"math"
	"testing"
	"time"
)

func TestSpread(t *testing.T) {
	s := spreadOf([]float64{3, math.NaN(), 1, 2, math.Inf(1)})
	if s.med != 2 || s.lo != 1 || s.hi != 3 || s.n != 3 {
		t.Errorf("spreadOf odd = %+v", s)
	}
	if s := spreadOf([]float64{4, 1, 2, 3}); s.med != 2.5 {
		t.Errorf("median of 4 values = %v, want 2.5", s.med)
	}
	if got := spreadOf([]float64{1.5, 2.25}).format(fmtX); got != "1.88x (1.50x–2.25x)" {
		t.Errorf("format = %q", got)
	}
	if got := spreadOf([]float64{7}).format(fmtMs); got != "7.00" {
		t.Errorf("format one = %q", got)
	}
	if got := spreadOf(nil).format(fmtMs); got != "n/a" {
		t.Errorf("format none = %q", got)
	}
}

func TestFormats(t *testing.T) {
	if !math.IsNaN(ratio(1, 0)) || ratio(3, 2) != 1.5 {
		t.Error("ratio")
	}
	if got := perSecond(50*time.Millisecond, 10*time.Second); got != 5 {
		t.Errorf("perSecond = %v, want 5 ms/s", got)
	}
	if fmtMs(123.4) != "123" || fmtMs(12.34) != "12.3" || fmtMs(0.01234) != "0.012" {
		t.Error("fmtMs")
	}
	if fmtSigned(-1.5) != "-1.50" || fmtSigned(2) != "+2.00" {
		t.Error("fmtSigned")
	}
	if thousands(50003) != "50,003" || thousands(999) != "999" || thousands(-1234) != "-1,234" {
		t.Error("thousands")
	}
}

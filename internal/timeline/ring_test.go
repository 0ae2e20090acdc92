package timeline

import (
	"math"
	"reflect"
	"testing"
)

// fill appends rows 1..n where row i has time 1000*i and column c value 10*i+c.
func fill(r *Ring, n int) {
	row := make([]int32, r.Columns())
	for i := 1; i <= n; i++ {
		for c := range row {
			row[c] = int32(10*i + c)
		}
		if got := r.Append(int64(1000*i), row); got != uint64(i) {
			panic("unexpected seq")
		}
	}
}

// want builds the expected copy-out of rows from..to (inclusive) for columns.
func want(from, to, columns int) ([]int64, [][]int32) {
	t := []int64{}
	cols := make([][]int32, columns)
	for c := range cols {
		cols[c] = []int32{}
	}
	for i := from; i <= to; i++ {
		t = append(t, int64(1000*i))
		for c := range cols {
			cols[c] = append(cols[c], int32(10*i+c))
		}
	}
	return t, cols
}

func TestSince(t *testing.T) {
	tests := []struct {
		name          string
		capacity      int
		appended      int
		since         uint64
		seq0, last    uint64
		from, to, len int
	}{
		{"empty ring", 4, 0, 0, 1, 0, 1, 0, 0},
		{"empty ring, future seq", 4, 0, 7, 1, 0, 1, 0, 0},
		{"all from zero", 4, 3, 0, 1, 3, 1, 3, 3},
		{"partial", 4, 3, 1, 2, 3, 2, 3, 3},
		{"up to date", 4, 3, 3, 4, 3, 4, 3, 3},
		{"ahead of ring", 4, 3, 9, 4, 3, 4, 3, 3},
		{"exactly full", 4, 4, 0, 1, 4, 1, 4, 4},
		{"wrapped, since zero", 4, 10, 0, 7, 10, 7, 10, 4},
		{"wrapped, since older than oldest", 4, 10, 2, 7, 10, 7, 10, 4},
		{"wrapped, since just before oldest", 4, 10, 6, 7, 10, 7, 10, 4},
		{"wrapped, since inside", 4, 10, 8, 9, 10, 9, 10, 4},
		{"wrapped, run crosses the end of the arrays", 4, 10, 7, 8, 10, 8, 10, 4},
		{"wrapped, up to date", 4, 10, 10, 11, 10, 11, 10, 4},
		{"capacity one", 1, 5, 0, 5, 5, 5, 5, 1},
		{"max seq", 4, 3, math.MaxUint64, 4, 3, 4, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const columns = 3
			r := New(tc.capacity, columns)
			fill(r, tc.appended)
			if r.Len() != tc.len {
				t.Errorf("Len() = %d, want %d", r.Len(), tc.len)
			}
			if r.Last() != uint64(tc.appended) {
				t.Errorf("Last() = %d, want %d", r.Last(), tc.appended)
			}
			seq0, last, ts, cols := r.Since(tc.since)
			if seq0 != tc.seq0 || last != tc.last {
				t.Errorf("Since(%d) seqs = %d..%d, want %d..%d", tc.since, seq0, last, tc.seq0, tc.last)
			}
			wt, wc := want(tc.from, tc.to, columns)
			if !reflect.DeepEqual(ts, wt) {
				t.Errorf("Since(%d) t = %v, want %v", tc.since, ts, wt)
			}
			if !reflect.DeepEqual(cols, wc) {
				t.Errorf("Since(%d) cols = %v, want %v", tc.since, cols, wc)
			}
			if n := int(last) - int(seq0) + 1; n != len(ts) {
				t.Errorf("last-seq0+1 = %d, but %d rows returned", n, len(ts))
			}
		})
	}
}

func TestSinceCopiesOut(t *testing.T) {
	r := New(3, 1)
	fill(r, 2)
	_, _, ts, cols := r.Since(0)
	ts[0], cols[0][0] = -1, -1
	fill2 := []int32{99}
	r.Append(5000, fill2)
	fill2[0] = -7 // the ring keeps its own copy of the row
	_, _, ts, cols = r.Since(0)
	if ts[0] != 1000 || cols[0][0] != 10 || cols[0][2] != 99 {
		t.Fatalf("ring was modified through returned or appended slices: t=%v cols=%v", ts, cols)
	}
}

func TestZeroColumns(t *testing.T) {
	r := New(2, 0)
	r.Append(1, nil)
	r.Append(2, nil)
	r.Append(3, nil)
	seq0, last, ts, cols := r.Since(0)
	if seq0 != 2 || last != 3 || !reflect.DeepEqual(ts, []int64{2, 3}) || len(cols) != 0 {
		t.Fatalf("Since(0) = %d, %d, %v, %v", seq0, last, ts, cols)
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"zero capacity":    func() { New(0, 1) },
		"negative columns": func() { New(1, -1) },
		"short row":        func() { New(2, 2).Append(1, []int32{1}) },
		"long row":         func() { New(2, 2).Append(1, []int32{1, 2, 3}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// TestAppendDoesNotAllocate pins "memory is allocated once at New".
func TestAppendDoesNotAllocate(t *testing.T) {
	r := New(16, 22)
	row := make([]int32, 22)
	allocs := testing.AllocsPerRun(1000, func() { r.Append(1, row) })
	if allocs != 0 {
		t.Fatalf("Append allocates %v times per call, want 0", allocs)
	}
	if r.Len() != 16 || r.Last() != 1001 {
		t.Fatalf("Len=%d Last=%d after 1001 appends into 16 slots", r.Len(), r.Last())
	}
}

func BenchmarkAppend(b *testing.B) {
	r := New(3600, 22)
	row := make([]int32, 22)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Append(int64(i), row)
	}
}

func BenchmarkSinceFull(b *testing.B) {
	r := New(3600, 22)
	fill(r, 5000)
	b.ReportAllocs()
	for b.Loop() {
		r.Since(0)
	}
}

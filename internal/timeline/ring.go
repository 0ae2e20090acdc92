// Package timeline is a fixed-capacity columnar ring: one time column (Unix
// milliseconds) and N int32 columns, one row per Append, each row numbered by
// a sequence number that starts at 1 and grows by one per Append. When the
// ring is full the oldest row is overwritten. All memory is allocated by New,
// so a ring stays the same size however long it runs.
//
// The ring does no I/O and no locking: its owner serializes access.
package timeline

import "fmt"

// Ring is a fixed-capacity columnar ring buffer. The zero value is not
// usable; call New.
type Ring struct {
	t    []int64   // time column, Unix ms; len == capacity
	cols [][]int32 // value columns, each len == capacity
	last uint64    // sequence number of the newest row; 0 when empty
}

// New returns a ring holding at most capacity rows of columns int32 values.
// It panics if capacity < 1 or columns < 0: both are programming errors.
func New(capacity, columns int) *Ring {
	if capacity < 1 || columns < 0 {
		panic(fmt.Sprintf("timeline.New(%d, %d): capacity must be >= 1 and columns >= 0", capacity, columns))
	}
	flat := make([]int32, capacity*columns) // one allocation for every column
	cols := make([][]int32, columns)
	for i := range cols {
		cols[i] = flat[i*capacity : (i+1)*capacity : (i+1)*capacity]
	}
	return &Ring{t: make([]int64, capacity), cols: cols}
}

// Cap is the number of rows the ring holds when full.
func (r *Ring) Cap() int { return len(r.t) }

// Columns is the number of int32 columns.
func (r *Ring) Columns() int { return len(r.cols) }

// Len is the number of rows held, at most Cap.
func (r *Ring) Len() int {
	if r.last < uint64(len(r.t)) {
		return int(r.last)
	}
	return len(r.t)
}

// Last is the sequence number of the newest row, 0 when nothing was appended.
func (r *Ring) Last() uint64 { return r.last }

// First is the sequence number of the oldest row still held; it is Last()+1
// when the ring is empty.
func (r *Ring) First() uint64 { return r.last - uint64(r.Len()) + 1 }

// Append adds one row at time tMs and returns its sequence number. row must
// hold exactly Columns() values; Append panics otherwise (a programming error).
// When the ring is full the oldest row is dropped.
func (r *Ring) Append(tMs int64, row []int32) (seq uint64) {
	if len(row) != len(r.cols) {
		panic(fmt.Sprintf("timeline: Append with %d values, ring has %d columns", len(row), len(r.cols)))
	}
	r.last++
	i := r.index(r.last)
	r.t[i] = tMs
	for c, v := range row {
		r.cols[c][i] = v
	}
	return r.last
}

// Since copies out the rows whose sequence number is greater than seq and
// that the ring still holds, oldest first. seq0 is the sequence number of the
// first returned row and last that of the newest row in the ring; when no row
// qualifies, t and every column are empty and seq0 == last+1. Asking for a
// seq older than the oldest row held returns everything held (the caller sees
// the gap from seq0). The returned slices are fresh copies the caller owns.
func (r *Ring) Since(seq uint64) (seq0, last uint64, t []int64, cols [][]int32) {
	seq0 = max(seq+1, r.First())
	if seq >= r.last { // also guards seq+1 overflow
		seq0 = r.last + 1
	}
	n := 0
	if seq0 <= r.last {
		n = int(r.last - seq0 + 1)
	}
	t = make([]int64, n)
	cols = make([][]int32, len(r.cols))
	flat := make([]int32, n*len(r.cols))
	for c := range cols {
		cols[c] = flat[c*n : (c+1)*n : (c+1)*n]
	}
	if n == 0 {
		return seq0, r.last, t, cols
	}
	// The rows form at most two contiguous runs in the backing arrays.
	start := r.index(seq0)
	first := min(n, len(r.t)-start)
	copy(t, r.t[start:start+first])
	copy(t[first:], r.t[:n-first])
	for c, col := range r.cols {
		copy(cols[c], col[start:start+first])
		copy(cols[c][first:], col[:n-first])
	}
	return seq0, r.last, t, cols
}

// index is the slot of sequence number seq (seq >= 1).
func (r *Ring) index(seq uint64) int { return int((seq - 1) % uint64(len(r.t))) }

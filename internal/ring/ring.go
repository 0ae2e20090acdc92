// Package ring is the one bounded FIFO of the Lab: it keeps the last N
// values pushed, oldest first, in memory allocated once. The Lab keeps its
// request log, its most recent connections and each worker's unpublished
// log lines in one. (The kernel's per-poll counts, a columnar time series
// with sequence numbers, live in package timeline.)
//
// A Ring does no locking: its owner serializes access.
package ring

// Ring keeps the last Cap values pushed, oldest first. The zero value is
// not usable; call New.
type Ring[T any] struct {
	buf  []T
	head int // next write
	n    int
}

// New returns an empty ring of capacity values (at least 1).
func New[T any](capacity int) *Ring[T] { return &Ring[T]{buf: make([]T, max(1, capacity))} }

// Push adds v, evicting and returning the oldest value when full.
func (r *Ring[T]) Push(v T) (old T, evicted bool) {
	if r.n == len(r.buf) {
		old, evicted = r.buf[r.head], true
	} else {
		r.n++
	}
	r.buf[r.head] = v
	r.head = (r.head + 1) % len(r.buf)
	return old, evicted
}

// Each calls f on every value, oldest first.
func (r *Ring[T]) Each(f func(*T)) {
	start := (r.head - r.n + len(r.buf)) % len(r.buf)
	for i := 0; i < r.n; i++ {
		f(&r.buf[(start+i)%len(r.buf)])
	}
}

// Slice copies the values, oldest first.
func (r *Ring[T]) Slice() []T {
	out := make([]T, 0, r.n)
	r.Each(func(v *T) { out = append(out, *v) })
	return out
}

// Len is the number of values held.
func (r *Ring[T]) Len() int { return r.n }

// Reset empties the ring (the values stay in memory until overwritten).
func (r *Ring[T]) Reset() { r.head, r.n = 0, 0 }

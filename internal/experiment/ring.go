package experiment

// ring keeps the last cap values pushed, oldest first.
type ring[T any] struct {
	buf  []T
	head int // next write
	n    int
}

func newRing[T any](capacity int) *ring[T] { return &ring[T]{buf: make([]T, capacity)} }

// push adds v, evicting and returning the oldest value when full.
func (r *ring[T]) push(v T) (old T, evicted bool) {
	if r.n == len(r.buf) {
		old, evicted = r.buf[r.head], true
	} else {
		r.n++
	}
	r.buf[r.head] = v
	r.head = (r.head + 1) % len(r.buf)
	return old, evicted
}

// each calls f on every value, oldest first.
func (r *ring[T]) each(f func(*T)) {
	start := (r.head - r.n + len(r.buf)) % len(r.buf)
	for i := 0; i < r.n; i++ {
		f(&r.buf[(start+i)%len(r.buf)])
	}
}

// slice copies the values, oldest first.
func (r *ring[T]) slice() []T {
	out := make([]T, 0, r.n)
	r.each(func(v *T) { out = append(out, *v) })
	return out
}

func (r *ring[T]) len() int { return r.n }

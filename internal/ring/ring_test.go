package ring

import (
	"slices"
	"testing"
)

func TestRing(t *testing.T) {
	r := New[int](3)
	if got := r.Slice(); len(got) != 0 || r.Len() != 0 {
		t.Fatalf("empty ring holds %v", got)
	}
	for v := 1; v <= 3; v++ {
		if _, ev := r.Push(v); ev {
			t.Fatalf("push %d evicted before the ring was full", v)
		}
	}
	old, ev := r.Push(4)
	if !ev || old != 1 {
		t.Fatalf("push into a full ring evicted %d %v, want 1", old, ev)
	}
	if got := r.Slice(); !slices.Equal(got, []int{2, 3, 4}) || r.Len() != 3 {
		t.Fatalf("ring holds %v (len %d), want [2 3 4]", got, r.Len())
	}
	var seen []int
	r.Each(func(v *int) { seen = append(seen, *v); *v *= 10 })
	if !slices.Equal(seen, []int{2, 3, 4}) || !slices.Equal(r.Slice(), []int{20, 30, 40}) {
		t.Fatalf("Each saw %v, then the ring holds %v", seen, r.Slice())
	}
	r.Reset()
	r.Push(5)
	if got := r.Slice(); !slices.Equal(got, []int{5}) {
		t.Fatalf("after Reset and one push: %v", got)
	}
	one := New[int](0) // capacity raised to 1
	one.Push(1)
	one.Push(2)
	if got := one.Slice(); !slices.Equal(got, []int{2}) {
		t.Fatalf("a ring of capacity 0 holds %v, want [2]", got)
	}
}

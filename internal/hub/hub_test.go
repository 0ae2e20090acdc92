package hub

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait in these tests.
const waitTimeout = 10 * time.Second

func msg(i int) []byte { return []byte(strconv.Itoa(i)) }

// recv takes one message from s or fails.
func recv(t *testing.T, s *Sub) string {
	t.Helper()
	select {
	case m := <-s.C():
		return string(m)
	case <-time.After(waitTimeout):
		t.Fatal("no message")
		return ""
	}
}

// empty asserts nothing is queued for s.
func empty(t *testing.T, s *Sub) {
	t.Helper()
	select {
	case m := <-s.C():
		t.Fatalf("unexpected message %q", m)
	default:
	}
}

func isDone(s *Sub) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

func TestTopics(t *testing.T) {
	h := New(nil)
	a, b := h.Subscribe(8), h.Subscribe(8)
	h.Join(a, "port:1")
	h.Join(a, "ports")
	h.Join(a, "ports") // twice is once
	h.Join(b, "port:2")
	h.Join(b, "ports")
	if h.Len() != 2 || h.Subscribers("ports") != 2 || h.Subscribers("port:1") != 1 {
		t.Fatalf("Len=%d ports=%d port:1=%d", h.Len(), h.Subscribers("ports"), h.Subscribers("port:1"))
	}

	h.Publish("port:1", []byte("one"))
	h.Publish("port:2", []byte("two"))
	h.Publish("ports", []byte("all"))
	h.Publish("nobody", []byte("lost"))
	if got := recv(t, a); got != "one" {
		t.Errorf("a got %q, want one", got)
	}
	if got := recv(t, a); got != "all" {
		t.Errorf("a got %q, want all", got)
	}
	if got := recv(t, b); got != "two" {
		t.Errorf("b got %q, want two", got)
	}
	if got := recv(t, b); got != "all" {
		t.Errorf("b got %q, want all", got)
	}
	empty(t, a)
	empty(t, b)

	h.Leave(a, "ports")
	h.Leave(a, "never-joined")
	h.Publish("ports", []byte("again"))
	empty(t, a)
	if got := recv(t, b); got != "again" {
		t.Errorf("b got %q, want again", got)
	}
	if !b.Send([]byte("direct")) || recv(t, b) != "direct" {
		t.Error("Send to a live subscriber was not queued")
	}
	if a.Reason() != "" || isDone(a) {
		t.Error("a live subscriber looks dropped")
	}
	h.Unsubscribe(a)
	h.Unsubscribe(b)
	if h.Len() != 0 || h.Subscribers("port:1") != 0 {
		t.Fatalf("after Unsubscribe: Len=%d port:1=%d", h.Len(), h.Subscribers("port:1"))
	}
	if len(h.topics) != 0 {
		t.Fatalf("topics left behind: %v", h.topics)
	}
}

func TestUnsubscribeAndClose(t *testing.T) {
	h := New(nil)
	a, b := h.Subscribe(4), h.Subscribe(4)
	h.Join(a, "t")
	h.Join(b, "t")

	h.Unsubscribe(a)
	h.Unsubscribe(a) // idempotent
	if !isDone(a) || a.Reason() != ReasonUnsubscribed {
		t.Fatalf("a: done=%v reason=%q", isDone(a), a.Reason())
	}
	if a.Send([]byte("x")) {
		t.Error("Send to a dropped subscriber reported success")
	}
	h.Join(a, "t") // no-op on a dropped subscriber
	h.Publish("t", []byte("m"))
	empty(t, a)
	if recv(t, b) != "m" {
		t.Error("b missed m")
	}

	h.Close()
	h.Close() // idempotent
	if !isDone(b) || b.Reason() != ReasonClosed || h.Len() != 0 {
		t.Fatalf("after Close: b done=%v reason=%q Len=%d", isDone(b), b.Reason(), h.Len())
	}
	if a.Reason() != ReasonUnsubscribed {
		t.Errorf("Close rewrote an earlier reason: %q", a.Reason())
	}
	c := h.Subscribe(4)
	if !isDone(c) || c.Reason() != ReasonClosed || h.Len() != 0 {
		t.Fatalf("Subscribe after Close: done=%v reason=%q Len=%d", isDone(c), c.Reason(), h.Len())
	}
}

func TestSendFullDrops(t *testing.T) {
	h := New(nil)
	s := h.Subscribe(0) // granted minQueue
	h.Join(s, "t")
	for i := range minQueue {
		if !s.Send(msg(i)) {
			t.Fatalf("Send %d refused with room in the queue", i)
		}
	}
	if s.Send(msg(99)) {
		t.Fatal("Send to a full queue reported success")
	}
	if !isDone(s) || s.Reason() != ReasonSlow || h.Subscribers("t") != 0 || h.Len() != 0 {
		t.Fatalf("full subscriber not dropped: done=%v reason=%q", isDone(s), s.Reason())
	}
	// What was queued before the drop is still there, in order.
	for i := range minQueue {
		if got := recv(t, s); got != strconv.Itoa(i) {
			t.Fatalf("queued message %d = %q", i, got)
		}
	}
}

// TestStalledSubscriberEvicted: a subscriber that never reads is dropped once
// its queue fills, and the reading subscriber gets every message in order,
// from publishers that never block.
func TestStalledSubscriberEvicted(t *testing.T) {
	const (
		n     = 5000
		queue = 16
	)
	h := New(nil)
	stalled, reader := h.Subscribe(queue), h.Subscribe(n)
	h.Join(stalled, "t")
	h.Join(reader, "t")

	got := make(chan []string, 1)
	var wg sync.WaitGroup
	wg.Go(func() { // owner: this test; it waits on wg below
		var seen []string
		for len(seen) < n {
			select {
			case m := <-reader.C():
				seen = append(seen, string(m))
			case <-reader.Done():
				got <- seen
				return
			}
		}
		got <- seen
	})

	start := time.Now()
	for i := range n {
		h.Publish("t", msg(i))
	}
	publishTime := time.Since(start)
	wg.Wait()

	seen := <-got
	if len(seen) != n {
		t.Fatalf("reader got %d of %d messages (reason %q)", len(seen), n, reader.Reason())
	}
	for i, m := range seen {
		if m != strconv.Itoa(i) {
			t.Fatalf("reader message %d = %q: out of order", i, m)
		}
	}
	if !isDone(stalled) || stalled.Reason() != ReasonSlow {
		t.Fatalf("stalled subscriber not dropped: reason %q", stalled.Reason())
	}
	if len(stalled.C()) != queue {
		t.Errorf("stalled queue holds %d, want the first %d", len(stalled.C()), queue)
	}
	if h.Len() != 1 || h.Subscribers("t") != 1 {
		t.Errorf("Len=%d Subscribers=%d, want 1 and 1", h.Len(), h.Subscribers("t"))
	}
	// Generous bound (race detector, shared CI box): 5000 non-blocking sends.
	if publishTime > 2*time.Second {
		t.Errorf("publishing %d messages took %v: something blocked", n, publishTime)
	}
	h.Close()
}

// TestJoinThenSendIsOrdered is the guarantee the monitor builds on: when a
// caller serializes "Join + Send(snapshot)" with "Publish" under its own lock,
// the subscriber sees its snapshot first and then every later publish, with no
// gap and no duplicate.
func TestJoinThenSendIsOrdered(t *testing.T) {
	const (
		ticks   = 2000
		joiners = 20
	)
	h := New(nil)
	var (
		mu  sync.Mutex // the caller's publish lock
		seq int        // guarded by mu
	)
	var wg sync.WaitGroup
	wg.Go(func() { // publisher; owner: this test
		for range ticks {
			mu.Lock()
			seq++
			h.Publish("t", []byte("tick "+strconv.Itoa(seq)))
			mu.Unlock()
		}
	})
	errs := make(chan error, joiners)
	for range joiners {
		wg.Go(func() { // one subscriber; owner: this test
			s := h.Subscribe(ticks + 1)
			defer h.Unsubscribe(s)
			mu.Lock()
			h.Join(s, "t")
			at := seq
			s.Send([]byte("snap " + strconv.Itoa(at)))
			mu.Unlock()

			var kind string
			var n int
			if _, err := fmt.Sscanf(string(<-s.C()), "%s %d", &kind, &n); err != nil || kind != "snap" || n != at {
				errs <- fmt.Errorf("first message is not the snapshot at %d: %s %d %v", at, kind, n, err)
				return
			}
			for want := at + 1; want <= ticks; want++ {
				m := string(<-s.C())
				if m != "tick "+strconv.Itoa(want) {
					errs <- fmt.Errorf("after snapshot %d: got %q, want tick %d", at, m, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	h.Close()
}

// TestConcurrentUse exercises every method at once under -race.
func TestConcurrentUse(t *testing.T) {
	h := New(nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for p := range 2 {
		wg.Go(func() { // publisher; stopped by close(stop)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				h.Publish("t"+strconv.Itoa(i%3), msg(p))
			}
		})
	}
	for range 4 {
		wg.Go(func() { // churn of subscribers; stopped by close(stop)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := h.Subscribe(4)
				h.Join(s, "t"+strconv.Itoa(i%3))
				h.Join(s, "t"+strconv.Itoa((i+1)%3))
				s.Send(msg(i))
				for range 2 {
					select {
					case <-s.C():
					default:
					}
				}
				_ = s.Reason()
				h.Leave(s, "t0")
				_ = h.Len()
				h.Unsubscribe(s)
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // duration of the stress, not a wait for an event
	close(stop)
	wg.Wait()
	if h.Len() != 0 {
		t.Fatalf("Len = %d after every subscriber left", h.Len())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.topics) != 0 {
		t.Fatalf("topics left behind: %d", len(h.topics))
	}
}

func BenchmarkPublish(b *testing.B) {
	h := New(nil)
	subs := make([]*Sub, 10)
	for i := range subs {
		subs[i] = h.Subscribe(1)
		h.Join(subs[i], "t")
	}
	m := []byte("x")
	b.ReportAllocs()
	for b.Loop() {
		h.Publish("t", m)
		for _, s := range subs {
			<-s.C()
		}
	}
}

// TestByteBudget: a bounded subscriber is dropped once its queued bytes
// would pass the budget; Took frees room; one oversized message passes alone.
func TestByteBudget(t *testing.T) {
	h := New(nil)
	s := h.SubscribeBounded(100, 10)
	h.Join(s, "t")
	h.Publish("t", []byte("123456"))
	h.Publish("t", []byte("1234"))
	if s.Queued() != 10 || isDone(s) {
		t.Fatalf("queued %d done %v, want 10 bytes and live", s.Queued(), isDone(s))
	}
	s.Took([]byte(recv(t, s)))
	if s.Queued() != 4 {
		t.Fatalf("queued %d after Took, want 4", s.Queued())
	}
	h.Publish("t", []byte("123456")) // 4+6 = 10: fits
	h.Publish("t", []byte("x"))      // 11: over
	if !isDone(s) || s.Reason() != ReasonOverBudget || h.Len() != 0 {
		t.Fatalf("over budget: done %v reason %q len %d", isDone(s), s.Reason(), h.Len())
	}

	big := h.SubscribeBounded(100, 10)
	h.Join(big, "t")
	h.Publish("t", make([]byte, 50)) // alone: passes
	if isDone(big) {
		t.Fatal("a lone oversized message dropped the subscriber")
	}
	h.Publish("t", []byte("x"))
	if big.Reason() != ReasonOverBudget {
		t.Fatalf("second message past the budget: reason %q", big.Reason())
	}
	h.Close()
}

// TestReserveFill: messages published between Reserve and Fill come after
// the filled first message, in order; Leave discards them and their bytes.
func TestReserveFill(t *testing.T) {
	h := New(nil)
	s := h.SubscribeBounded(100, 1000)
	if !h.Reserve(s, "t") {
		t.Fatal("Reserve refused")
	}
	if h.Reserve(s, "t") {
		t.Fatal("second Reserve of a joined topic accepted")
	}
	h.Publish("t", msg(1))
	h.Publish("t", msg(2))
	empty(t, s)
	if s.Queued() != 2 {
		t.Fatalf("held bytes %d, want 2", s.Queued())
	}
	if !h.Fill(s, "t", []byte("snap")) {
		t.Fatal("Fill refused")
	}
	h.Publish("t", msg(3))
	for _, want := range []string{"snap", "1", "2", "3"} {
		got := recv(t, s)
		s.Took([]byte(got))
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if h.Fill(s, "t", []byte("again")) {
		t.Fatal("Fill of a topic not reserved accepted")
	}

	h.Reserve(s, "u")
	h.Publish("u", msg(4))
	h.Leave(s, "u")
	if s.Queued() != 0 || h.Subscribers("u") != 0 {
		t.Fatalf("after Leave: queued %d subscribers %d", s.Queued(), h.Subscribers("u"))
	}
	if h.Fill(s, "u", []byte("late")) {
		t.Fatal("Fill after Leave accepted")
	}
	empty(t, s)
	h.Close()
	if h.Reserve(s, "v") || h.Fill(s, "t", nil) {
		t.Fatal("Reserve or Fill on a dropped subscriber accepted")
	}
}

// TestReserveFillIsOrdered is TestJoinThenSendIsOrdered with the first
// message supplied after the caller's publish lock is released (as the
// monitor does with snapshots): still no gap and no duplicate.
func TestReserveFillIsOrdered(t *testing.T) {
	const (
		ticks   = 2000
		joiners = 20
	)
	h := New(nil)
	var (
		mu  sync.Mutex // the caller's publish lock
		seq int        // guarded by mu
	)
	var wg sync.WaitGroup
	wg.Go(func() { // publisher; owner: this test
		for range ticks {
			mu.Lock()
			seq++
			h.Publish("t", []byte("tick "+strconv.Itoa(seq)))
			mu.Unlock()
		}
	})
	errs := make(chan error, joiners)
	for range joiners {
		wg.Go(func() { // one subscriber; owner: this test
			s := h.Subscribe(ticks + 1)
			defer h.Unsubscribe(s)
			mu.Lock()
			h.Reserve(s, "t")
			at := seq
			mu.Unlock()
			h.Fill(s, "t", []byte("snap "+strconv.Itoa(at)))

			var kind string
			var n int
			if _, err := fmt.Sscanf(string(<-s.C()), "%s %d", &kind, &n); err != nil || kind != "snap" || n != at {
				errs <- fmt.Errorf("first message is not the snapshot at %d: %s %d %v", at, kind, n, err)
				return
			}
			for want := at + 1; want <= ticks; want++ {
				m := string(<-s.C())
				if m != "tick "+strconv.Itoa(want) {
					errs <- fmt.Errorf("after snapshot %d: got %q, want tick %d", at, m, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	h.Close()
}

// TestTotalBudget: readers that do not read cannot hold more than the
// hub's total budget between them; dropping one frees its share.
func TestTotalBudget(t *testing.T) {
	h := New(nil)
	h.SetTotalBudget(1000)
	a, b := h.SubscribeBounded(100, 10_000), h.SubscribeBounded(100, 10_000)
	var first *Sub
	for _, s := range []*Sub{a, b} {
		h.Join(s, "t")
	}
	msg := make([]byte, 400)
	h.Publish("t", msg) // 800 in all
	h.Publish("t", msg) // the first to pass 1000 is dropped, freeing its 400
	switch {
	case isDone(a) && !isDone(b):
		first = b
	case isDone(b) && !isDone(a):
		first = a
	default:
		t.Fatalf("a dropped %v, b dropped %v: want exactly one", isDone(a), isDone(b))
	}
	if h.Queued() != 800 || first.Queued() != 800 {
		t.Fatalf("hub queues %d, the survivor %d: want 800 and 800", h.Queued(), first.Queued())
	}
	first.Took([]byte(recv(t, first)))
	if h.Queued() != 400 {
		t.Fatalf("hub queues %d after Took, want 400", h.Queued())
	}
	// An unbounded subscriber (tests, internal use) is never counted.
	u := h.Subscribe(100)
	h.Join(u, "t")
	h.Publish("t", msg)
	if isDone(u) || h.Queued() != 800 {
		t.Fatalf("unbounded subscriber dropped %v, hub queues %d", isDone(u), h.Queued())
	}
	h.Close()
	if h.Queued() != 0 {
		t.Fatalf("hub queues %d after Close, want 0", h.Queued())
	}
}

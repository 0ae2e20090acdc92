package tap

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestServedCountsNeverGoNegative: the live reuse figure (requests served
// on an already-used connection) is read while the server serves first
// requests on new connections. It must never read below zero nor go back:
// the progress panel and Compare show it as it comes. (Computed as the
// difference of two counters bumped one after the other, it read -1 and
// less whenever a first request was between its two bumps.)
func TestServedCountsNeverGoNegative(t *testing.T) {
	tr := NewTracker(time.Now(), 10)
	const writers, perWriter = 2, 200000
	var wg sync.WaitGroup
	var stop atomic.Bool
	for range writers {
		wg.Go(func() {
			for i := range perWriter {
				c := &Conn{rec: &conn{}, tr: tr}
				c.Served(int64(i + 1)) // a first request: carried
				if i%64 == 0 {
					c.Served(int64(i + 2)) // a second: reused
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { // stopped by stop, waited for by done
		defer close(done)
		prevReused, prevServed := 0, 0
		for !stop.Load() {
			c := tr.Connections()
			served := c.Carried + c.ReusedRequests
			if c.ReusedRequests < 0 || c.ReusedRequests < prevReused || served < prevServed {
				t.Errorf("read carried %d, reused %d after reused %d of %d served", c.Carried, c.ReusedRequests, prevReused, prevServed)
				return
			}
			prevReused, prevServed = c.ReusedRequests, served
		}
	}()
	wg.Wait()
	stop.Store(true)
	<-done
	c := tr.Connections()
	if c.Carried != writers*perWriter || c.ReusedRequests != writers*perWriter/64 {
		t.Fatalf("carried %d, reused %d; want %d, %d", c.Carried, c.ReusedRequests, writers*perWriter, writers*perWriter/64)
	}
}

// Package hub fans already-encoded messages out to subscribers by topic. Each
// subscriber has a bounded queue; Publish never blocks, and a subscriber whose
// queue is full is dropped (removed from every topic, its Done channel closed)
// so it never slows the others. The hub knows nothing about websockets: a
// subscriber is a queue that some writer (the server's write pump) drains.
//
// Shape. The model is gorilla/websocket's examples/chat hub, where one
// goroutine owns the subscriber set and register/broadcast travel over
// channels. Here the set is guarded by a mutex and every send is a
// synchronous, non-blocking channel send made while holding it. The reason is
// ordering: the monitor encodes a snapshot and then, under its own publish
// lock, calls Join followed by Sub.Send(snapshot); ticks are published under
// the same lock. With synchronous calls the subscriber's queue receives the
// snapshot strictly before any later tick and no tick published before the
// Join reaches it, which a channel-based hub cannot promise without a
// round-trip per Join. Because no send ever blocks, holding the mutex costs
// only the loop over a topic's subscribers. There is no goroutine, hence no
// Run(ctx): Close drops every subscriber at shutdown.
package hub

import (
	"log/slog"
	"sync"
)

// Reasons a subscriber was dropped, as Sub.Reason reports them.
const (
	ReasonSlow         = "subscriber too slow: queue full"
	ReasonUnsubscribed = "unsubscribed"
	ReasonClosed       = "server shutting down"
)

// minQueue is the smallest queue Subscribe grants: a snapshot and a tick.
const minQueue = 2

// Hub is a set of subscribers, each joined to zero or more topics. All
// methods are safe for concurrent use.
type Hub struct {
	log *slog.Logger

	mu     sync.Mutex
	topics map[string]map[*Sub]struct{}
	subs   map[*Sub]struct{}
	nextID uint64
	closed bool
}

// New returns an empty hub.
func New(log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		log:    log,
		topics: make(map[string]map[*Sub]struct{}),
		subs:   make(map[*Sub]struct{}),
	}
}

// Sub is one subscriber: a bounded queue of messages and a Done channel that
// is closed when the subscriber is dropped.
type Sub struct {
	h    *Hub
	id   uint64
	c    chan []byte
	done chan struct{}

	// Guarded by h.mu.
	topics map[string]struct{}
	reason string // non-empty once dropped
}

// Subscribe adds a subscriber with room for queue messages (at least 2). It
// is joined to no topic yet. After Close it returns a subscriber that is
// already dropped.
func (h *Hub) Subscribe(queue int) *Sub {
	s := &Sub{
		h:      h,
		c:      make(chan []byte, max(queue, minQueue)),
		done:   make(chan struct{}),
		topics: make(map[string]struct{}),
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextID++
	s.id = h.nextID
	if h.closed {
		s.reason = ReasonClosed
		close(s.done)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

// Join adds s to topic: every later Publish on topic is queued for s. Joining
// twice is a no-op, and so is joining a dropped subscriber.
func (h *Hub) Join(s *Sub, topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.reason != "" {
		return
	}
	m := h.topics[topic]
	if m == nil {
		m = make(map[*Sub]struct{})
		h.topics[topic] = m
	}
	m[s] = struct{}{}
	s.topics[topic] = struct{}{}
}

// Leave removes s from topic. Messages already queued stay queued.
func (h *Hub) Leave(s *Sub, topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leave(s, topic)
}

// Unsubscribe drops s (Reason is ReasonUnsubscribed); its Done channel is
// closed. It is idempotent.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(s, ReasonUnsubscribed)
}

// Publish queues msg for every subscriber of topic, without blocking. A
// subscriber whose queue is full is dropped (ReasonSlow). msg is shared by
// every subscriber: nobody may modify it after Publish.
func (h *Hub) Publish(topic string, msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.topics[topic] {
		h.send(s, msg)
	}
}

// Close drops every subscriber (ReasonClosed); later subscribers are born
// dropped. It is idempotent.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.drop(s, ReasonClosed)
	}
}

// Len is the number of live subscribers.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Subscribers is the number of live subscribers joined to topic.
func (h *Hub) Subscribers(topic string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topics[topic])
}

// C is the subscriber's queue. It is never closed: select on Done as well.
func (s *Sub) C() <-chan []byte { return s.c }

// Done is closed when the subscriber is dropped; Reason then says why.
func (s *Sub) Done() <-chan struct{} { return s.done }

// ID numbers subscribers in the order they subscribed, for logs.
func (s *Sub) ID() uint64 { return s.id }

// Reason is why the subscriber was dropped (one of the Reason constants), or
// "" while it is live.
func (s *Sub) Reason() string {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	return s.reason
}

// Send queues msg for this subscriber alone, without blocking, ordered with
// every Publish to its topics. It reports whether msg was queued; when the
// queue is full the subscriber is dropped (ReasonSlow) and Send returns false.
func (s *Sub) Send(msg []byte) bool {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	return s.h.send(s, msg)
}

// send queues msg for s or drops s. h.mu must be held.
func (h *Hub) send(s *Sub, msg []byte) bool {
	if s.reason != "" {
		return false
	}
	select {
	case s.c <- msg:
		return true
	default:
		h.log.Warn("hub: dropping slow subscriber", "sub", s.id, "queue", cap(s.c))
		h.drop(s, ReasonSlow)
		return false
	}
}

// drop removes s from every topic and closes its Done channel, once.
// h.mu must be held.
func (h *Hub) drop(s *Sub, reason string) {
	if s.reason != "" {
		return
	}
	s.reason = reason
	for topic := range s.topics {
		h.leave(s, topic)
	}
	delete(h.subs, s)
	close(s.done)
}

// leave removes s from topic, forgetting topics nobody is joined to.
// h.mu must be held.
func (h *Hub) leave(s *Sub, topic string) {
	delete(s.topics, topic)
	m := h.topics[topic]
	delete(m, s)
	if len(m) == 0 {
		delete(h.topics, topic)
	}
}

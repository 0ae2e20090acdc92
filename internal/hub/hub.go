// Package hub fans already-encoded messages out to subscribers by topic. Each
// subscriber has a queue bounded by messages and, optionally, by bytes;
// Publish never blocks, and a subscriber over either bound is dropped
// (removed from every topic, its Done channel closed) so it never slows the
// others nor holds memory without bound. The hub knows nothing about
// websockets: a subscriber is a queue that some writer (the server's write
// pump) drains, calling Took for every message so the byte count falls.
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
//
// Reserve and Fill let a caller join under its publish lock but encode the
// first message (a large snapshot) after releasing it: between the two, the
// topic's messages for that subscriber are held back, and Fill queues the
// first message and then the held ones, in order.
package hub

import (
	"log/slog"
	"sync"
)

// Reasons a subscriber was dropped, as Sub.Reason reports them.
const (
	ReasonSlow         = "subscriber too slow: queue full"
	ReasonOverBudget   = "subscriber too slow: too many bytes queued"
	ReasonUnsubscribed = "unsubscribed"
	ReasonClosed       = "server shutting down"
)

// minQueue is the smallest queue Subscribe grants: a snapshot and a tick.
const minQueue = 2

// Hub is a set of subscribers, each joined to zero or more topics. All
// methods are safe for concurrent use.
type Hub struct {
	log *slog.Logger
	// maxTotal bounds the bytes queued for all subscribers together (0: no
	// bound); total counts them.
	maxTotal int64
	total    int64 // guarded by mu

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

// SetTotalBudget bounds the bytes queued for all bounded subscribers
// together: past it, a subscriber that already has something queued is
// dropped (ReasonOverBudget) rather than queue more, so a handful of
// readers that do not read cannot hold more than max between them. 0 means
// no bound. Call it before subscribers join.
func (h *Hub) SetTotalBudget(max int64) { h.maxTotal = max }

// Queued is the number of bytes queued for all bounded subscribers (see
// SubscribeBounded), not yet Took.
func (h *Hub) Queued() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// Sub is one subscriber: a bounded queue of messages and a Done channel that
// is closed when the subscriber is dropped.
type Sub struct {
	h        *Hub
	id       uint64
	c        chan []byte
	done     chan struct{}
	maxBytes int64 // 0: no byte bound

	// Guarded by h.mu.
	queued int64 // bytes sent and not yet Took, plus held bytes (0 once dropped)
	topics map[string]struct{}
	held   map[string][][]byte // topics reserved and not yet filled: their messages so far
	reason string              // non-empty once dropped
}

// Subscribe adds a subscriber with room for queue messages (at least 2) and
// no bound on their bytes. It is joined to no topic yet. After Close it
// returns a subscriber that is already dropped.
func (h *Hub) Subscribe(queue int) *Sub { return h.SubscribeBounded(queue, 0) }

// SubscribeBounded is Subscribe with a byte budget too: once the messages
// queued and not yet Took (see Sub.Took), plus those held for a Reserve,
// would exceed maxBytes, the subscriber is dropped (ReasonOverBudget).
// maxBytes 0 means no byte bound. A single message larger than the whole
// budget is still queued when nothing else is.
func (h *Hub) SubscribeBounded(queue int, maxBytes int64) *Sub {
	s := &Sub{
		h:        h,
		c:        make(chan []byte, max(queue, minQueue)),
		done:     make(chan struct{}),
		maxBytes: max(maxBytes, 0),
		topics:   make(map[string]struct{}),
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
	h.join(s, topic)
}

// join adds s to topic; h.mu must be held.
func (h *Hub) join(s *Sub, topic string) {
	m := h.topics[topic]
	if m == nil {
		m = make(map[*Sub]struct{})
		h.topics[topic] = m
	}
	m[s] = struct{}{}
	s.topics[topic] = struct{}{}
}

// Reserve joins s to topic but holds back the topic's messages for s until
// Fill supplies the message that must come first (or Leave cancels). It
// lets a caller join under its publish lock and encode a large first
// message after releasing it. Reserving a topic s is already joined to, or
// a dropped subscriber, does nothing and reports false.
func (h *Hub) Reserve(s *Sub, topic string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.reason != "" {
		return false
	}
	if _, joined := s.topics[topic]; joined {
		return false
	}
	h.join(s, topic)
	if s.held == nil {
		s.held = make(map[string][][]byte)
	}
	s.held[topic] = nil
	return true
}

// Fill ends a Reserve: it queues first, then the messages of topic held
// since, in order. It reports whether first was queued (false when s was
// dropped or the topic is not reserved).
func (h *Hub) Fill(s *Sub, topic string, first []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	held, ok := s.held[topic]
	if !ok || s.reason != "" {
		return false
	}
	delete(s.held, topic)
	for _, m := range held {
		h.unqueue(s, len(m)) // counted again by send
	}
	if !h.send(s, first) {
		return false
	}
	for _, m := range held {
		if !h.send(s, m) {
			return false
		}
	}
	return true
}

// Leave removes s from topic. Messages already queued stay queued; messages
// held for a Reserve of topic are discarded.
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
		if held, ok := s.held[topic]; ok {
			if h.account(s, len(msg)) {
				s.held[topic] = append(held, msg)
			}
			continue
		}
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
// A consumer of a SubscribeBounded subscriber calls Took for every message
// it receives.
func (s *Sub) C() <-chan []byte { return s.c }

// Took tells the hub that msg, received from C, left the queue: its bytes no
// longer count against the budget.
func (s *Sub) Took(msg []byte) {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.unqueue(s, len(msg))
}

// Queued is the number of bytes queued (or held) and not yet Took.
func (s *Sub) Queued() int64 {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	return s.queued
}

// unqueue takes n bytes off s's count and the hub's; h.mu must be held. A
// dropped subscriber's bytes were taken off when it was dropped.
func (h *Hub) unqueue(s *Sub, n int) {
	if s.reason != "" {
		return
	}
	s.queued -= int64(n)
	if s.maxBytes > 0 {
		h.total -= int64(n)
	}
}

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
	if s.reason != "" || !h.account(s, len(msg)) {
		return false
	}
	select {
	case s.c <- msg:
		return true
	default:
		h.unqueue(s, len(msg))
		h.log.Warn("hub: dropping slow subscriber", "sub", s.id, "queue", cap(s.c))
		h.drop(s, ReasonSlow)
		return false
	}
}

// account adds n bytes to s's queued count, or drops s when that would
// exceed its budget (unless nothing is queued: one oversized message may
// pass alone). h.mu must be held.
func (h *Hub) account(s *Sub, n int) bool {
	if s.reason != "" {
		return false
	}
	q := s.queued
	if s.maxBytes > 0 && q > 0 && q+int64(n) > s.maxBytes {
		h.log.Warn("hub: dropping subscriber over its byte budget", "sub", s.id, "queued_bytes", q, "message_bytes", n, "budget", s.maxBytes)
		h.drop(s, ReasonOverBudget)
		return false
	}
	if h.maxTotal > 0 && s.maxBytes > 0 && q > 0 && h.total+int64(n) > h.maxTotal {
		h.log.Warn("hub: dropping subscriber: all subscribers' queues are over their shared budget", "sub", s.id, "queued_bytes", q, "all_queued_bytes", h.total, "budget", h.maxTotal)
		h.drop(s, ReasonOverBudget)
		return false
	}
	s.queued += int64(n)
	if s.maxBytes > 0 { // only bounded subscribers share the hub's budget
		h.total += int64(n)
	}
	return true
}

// drop removes s from every topic and closes its Done channel, once.
// h.mu must be held.
func (h *Hub) drop(s *Sub, reason string) {
	if s.reason != "" {
		return
	}
	for topic := range s.topics {
		h.leave(s, topic)
	}
	// What is still queued is no longer anyone's to send: it stops
	// counting against the hub's budget (the writer stops taking).
	if s.maxBytes > 0 {
		h.total -= s.queued
	}
	s.queued = 0
	s.reason = reason
	delete(h.subs, s)
	close(s.done)
}

// leave removes s from topic, forgetting topics nobody is joined to.
// h.mu must be held.
func (h *Hub) leave(s *Sub, topic string) {
	if held, ok := s.held[topic]; ok {
		for _, m := range held {
			h.unqueue(s, len(m))
		}
		delete(s.held, topic)
	}
	delete(s.topics, topic)
	m := h.topics[topic]
	delete(m, s)
	if len(m) == 0 {
		delete(h.topics, topic)
	}
}

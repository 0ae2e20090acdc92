package lab

import (
	"context"
	"net/netip"
)

// WithListening returns ctx for Start that makes it call hook with the
// experiment server's address once it listens, before any connection.
func WithListening(ctx context.Context, hook func(netip.AddrPort)) context.Context {
	return context.WithValue(ctx, listeningKey{}, hook)
}

// Internals the external tests (package lab_test) check.
const (
	LogDetail  = logDetail
	LaneDetail = laneDetail
)

// SizeOf is the bytes an ended run keeps (0 for an unknown id).
func (m *Manager) SizeOf(id string) int {
	r, ok := m.get(id)
	if !ok {
		return 0
	}
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	return r.size
}

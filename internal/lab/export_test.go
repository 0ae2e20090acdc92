package lab

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

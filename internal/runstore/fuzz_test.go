package runstore

import (
	"bytes"
	"testing"
)

// FuzzDecode: whatever the bytes, Decode does not panic, and what it
// accepts encodes to a file that decodes and encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	good, err := Marshal(sample("ab", 1e12, 3))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"format":"connlab-run","version":2}`))
	f.Add([]byte(`{"format":"connlab-run","version":1,"savedAt":"2026-01-01T00:00:00Z","result":{"id":"a","status":"stopped","startedAt":"2026-01-01T00:00:00Z","startedAtMs":1,"spec":{},"timeline":{"t":[1],"server":{"LISTEN":[1]}}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rf, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Marshal(rf)
		if err != nil {
			t.Fatalf("Marshal of a decoded file: %v", err)
		}
		rf2, err := Decode(again)
		if err != nil {
			t.Fatalf("a decoded file re-encoded does not decode: %v\n%s", err, again)
		}
		third, err := Marshal(rf2)
		if err != nil || !bytes.Equal(again, third) {
			t.Fatalf("round trip changed the file (%v):\n%s\n%s", err, again, third)
		}
	})
}

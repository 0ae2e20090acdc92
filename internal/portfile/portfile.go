// Package portfile reads and writes the watched ports kept in the state
// directory (ports.json), so that ports added in the page or through the
// API are watched again after a restart:
//
//	{"format":"connlab-ports","version":1,"ports":[5432,8081]}
//
// Writes are atomic (package atomicfile); a file that cannot be used is
// refused with a reason and never stops connlab.
package portfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/connlab/connlab/internal/atomicfile"
)

// The document's name and version (bumped when an older reader would
// misread a newer file), and its limits.
const (
	Format   = "connlab-ports"
	Version  = 1
	MaxPorts = 64      // as many as the monitor lets a user watch
	maxBytes = 8 << 10 // 64 ports take about 400 bytes
	filePerm = 0o600
)

type document struct {
	Format  string   `json:"format"`
	Version int      `json:"version"`
	Ports   []uint16 `json:"ports"`
}

// Load reads the ports of path, sorted and without duplicates; none (and
// no error) when the file does not exist.
func Load(path string) ([]uint16, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read watched ports: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read watched ports: %w", err)
	}
	return Decode(b)
}

// Decode parses a ports document.
func Decode(b []byte) ([]uint16, error) {
	if len(b) > maxBytes {
		return nil, fmt.Errorf("watched ports: larger than %d bytes", maxBytes)
	}
	var d document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("watched ports: not a JSON document of ports 1-65535: %w", err)
	}
	switch {
	case d.Format != Format:
		return nil, fmt.Errorf("watched ports: format %.40q, want %q", d.Format, Format)
	case d.Version < 1:
		return nil, errors.New("watched ports: no version")
	case d.Version > Version:
		return nil, fmt.Errorf("watched ports: version %d, written by a newer connlab (this one reads up to %d)", d.Version, Version)
	case len(d.Ports) > MaxPorts:
		return nil, fmt.Errorf("watched ports: %d ports, at most %d", len(d.Ports), MaxPorts)
	case slices.Contains(d.Ports, 0):
		return nil, errors.New("watched ports: port 0")
	}
	slices.Sort(d.Ports)
	return slices.Compact(d.Ports), nil
}

// Save writes ports to path, atomically.
func Save(path string, ports []uint16) error {
	ports = slices.Compact(slices.Sorted(slices.Values(ports)))
	if ports == nil {
		ports = []uint16{}
	}
	b, err := json.Marshal(document{Format: Format, Version: Version, Ports: ports})
	if err != nil {
		return fmt.Errorf("encode watched ports: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n'), filePerm); err != nil {
		return fmt.Errorf("save watched ports: %w", err)
	}
	return nil
}

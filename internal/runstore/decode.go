package runstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// Reasons Decode refuses a file; test with errors.Is.
var (
	ErrTooLarge = fmt.Errorf("larger than %d bytes", MaxFileBytes)
	ErrFormat   = errors.New("not a connlab run file")
	ErrVersion  = errors.New("unsupported run file version")
	ErrShape    = errors.New("malformed run file")
)

// Decode reads one run file: at most MaxFileBytes of JSON whose format is
// wire.RunFileFormat, whose version this connlab reads, and whose result
// is a finished run with a well-formed id, times and timeline. It never
// panics, whatever b holds.
func Decode(b []byte) (*wire.RunFile, error) {
	if len(b) > MaxFileBytes {
		return nil, ErrTooLarge
	}
	var head struct {
		Format  *string          `json:"format"`
		Version *json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrFormat, jsonProblem(err))
	}
	if head.Format == nil || *head.Format != wire.RunFileFormat {
		got := "none"
		if head.Format != nil {
			got = fmt.Sprintf("%.40q", *head.Format)
		}
		return nil, fmt.Errorf("%w (format %s, want %q)", ErrFormat, got, wire.RunFileFormat)
	}
	var version int
	if head.Version == nil || json.Unmarshal(*head.Version, &version) != nil || version < 1 {
		return nil, fmt.Errorf("%w: the version must be a whole number from 1", ErrVersion)
	}
	if version > wire.RunFileVersion {
		return nil, fmt.Errorf("%w %d: written by a newer connlab (this one reads up to version %d)", ErrVersion, version, wire.RunFileVersion)
	}
	var f wire.RunFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrShape, jsonProblem(err))
	}
	if err := check(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShape, err)
	}
	return &f, nil
}

// check validates what a reader relies on beyond the JSON types.
func check(f *wire.RunFile) error {
	if _, err := time.Parse(time.RFC3339, f.SavedAt); err != nil {
		return fmt.Errorf("savedAt %.40q is not an RFC 3339 time", f.SavedAt)
	}
	r := &f.Result
	if !validID(r.ID) {
		return fmt.Errorf("result.id %.80q: want 1 to %d letters, digits, - or _", r.ID, maxIDLen)
	}
	switch r.Status {
	case wire.ExpCompleted, wire.ExpStopped, wire.ExpFailed:
	default:
		return fmt.Errorf("result.status %.40q: want completed, stopped or failed (a file holds a finished run)", r.Status)
	}
	if r.StartedAtMs <= 0 {
		return errors.New("result.startedAtMs must be a positive Unix time in milliseconds")
	}
	if _, err := time.Parse(time.RFC3339Nano, r.StartedAt); err != nil {
		return fmt.Errorf("result.startedAt %.40q is not an RFC 3339 time", r.StartedAt)
	}
	if s := bytes.TrimSpace(r.Spec); len(s) == 0 || s[0] != '{' {
		return errors.New("result.spec must be a JSON object")
	}
	if r.LanesTotal < len(r.Lanes) || r.LogTotal < len(r.Log) {
		return errors.New("result.lanesTotal and logTotal must count at least the lanes and log lines the file holds")
	}
	tl := &r.Timeline
	for side, cols := range map[string]map[string][]int32{"server": tl.Server, "client": tl.Client} {
		for state, col := range cols {
			if len(col) != len(tl.T) {
				return fmt.Errorf("result.timeline.%s.%.40s has %d values for %d times", side, state, len(col), len(tl.T))
			}
		}
	}
	return nil
}

// validID: ids name files, so they hold no separator, dot or space.
func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// jsonProblem says what is wrong with a document, without repeating it.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed or truncated JSON at byte %d", se.Offset)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Sprintf("the document must be a JSON object, not a JSON %s", te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("%.80s must be a %s, not a JSON %s", te.Field, te.Type, te.Value)
	case err.Error() == "unexpected end of JSON input":
		return "truncated JSON"
	}
	return "invalid JSON"
}

// Marshal encodes a run file as written to disk and downloaded.
func Marshal(f *wire.RunFile) ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode run file: %w", err)
	}
	if len(b)+1 > MaxFileBytes {
		return nil, fmt.Errorf("encode run file: %d bytes: %w", len(b), ErrTooLarge)
	}
	return append(b, '\n'), nil
}

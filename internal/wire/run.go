package wire

import "time"

// Saved and exported runs. One finished Lab run is one JSON file: the state
// directory keeps the recent ones, the page downloads and replays them, and
// `connlab run -o FILE` / `connlab show FILE` write and read the same shape.

// RunFileFormat names the document; RunFileVersion is bumped whenever a
// change would make an older reader misread a newer file. Readers refuse a
// file whose format differs or whose version is newer than theirs.
const (
	RunFileFormat  = "connlab-run"
	RunFileVersion = 1
)

// RunFile is a finished run as saved or exported: the result as `connlab run
// -json` prints it (measures, findings, lanes, request log, kernel
// timeline), with the format, its version, and when and by which connlab it
// was written.
type RunFile struct {
	Format  string `json:"format"`  // RunFileFormat
	Version int    `json:"version"` // RunFileVersion
	// SavedAt is RFC3339 (UTC); Connlab the version that wrote it.
	SavedAt string           `json:"savedAt"`
	Connlab string           `json:"connlab"`
	Result  ExperimentResult `json:"result"`
}

// NewRunFile wraps a finished run's result as a RunFile written at at by
// connlab version connlab.
func NewRunFile(res ExperimentResult, connlab string, at time.Time) RunFile {
	return RunFile{Format: RunFileFormat, Version: RunFileVersion, SavedAt: at.UTC().Format(time.RFC3339), Connlab: connlab, Result: res}
}

// Summary is the run's element of GET /api/experiments.
func (r *ExperimentResult) Summary() ExpSummary {
	return ExpSummary{
		ID: r.ID, Preset: r.Preset, Port: r.Port, Status: r.Status, Error: r.Error,
		StartedAt: r.StartedAt, StartedAtMs: r.StartedAtMs, Progress: r.Progress,
		Requests: r.Requests.Total, Errors: r.Requests.Errors, Connections: r.Connections.Opened, Answer: r.Answer,
	}
}

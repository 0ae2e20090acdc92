package wire

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

package runstore

// Limits of the store and of one run file.
const (
	// MaxFileBytes bounds one run file. A finished run keeps at most 500
	// lanes and 1,000 log lines (package lab) plus its kernel timeline: a
	// 10-minute run polled every 100 ms is well under 8 MB.
	MaxFileBytes = 32 << 20
	// DefaultMaxRuns is how many runs the store keeps when Options.MaxRuns
	// is zero.
	DefaultMaxRuns = 100
	// DefaultMaxBytes bounds the run files all together when
	// Options.MaxBytes is zero.
	DefaultMaxBytes = 256 << 20
	// maxIDLen bounds a run id (the Lab's are 10 hex digits).
	maxIDLen = 64
	// filePerm and dirPerm: runs can name local ports and hosts' timings;
	// they are the user's alone.
	filePerm = 0o600
	dirPerm  = 0o700
)

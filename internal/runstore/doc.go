// Package runstore keeps finished Lab runs on disk, one run file
// (wire.RunFile) per run in one directory (the state directory's runs/),
// so that a restart lists them and serves their results.
//
// Files are written atomically (package atomicfile) and named <id>.json.
// The store is bounded by count and by bytes: past either bound the runs
// saved longest ago are removed. It keeps only a summary of each run in
// memory (wire.ExpSummary), reading a whole file again when asked for it.
//
// Decode is the one reader of a run file: the store, `connlab show` and a
// fuzz target use it. A file that is corrupt, truncated, of another format
// or written by a newer connlab is skipped with a logged reason and left
// where it is; it never stops the store from opening.
//
// Files: decode.go (Decode, Marshal), store.go (Store), limits.go.
package runstore

// Package experiment says what a Lab experiment is, and nothing else: the
// Spec (workload, server side, client side), its fields with their limits
// and enumerations (the one source of truth: Schema serves them to the UI),
// parsing from JSON and from `-set key=value`, and the named presets. It
// is pure: no I/O, no goroutines. The server and the CLI need only this
// package to accept a spec; running one is package lab's job.
//
// Files: spec.go (the Spec, Default, Validate), fields.go (every settable
// leaf: key, limits, parsing), schema.go (the fields as the UI reads them),
// presets.go, limits.go.
package experiment

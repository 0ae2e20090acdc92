//go:build !linux

package sysinfo

import "os"

// ownersNote: off Linux only the effective uid is known (-1 on Windows,
// where no note is given).
func ownersNote() string { return ownersNoteFor(os.Geteuid(), 0, "") }

//go:build !linux

package sysinfo

import "io/fs"

// procSys is nil: only Linux has /proc/sys.
func procSys() fs.FS { return nil }

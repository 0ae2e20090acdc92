package sysinfo

import (
	"io/fs"
	"os"
)

func procSys() fs.FS { return os.DirFS("/proc/sys") }

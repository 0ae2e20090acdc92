package sysinfo

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// kernelRelease is the Windows version, major.minor.build.
func kernelRelease() string {
	v := windows.RtlGetVersion()
	return fmt.Sprintf("%d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber)
}

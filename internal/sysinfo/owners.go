package sysinfo

import "fmt"

// ownersNoteFor says why some sockets' owning process cannot be named:
// euid is the effective uid (-1: none, Windows), unreadable how many other
// processes' open files could not be read, example one of them.
func ownersNoteFor(euid, unreadable int, example string) string {
	switch {
	case euid > 0:
		return fmt.Sprintf("connlab is not root (uid %d): the process holding another user's socket cannot be named "+
			"(other users' /proc/<pid>/fd is unreadable). Run connlab as root to name every owner.", euid)
	case euid == 0 && unreadable > 0:
		return fmt.Sprintf("connlab runs as root, yet the open files of %d process(es) cannot be read (%s; no ptrace "+
			"access, e.g. another user namespace): their sockets show no process.", unreadable, example)
	}
	return ""
}

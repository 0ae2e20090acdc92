package sysinfo

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ownersNote checks whether this process can read the fd links of the
// others, as the owners pass (internal/sockstat) must to name a socket's
// process. Not root: it cannot for other users' processes. Root: it can,
// unless ptrace access is denied (another user namespace, a
// non-dumpable process without CAP_SYS_PTRACE); those are counted.
func ownersNote() string {
	euid := os.Geteuid()
	if euid != 0 {
		return ownersNoteFor(euid, 0, "")
	}
	n, example := unreadableProcs("/proc", os.Getpid())
	return ownersNoteFor(euid, n, example)
}

// unreadableProcs counts the processes under proc (but self) whose first fd
// link cannot be read for lack of permission, and names the first.
func unreadableProcs(proc string, self int) (int, string) {
	ents, err := os.ReadDir(proc)
	if err != nil {
		return 0, ""
	}
	n, example := 0, ""
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		dir := proc + "/" + e.Name() + "/fd"
		f, err := os.Open(dir)
		var names []string
		if err == nil {
			names, _ = f.Readdirnames(1)
			_ = f.Close()
		}
		if err == nil && len(names) == 0 {
			continue // no open files, or gone
		}
		if err == nil {
			_, err = os.Readlink(dir + "/" + names[0])
		}
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			if n == 0 {
				comm, _ := os.ReadFile(proc + "/" + e.Name() + "/comm")
				example = "pid " + e.Name() + " " + strings.TrimSpace(string(comm))
			}
			n++
		}
	}
	return n, example
}

package sockstat

import (
	"bytes"
	"context"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pidsByInode finds which process holds each wanted socket inode by reading
// the fd links of /proc/<pid>/fd, hinted pids first, and stops as soon as
// every inode is found. Processes we may not read are skipped.
func pidsByInode(ctx context.Context, want map[uint32]struct{}, hints []int32) (map[uint32]int32, error) {
	found := make(map[uint32]int32, len(want))
	pids, err := listPids()
	if err != nil {
		return found, err
	}
	order := make([]int32, 0, len(hints)+len(pids))
	order = append(order, hints...)
	hinted := make(map[int32]bool, len(hints))
	for _, pid := range hints {
		hinted[pid] = true
	}
	for _, pid := range pids {
		if !hinted[pid] {
			order = append(order, pid)
		}
	}
	link := make([]byte, 64)
	for _, pid := range order {
		if err := ctx.Err(); err != nil {
			return found, err
		}
		scanFDs(pid, want, found, link)
		if len(found) == len(want) {
			break
		}
	}
	return found, nil
}

// listPids lists the numeric entries of /proc.
func listPids() ([]int32, error) {
	f, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int32, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.ParseInt(n, 10, 32); err == nil {
			pids = append(pids, int32(pid))
		}
	}
	return pids, nil
}

// scanFDs records in found the wanted socket inodes pid holds.
func scanFDs(pid int32, want map[uint32]struct{}, found map[uint32]int32, link []byte) {
	f, err := os.Open("/proc/" + strconv.Itoa(int(pid)) + "/fd")
	if err != nil {
		return // gone, or not ours to read
	}
	defer f.Close()
	dirfd := int(f.Fd())
	for {
		names, err := f.Readdirnames(procFDBatch)
		for _, name := range names {
			n, lerr := unix.Readlinkat(dirfd, name, link)
			if lerr != nil {
				continue
			}
			ino, ok := socketInode(link[:n])
			if !ok {
				continue
			}
			if _, wanted := want[ino]; wanted {
				if _, dup := found[ino]; !dup {
					found[ino] = pid
				}
			}
		}
		if err != nil || len(names) == 0 {
			return
		}
	}
}

// socketInode reads the inode of an fd link "socket:[12345]".
func socketInode(link []byte) (uint32, bool) {
	rest, ok := bytes.CutPrefix(link, []byte("socket:["))
	if !ok || len(rest) < 2 || rest[len(rest)-1] != ']' {
		return 0, false
	}
	var ino uint64
	for _, c := range rest[:len(rest)-1] {
		if c < '0' || c > '9' {
			return 0, false
		}
		ino = ino*10 + uint64(c-'0')
		if ino > 1<<32-1 {
			return 0, false
		}
	}
	return uint32(ino), true
}

// processName is the kernel's name of pid (/proc/<pid>/comm), "" if gone.
func processName(_ context.Context, pid int32) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/comm")
	if err != nil {
		return ""
	}
	return string(bytes.TrimRight(b, "\n"))
}

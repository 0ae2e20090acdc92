package sysinfo

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// childEnv makes this test binary print what Read says instead of testing
// (TestOwnersNoteWithoutRoot runs it as another user).
const childEnv = "SYSINFO_TEST_CHILD"

func TestMain(m *testing.M) {
	if pid := os.Getenv(childEnv); pid != "" {
		info := Read()
		_, err := os.Readlink("/proc/" + pid + "/fd/0")
		fmt.Printf("uid=%d\nnote=%s\nreadlink=%v\n", info.UID, info.OwnersNote, errors.Is(err, syscall.EACCES))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestOwnersNoteWithoutRoot runs Read as uid 65534 (nobody): the note must
// say connlab is not root, and it must be true: that process cannot read
// the fd links of this (root) one, as the owners pass would need to.
func TestOwnersNoteWithoutRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a child as another user")
	}
	// The test binary sits in a directory only root may enter: copy it.
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "sysinfo.test")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{childEnv + "=" + strconv.Itoa(os.Getpid())}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as uid 65534: %v\n%s", err, out)
	}
	got := string(out)
	if !strings.Contains(got, "uid=65534\n") || !strings.Contains(got, "note=connlab is not root (uid 65534)") {
		t.Errorf("as uid 65534 Read says:\n%s", got)
	}
	if !strings.Contains(got, "readlink=true") {
		t.Errorf("uid 65534 could read root's fd links, so the note would be false:\n%s", got)
	}
}

// TestOwnersNoteHere: as root the note names unreadable processes or is
// empty; as anyone else it says so.
func TestOwnersNoteHere(t *testing.T) {
	info := Read()
	if info.UID != os.Geteuid() {
		t.Errorf("UID %d, want %d", info.UID, os.Geteuid())
	}
	switch {
	case info.UID != 0 && !strings.Contains(info.OwnersNote, "not root"):
		t.Errorf("uid %d, note %q", info.UID, info.OwnersNote)
	case info.UID == 0 && info.OwnersNote != "" && !strings.Contains(info.OwnersNote, "runs as root, yet"):
		t.Errorf("root, note %q", info.OwnersNote)
	}
	t.Logf("uid %d, note %q", info.UID, info.OwnersNote)
}

package wirecap

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// childEnv marks the copy of this test binary that runs unprivileged.
const childEnv = "WIRECAP_UNPRIVILEGED_CHILD"

// nobody is the uid and gid the child runs as.
const nobody = 65534

// TestNeedRoot: without root (CAP_NET_RAW) Start fails with ErrNeedRoot,
// which tests turn into a skip. As root the test runs itself again as
// nobody to see that path; unprivileged it checks it directly.
func TestNeedRoot(t *testing.T) {
	if os.Getenv(childEnv) != "" || os.Geteuid() != 0 {
		_, err := Start(t.Context(), Options{Ports: []uint16{1}})
		if !errors.Is(err, ErrNeedRoot) {
			t.Fatalf("unprivileged Start: %v, want ErrNeedRoot", err)
		}
		t.Logf("as uid %d: %v", os.Geteuid(), err)
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary sits in a directory only root may enter: copy it
	// where nobody can run it.
	dir, err := os.MkdirTemp("", "wirecap-child")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "wirecap.test")
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "-test.run=^TestNeedRoot$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	t.Logf("child as nobody:\n%s", out)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

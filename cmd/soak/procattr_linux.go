package main

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the kernel kill connlab if soak dies first (^C twice, a
// crash), so no orphan keeps serving.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// sigCont resumes a stopped process.
const sigCont = syscall.SIGCONT

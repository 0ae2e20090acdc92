//go:build !linux

package main

import (
	"os/exec"
	"syscall"
)

func setProcAttr(*exec.Cmd) {}

// sigCont: only Linux runs soak (it reads /proc); SIGQUIT stands in.
const sigCont = syscall.SIGQUIT

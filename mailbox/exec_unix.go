//go:build unix

package mailbox

import (
	"os/exec"
	"syscall"
)

// killGroup runs cmd in a process group of its own and makes a timeout
// kill the whole group: the shell and whatever it started (postmap,
// doveadm), not the shell alone.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

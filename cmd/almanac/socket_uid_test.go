package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// otherUID is the user the test runs a client as: nobody on Debian.
const otherUID = 65534

// TestSocketRefusesOtherUsers runs a client as another local user
// against a server run by this one (root): the socket's mode makes the
// kernel refuse its connect, and with the mode opened up the server
// refuses it by the uid the kernel reports. Root still gets in. It needs
// root to start a process as another uid; it skips with the reason when
// the machine does not allow that, and fails instead under
// ALMANAC_INTEROP=1.
func TestSocketRefusesOtherUsers(t *testing.T) {
	cannot := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("ALMANAC_INTEROP") == "1" {
			t.Fatal(msg + " (ALMANAC_INTEROP=1 requires this test)")
		}
		t.Skip(msg)
	}
	if os.Getuid() != 0 {
		cannot("running a client as uid %d needs root; this test runs as uid %d", otherUID, os.Getuid())
	}
	// A tree the other user can enter, with a copy of this test binary
	// it can run (the build directory is private).
	base, err := os.MkdirTemp("", "almanac-uid")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "almanac.test")
	if err := copyFile(os.Args[0], bin, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	asOther := func(args ...string) (code int, stderr string, err error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "ALMANAC_TEST_MAIN=1")
		cmd.Dir = base
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: otherUID, Gid: otherUID, Groups: []uint32{}}}
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &errb
		err = cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), errb.String(), nil
		}
		return 0, errb.String(), err
	}
	if code, errs, err := asOther("help"); err != nil || code != 0 {
		cannot("cannot run a process as uid %d here: %v %s", otherUID, err, errs)
	}

	_, log := startServe(t, dir)
	sock := filepath.Join(dir, socketName)

	code, errs, err := asOther("user", "list", "-data", dir)
	if err != nil || code != 1 || !strings.Contains(errs, "reach the running server through "+sock+": connect: permission denied") {
		t.Errorf("socket mode 0600: exit %d %v, stderr %q; want 1 and permission denied", code, err, errs)
	}

	// Past the mode, the peer check.
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	code, errs, err = asOther("user", "list", "-data", dir)
	if err != nil || code != 1 || !strings.Contains(errs, fmt.Sprintf("does not accept uid %d", otherUID)) {
		t.Errorf("socket mode 0666: exit %d %v, stderr %q; want 1 and a refusal by uid", code, err, errs)
	}
	if !strings.Contains(log.String(), fmt.Sprintf(`connection refused" peer="uid %d"`, otherUID)) {
		t.Errorf("the refusal is not in the server's log:\n%s", log)
	}
	if strings.Contains(log.String(), `msg="admin command"`) {
		t.Errorf("a command ran for the other user:\n%s", log)
	}

	if code, out, errs := runCmd(t, "", "user", "list", "-data", dir); code != 0 || !strings.Contains(out, firstLogin) {
		t.Errorf("root: %d %q %q", code, out, errs)
	}
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Package tooltest decides what tests that drive external programs
// (vdirsyncer, python3-caldav, doveadm, postmap) do when a program is
// missing: skip with a message that names the Debian package, or fail
// when ALMANAC_INTEROP=1 (CI, .ci/run) makes them mandatory. It also runs
// such servers for a test (Process) and puts a proxy before them that
// can stall or cut a connection (Proxy).
package tooltest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Required reports whether external tools are mandatory.
func Required() bool { return os.Getenv("ALMANAC_INTEROP") == "1" }

// Require returns the path of the program name, or skips (fails when
// Required) naming pkg, the Debian package that provides it.
func Require(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if pkg == "" {
		pkg = filepath.Base(name)
	}
	Missing(t, filepath.Base(name), pkg)
	return ""
}

// Missing reports a missing tool or library: skip normally, fail when
// Required.
func Missing(t testing.TB, tool, pkg string) {
	t.Helper()
	msg := "interop: " + tool + " not installed; install with apt-get install " + pkg
	if Required() {
		t.Fatal(msg + " (ALMANAC_INTEROP=1 makes this test mandatory)")
	}
	t.Skip(msg)
}

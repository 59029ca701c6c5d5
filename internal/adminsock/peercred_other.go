//go:build !linux

package adminsock

import (
	"errors"
	"net"
)

// maxSocketPath is the smallest sun_path of the BSDs and macOS, less the
// terminating NUL.
const maxSocketPath = 103

// errNoPeerCred: only Linux's SO_PEERCRED is wired up; elsewhere the
// server offers no socket rather than one that cannot tell who calls.
var errNoPeerCred = errors.New("adminsock: peer credentials are not supported on this system; the admin socket is off")

func peerCredSupported() error { return errNoPeerCred }

func peerUID(*net.UnixConn) (uint32, error) { return 0, errNoPeerCred }

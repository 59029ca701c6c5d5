package adminsock

import (
	"fmt"
	"net"
	"syscall"
)

// maxSocketPath is sun_path's size on Linux less the terminating NUL.
const maxSocketPath = 107

func peerCredSupported() error { return nil }

// peerUID is the uid of the process at the other end of c, as the
// kernel recorded it at connect (SO_PEERCRED): not something the client
// says about itself.
func peerUID(c *net.UnixConn) (uint32, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("adminsock: peer credentials: %w", err)
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, fmt.Errorf("adminsock: peer credentials: %w", err)
	}
	if credErr != nil {
		return 0, fmt.Errorf("adminsock: peer credentials: %w", credErr)
	}
	return cred.Uid, nil
}

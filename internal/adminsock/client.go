package adminsock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// ErrNoServer reports that no server listens on the socket: it is
// missing, or left behind by a server that is gone. Nothing was sent,
// so the caller can do the work itself.
var ErrNoServer = errors.New("adminsock: no server on the socket")

// dialTimeout bounds the connect, which a local server's listen queue
// normally completes at once.
const dialTimeout = 5 * time.Second

// Call runs req on the server at path: it sends stdin (nil: none) as
// the command's standard input, copies what the command writes to
// stdout and stderr as it comes, and returns its exit status. Closing
// the connection when ctx ends cancels the command on the server.
func Call(ctx context.Context, path string, req Request, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	req.Version = Version
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return 0, fmt.Errorf("%w %s", ErrNoServer, path)
		}
		return 0, fmt.Errorf("reach the running server through %s: %w", path, unwrapOp(err))
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	p, err := json.Marshal(req)
	if err != nil {
		return 0, fmt.Errorf("adminsock: encode request: %w", err)
	}
	out := &lockedWriter{w: conn}
	// The input goes in the background: a command may answer before it
	// has read all of it, or refuse it unread.
	go func() {
		if err := out.frame(kindRequest, p); err != nil {
			return
		}
		if stdin != nil {
			if _, err := io.Copy(&frameWriter{kind: kindStdin, out: out}, stdin); err != nil {
				return
			}
		}
		out.frame(kindStdinEnd, nil)
	}()

	for {
		kind, p, err := readFrame(conn)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
				return 0, errors.New("the server closed the admin connection without an answer (did it stop?)")
			}
			return 0, fmt.Errorf("read the server's answer: %w", err)
		}
		switch kind {
		case kindStdout:
			if _, err := stdout.Write(p); err != nil {
				return 0, err
			}
		case kindStderr:
			if _, err := stderr.Write(p); err != nil {
				return 0, err
			}
		case kindExit:
			return decodeExit(p)
		default:
			return 0, fmt.Errorf("%w: unexpected frame %q from the server", errProtocol, kind)
		}
	}
}

// unwrapOp drops net.OpError's "dial unix PATH:" prefix, which the
// caller's message names already.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

package adminsock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// Handler runs one command: it reads the client's standard input from
// stdin (which ends where the client's does), writes to stdout and
// stderr, which reach the client's as written, and returns the exit
// status. ctx ends when the client hangs up or the server shuts down.
type Handler func(ctx context.Context, req Request, stdin io.Reader, stdout, stderr io.Writer) (status int)

// Options configures a Server.
type Options struct {
	Logger *slog.Logger
	// MaxConns bounds the commands running at once (default 16); further
	// clients wait to be accepted.
	MaxConns int
	// allowUID decides which peers may connect; nil: the server's own
	// uid and root. Tests replace it.
	allowUID func(uid uint32) bool
}

// requestTimeout bounds how long a client may take to send its request
// once connected.
const requestTimeout = 10 * time.Second

// Server serves a Handler on a unix socket.
type Server struct {
	ln     *net.UnixListener
	path   string
	h      Handler
	log    *slog.Logger
	allow  func(uint32) bool
	slots  chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Listen creates the socket at path, mode 0600, replacing a socket left
// there by a server that did not stop cleanly, and returns the server;
// Serve accepts on it. The socket is bound under a temporary name,
// restricted, then renamed into place, so that it never appears at path
// with looser permissions; the peer check covers the moment before.
func Listen(path string, h Handler, opts Options) (*Server, error) {
	if err := peerCredSupported(); err != nil {
		return nil, err
	}
	tmp := path + ".new"
	if len(tmp) > maxSocketPath {
		return nil, fmt.Errorf("adminsock: socket path %s is longer than the %d bytes a unix socket may have", tmp, maxSocketPath)
	}
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("adminsock: remove %s: %w", tmp, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("adminsock: listen: %w", err)
	}
	// The socket leaves under its final name, which Close removes.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("adminsock: restrict the socket: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("adminsock: put the socket in place: %w", err)
	}
	s := &Server{ln: ln, path: path, h: h, log: opts.Logger, allow: opts.allowUID, conns: map[net.Conn]struct{}{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.allow == nil {
		self := uint32(os.Getuid())
		s.allow = func(uid uint32) bool { return uid == self || uid == 0 }
	}
	n := opts.MaxConns
	if n <= 0 {
		n = 16
	}
	s.slots = make(chan struct{}, n)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Path is where the socket is.
func (s *Server) Path() string { return s.path }

// Serve accepts clients until Shutdown, then returns nil.
func (s *Server) Serve() error {
	for {
		select {
		case s.slots <- struct{}{}:
		case <-s.ctx.Done():
			return nil
		}
		c, err := s.ln.AcceptUnix()
		if err != nil {
			<-s.slots
			if s.isClosed() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("adminsock: accept: %w", err)
		}
		if !s.track(c) {
			c.Close()
			<-s.slots
			return nil
		}
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			defer s.untrack(c)
			s.serveConn(c)
		}()
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	// Under the lock that Shutdown takes before it waits, so that no
	// Add races with the Wait.
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// Shutdown stops accepting, removes the socket and waits for the
// commands in progress until ctx ends; then it cancels them, cuts their
// clients off and waits for them to return.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.ln.Close()
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	s.cancel()
	return err
}

// lockedWriter serialises frames onto the connection.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) frame(kind byte, p []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return writeFrame(l.w, kind, p)
}

func (s *Server) serveConn(c *net.UnixConn) {
	out := &lockedWriter{w: c}
	uid, err := peerUID(c)
	if err != nil || !s.allow(uid) {
		// The socket's mode keeps other users out already; this is the
		// check that does not depend on it.
		who := "an unknown user"
		if err == nil {
			who = fmt.Sprintf("uid %d", uid)
		}
		s.log.Warn("admin socket: connection refused", "peer", who, "err", err)
		fmt.Fprintf(&frameWriter{kind: kindStderr, out: out}, "almanac: the admin socket of this server does not accept %s: run the command as the server's user or root\n", who)
		out.frame(kindExit, exitPayload(1))
		return
	}
	c.SetReadDeadline(time.Now().Add(requestTimeout))
	kind, p, err := readFrame(c)
	if err == nil && kind != kindRequest {
		err = fmt.Errorf("%w: expected a request", errProtocol)
	}
	var req Request
	if err == nil {
		req, err = decodeRequest(p)
	}
	if err != nil {
		s.log.Warn("admin socket: bad request", "uid", uid, "err", err)
		fmt.Fprintf(&frameWriter{kind: kindStderr, out: out}, "almanac: the server cannot read the command: %v\n", err)
		out.frame(kindExit, exitPayload(1))
		return
	}
	c.SetReadDeadline(time.Time{})

	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	stdin, stdinW := io.Pipe()
	var pump sync.WaitGroup
	pump.Go(func() {
		// The client's input, then the connection watched for a hang-up,
		// which cancels the command.
		err := s.readInput(c, stdinW)
		stdinW.CloseWithError(err)
		cancel()
	})

	s.log.Info("admin command", "uid", uid, "command", req.Command)
	start := time.Now()
	status := s.run(ctx, req, stdin, &frameWriter{kind: kindStdout, out: out}, &frameWriter{kind: kindStderr, out: out})
	// Unblock the pump if the command left input unread.
	stdin.Close()
	if err := out.frame(kindExit, exitPayload(status)); err != nil {
		s.log.Info("admin command: client gone before the answer", "command", req.Command, "err", err)
	}
	s.log.Info("admin command done", "uid", uid, "command", req.Command, "status", status, "dur", time.Since(start).Round(time.Millisecond))
	c.Close()
	pump.Wait()
}

// readInput copies stdin frames to w until the stdin-end frame, then
// waits for the client to hang up; it returns why the input ended
// (nil at its proper end).
func (s *Server) readInput(c net.Conn, w *io.PipeWriter) error {
	ended := false
	for {
		kind, p, err := readFrame(c)
		if err != nil {
			if ended {
				return nil
			}
			return fmt.Errorf("adminsock: client input: %w", err)
		}
		switch {
		case kind == kindStdin && !ended:
			// A command that stopped reading closed the pipe: the rest
			// is dropped.
			w.Write(p)
		case kind == kindStdinEnd && !ended:
			ended = true
			w.Close()
		default:
			return fmt.Errorf("%w: unexpected frame %q", errProtocol, kind)
		}
	}
}

// run calls the handler, turning a panic into status 1 with the stack in
// the log.
func (s *Server) run(ctx context.Context, req Request, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("admin command panicked", "command", req.Command, "panic", p, "stack", string(debug.Stack()))
			fmt.Fprintln(stderr, "almanac: internal error (see the server's log)")
			status = 1
		}
	}()
	return s.h(ctx, req, stdin, stdout, stderr)
}

func exitPayload(status int) []byte {
	b, _ := json.Marshal(exitJSON{Status: status})
	return b
}

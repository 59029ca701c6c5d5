package adminsock

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

func frame(kind byte, payload string) string {
	var h [headerLen]byte
	h[0] = kind
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	return string(h[:]) + payload
}

func TestReadFrame(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		kind     byte
		payload  string
		err      error
	}{
		{"empty payload", frame('e', ""), 'e', "", nil},
		{"payload", frame('i', "hello"), 'i', "hello", nil},
		{"at the limit", frame('o', strings.Repeat("x", maxPayload)), 'o', strings.Repeat("x", maxPayload), nil},
		{"over the limit", frame('o', strings.Repeat("x", maxPayload+1)), 0, "", errProtocol},
		{"huge length", "o\xff\xff\xff\xff", 0, "", errProtocol},
		{"nothing", "", 0, "", io.EOF},
		{"short header", "q\x00\x00", 0, "", io.ErrUnexpectedEOF},
		{"short payload", frame('q', "hello")[:7], 0, "", io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, p, err := readFrame(strings.NewReader(tc.in))
			if !errors.Is(err, tc.err) || err == nil && (kind != tc.kind || string(p) != tc.payload) {
				t.Fatalf("%q %d bytes %v; want %q %d bytes %v", kind, len(p), err, tc.kind, len(tc.payload), tc.err)
			}
		})
	}
}

func TestDecodeRequest(t *testing.T) {
	ok := func(cmd string, args ...string) string {
		b, _ := json.Marshal(Request{Version: Version, Command: cmd, Args: args})
		return string(b)
	}
	many := make([]string, maxArgs+1)
	for _, tc := range []struct {
		name, in string
		valid    bool
	}{
		{"command", ok("user add", "-admin=true", "--", "jane@example.com"), true},
		{"no args", ok("user list"), true},
		{"args at the limit", ok("x", many[:maxArgs]...), true},
		{"arg at the limit", ok("x", strings.Repeat("a", maxArg)), true},
		{"not JSON", "user add", false},
		{"JSON array", `["user add"]`, false},
		{"other version", `{"v":2,"command":"user list"}`, false},
		{"no version", `{"command":"user list"}`, false},
		{"no command", `{"v":1,"args":["x"]}`, false},
		{"long command", ok(strings.Repeat("u", maxCommand+1)), false},
		{"too many args", ok("x", many...), false},
		{"long arg", ok("x", strings.Repeat("a", maxArg+1)), false},
		{"args not strings", `{"v":1,"command":"x","args":[1]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeRequest([]byte(tc.in))
			if (err == nil) != tc.valid || err != nil && !errors.Is(err, errProtocol) {
				t.Fatalf("err %v, want valid %v", err, tc.valid)
			}
		})
	}
}

func TestDecodeExit(t *testing.T) {
	for in, want := range map[string]int{`{"status":0}`: 0, `{"status":2}`: 2, `{"status":255}`: 255} {
		if got, err := decodeExit([]byte(in)); err != nil || got != want {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	for _, in := range []string{``, `{"status":-1}`, `{"status":256}`, `{"status":"0"}`, `[]`} {
		if _, err := decodeExit([]byte(in)); !errors.Is(err, errProtocol) {
			t.Errorf("%s: %v, want a protocol error", in, err)
		}
	}
}

// FuzzServerInput feeds what a client could send to the server's readers:
// neither may panic, a request they accept is within bounds, and one
// encoded again reads back the same.
func FuzzServerInput(f *testing.F) {
	b, _ := json.Marshal(Request{Version: Version, Command: "user add", Args: []string{"-handle=x", "--", "a@b.c"}})
	f.Add([]byte(frame(kindRequest, string(b)) + frame(kindStdin, "pw\n") + frame(kindStdinEnd, "")))
	f.Add([]byte(frame(kindRequest, `{"v":1,"command":"x","args":null}`)))
	f.Add([]byte("q\x00\x00\x00\x02{}"))
	f.Add([]byte("q\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		kind, p, err := readFrame(r)
		if err != nil {
			return
		}
		if len(p) > maxPayload {
			t.Fatalf("payload of %d bytes accepted", len(p))
		}
		if kind != kindRequest {
			return
		}
		req, err := decodeRequest(p)
		if err != nil {
			return
		}
		if req.Version != Version || req.Command == "" || len(req.Command) > maxCommand || len(req.Args) > maxArgs {
			t.Fatalf("out of bounds: %+v", req)
		}
		for _, a := range req.Args {
			if len(a) > maxArg || !utf8.ValidString(a) {
				t.Fatalf("argument out of bounds: %q", a)
			}
		}
		again, _ := json.Marshal(req)
		req2, err := decodeRequest(again)
		if err != nil || req2.Command != req.Command || strings.Join(req2.Args, "\x00") != strings.Join(req.Args, "\x00") {
			t.Fatalf("round trip: %+v -> %+v (%v)", req, req2, err)
		}
		// The rest of the stream: frames until something is wrong.
		for {
			if _, _, err := readFrame(r); err != nil {
				return
			}
		}
	})
}

// socketPath is a socket in a fresh directory; t.TempDir paths can
// exceed what a unix socket may have.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "as")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "admin.sock")
}

// start serves h on a fresh socket until the test ends.
func start(t *testing.T, h Handler, opts Options) *Server {
	t.Helper()
	s, err := Listen(socketPath(t), h, opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		s.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// echo writes its arguments to stdout, its input to stderr, and exits
// with the status its first argument names.
func echo(ctx context.Context, req Request, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "%s %s\n", req.Command, strings.Join(req.Args, " "))
	in, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "read: %v\n", err)
		return 1
	}
	stderr.Write(in)
	var status int
	fmt.Sscan(req.Args[0], &status)
	return status
}

func call(t *testing.T, path string, req Request, stdin string) (status int, stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	var in io.Reader
	if stdin != "" {
		in = strings.NewReader(stdin)
	}
	status, err = Call(context.Background(), path, req, in, &out, &errb)
	return status, out.String(), errb.String(), err
}

func TestCall(t *testing.T) {
	s := start(t, echo, Options{})
	fi, err := os.Stat(s.Path())
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v %v; want a socket of mode 0600", fi.Mode(), err)
	}
	big := strings.Repeat("0123456789", 20_000) // several frames
	for _, tc := range []struct {
		name, stdin string
		args        []string
		status      int
	}{
		{"no input", "", []string{"0", "a"}, 0},
		{"input", "correct horse\n", []string{"1", "-x=y", "--", "b"}, 1},
		{"large input", big, []string{"2"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out, errs, err := call(t, s.Path(), Request{Command: "user add", Args: tc.args}, tc.stdin)
			if err != nil || status != tc.status || out != "user add "+strings.Join(tc.args, " ")+"\n" || errs != tc.stdin {
				t.Fatalf("status %d stdout %q stderr %d bytes, %v", status, out, len(errs), err)
			}
		})
	}
}

func TestRefusedPeer(t *testing.T) {
	var ran atomic.Bool
	var refused []uint32
	var mu sync.Mutex
	s := start(t, func(ctx context.Context, req Request, stdin io.Reader, stdout, stderr io.Writer) int {
		ran.Store(true)
		return 0
	}, Options{allowUID: func(uid uint32) bool {
		mu.Lock()
		refused = append(refused, uid)
		mu.Unlock()
		return false
	}})
	status, out, errs, err := call(t, s.Path(), Request{Command: "user list"}, "")
	if err != nil || status != 1 || out != "" || !strings.Contains(errs, fmt.Sprintf("does not accept uid %d", os.Getuid())) {
		t.Fatalf("status %d stdout %q stderr %q %v", status, out, errs, err)
	}
	if ran.Load() {
		t.Fatal("the command ran for a refused peer")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(refused) != 1 || refused[0] != uint32(os.Getuid()) {
		t.Fatalf("peer uids checked: %v, want [%d]", refused, os.Getuid())
	}
}

func TestNoServer(t *testing.T) {
	path := socketPath(t)
	if _, _, _, err := call(t, path, Request{Command: "user list"}, ""); !errors.Is(err, ErrNoServer) {
		t.Errorf("missing socket: %v", err)
	}
	// A socket left behind by a server that is gone.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, _, _, err := call(t, path, Request{Command: "user list"}, ""); !errors.Is(err, ErrNoServer) {
		t.Errorf("stale socket: %v", err)
	}
	// A new server replaces it.
	s, err := Listen(path, echo, Options{})
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	go s.Serve()
	if status, _, _, err := call(t, path, Request{Command: "x", Args: []string{"3"}}, ""); err != nil || status != 3 {
		t.Errorf("after replacing the stale socket: %d %v", status, err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after Shutdown: %v", err)
	}
	if _, _, _, err := call(t, path, Request{Command: "user list"}, ""); !errors.Is(err, ErrNoServer) {
		t.Errorf("after Shutdown: %v", err)
	}
}

// TestHangUpCancels: a client that goes away cancels its command.
func TestHangUpCancels(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan struct{})
	s := start(t, func(ctx context.Context, req Request, stdin io.Reader, stdout, stderr io.Writer) int {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return 1
	}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Call(ctx, s.Path(), Request{Command: "backup"}, nil, io.Discard, io.Discard)
		done <- err
	}()
	<-started
	cancel()
	<-cancelled
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Call: %v, want context.Canceled", err)
	}
}

// TestBadRequest: a client that speaks another protocol gets a message
// and status 1, and the handler never runs.
func TestBadRequest(t *testing.T) {
	var ran atomic.Bool
	s := start(t, func(context.Context, Request, io.Reader, io.Writer, io.Writer) int { ran.Store(true); return 0 }, Options{})
	for _, in := range []string{frame(kindStdin, "x"), frame(kindRequest, `{"v":9,"command":"x"}`), "q\xff\xff\xff\xff"} {
		c, err := net.Dial("unix", s.Path())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, in)
		var errb bytes.Buffer
		status := -1
		for {
			kind, p, err := readFrame(c)
			if err != nil {
				break
			}
			switch kind {
			case kindStderr:
				errb.Write(p)
			case kindExit:
				status, _ = decodeExit(p)
			}
		}
		c.Close()
		if status != 1 || !strings.Contains(errb.String(), "cannot read the command") {
			t.Errorf("%q: status %d stderr %q", in, status, errb.String())
		}
	}
	if ran.Load() {
		t.Error("the handler ran for a bad request")
	}
}

// TestShutdownWaits: Shutdown lets a command in progress finish and
// answer its client.
func TestShutdownWaits(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	s, err := Listen(socketPath(t), func(ctx context.Context, req Request, stdin io.Reader, stdout, stderr io.Writer) int {
		close(started)
		<-release
		io.WriteString(stdout, "done\n")
		return 0
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	type result struct {
		status int
		out    string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		var out bytes.Buffer
		st, err := Call(context.Background(), s.Path(), Request{Command: "user add"}, nil, &out, io.Discard)
		res <- result{st, out.String(), err}
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	close(release)
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.err != nil || r.status != 0 || r.out != "done\n" {
		t.Fatalf("%+v", r)
	}
}

package interop

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"almanac/caldav"
	"almanac/internal/tooltest"
	"almanac/server/servertest"
	"almanac/storage"
)

// env is a running almanac as one account sees it.
type env struct {
	URL      string // base URL, no trailing slash: http://127.0.0.1:PORT
	Login    string
	Password string
	User     string // stable account handle used in URLs
	// Principal, Home and Calendar are absolute paths (with trailing
	// slash) of the principal, the calendar home and the default calendar.
	Principal string
	Home      string
	Calendar  string

	Store  storage.Store
	server *servertest.Env
}

const (
	testLogin    = "alice@example.com"
	testPassword = servertest.Password
)

// startServer runs the full application on a fresh store and creates
// one provisioned account, alice. The server log is printed when the
// test fails.
func startServer(t *testing.T) *env {
	t.Helper()
	srv := servertest.New(t)
	srv.Start()
	acc := srv.Account(testLogin, func(a *storage.Account) { a.DisplayName = "Alice Example" })
	return envOf(srv, acc, testPassword)
}

// envOf is the env of acc, whose password is password, on srv.
func envOf(srv *servertest.Env, acc *storage.Account, password string) *env {
	return &env{
		URL:       srv.Start(),
		Login:     acc.Login,
		Password:  password,
		User:      acc.ID,
		Principal: "/dav/principals/" + acc.ID + "/",
		Home:      "/dav/calendars/" + acc.ID + "/",
		Calendar:  "/dav/calendars/" + acc.ID + "/" + caldav.DefaultCalendar + "/",
		Store:     srv.Store,
		server:    srv,
	}
}

// do sends one authenticated request and returns the response with its
// body read.
func (e *env) do(t *testing.T, method, path string, hdr map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	req.SetBasicAuth(e.Login, e.Password)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, b
}

// put stores an iCalendar object with PUT and fails unless the status is
// one of want (201/204 when empty). It returns the ETag header.
func (e *env) put(t *testing.T, path, data string, hdr map[string]string, want ...int) string {
	t.Helper()
	h := map[string]string{"Content-Type": "text/calendar; charset=utf-8"}
	for k, v := range hdr {
		h[k] = v
	}
	resp, body := e.do(t, http.MethodPut, path, h, data)
	if len(want) == 0 {
		want = []int{http.StatusCreated, http.StatusNoContent}
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return resp.Header.Get("ETag")
		}
	}
	t.Fatalf("PUT %s: status %d, want %v; body:\n%s", path, resp.StatusCode, want, body)
	return ""
}

// toolPackages names the Debian package that provides each tool.
var toolPackages = map[string]string{
	"vdirsyncer":       "vdirsyncer",
	"/usr/bin/python3": "python3",
}

// requireTool skips the test when the external program name is not
// installed, or fails it when ALMANAC_INTEROP=1 (tooltest).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	return tooltest.Require(t, name, toolPackages[name])
}

// missing reports a missing tool: skip normally, fail in CI.
func missing(t *testing.T, tool, pkg string) {
	t.Helper()
	tooltest.Missing(t, tool, pkg)
}

// run executes a command with a 60 s deadline and returns its combined
// output; it fails the test with that output when the command fails.
func run(t *testing.T, dir string, stdin string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(dir, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\noutput:\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(dir string, stdin string, name string, args ...string) (string, error) {
	return runEnv(nil, dir, stdin, name, args...)
}

// runEnv is runErr with an environment: nil means the test's own plus a
// UTF-8 locale.
func runEnv(env []string, dir string, stdin string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	if env == nil {
		env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return string(out), err
}
